using System.Runtime.Versioning;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Dist;

/// <summary>
/// `make dist` without containers: both formats hold the committed tree plus the certificate,
/// .htpasswd and dist.env made for the archive, nothing of this machine, and `make env` in the
/// unpacked folder takes the archive's credentials. <see cref="DistStackTests"/> starts the
/// unpacked stack and runs the exercise's script against it.
/// </summary>
[SupportedOSPlatform("linux")] // file modes (scripts executable, .env private)
public sealed class DistArchiveTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("mlopsexam-dist-test-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Theory]
    [InlineData("tar.gz")]
    [InlineData("zip")]
    public void The_archive_is_the_committed_tree_with_a_certificate_and_htpasswd_for_admin(string format)
    {
        var made = DistArchive.Make(Path.Combine(_temp.FullName, "out"), format);
        var root = DistArchive.Unpack(made.Archive, Path.Combine(_temp.FullName, "unpacked"));

        DistArchive.AssertDeliverable(root, "admin", "admin");
        DistArchive.AssertPrinted(made, "admin", "admin");
        // The scripts make up runs stay executable in both formats.
        Assert.True(File.GetUnixFileMode(Path.Combine(root, "scripts", "generate-env.sh")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void The_archive_is_made_for_the_credentials_in_the_environment()
    {
        const string user = "grader";
        const string password = "Exam-2025.pass";
        var made = DistArchive.Make(Path.Combine(_temp.FullName, "out"), "tar.gz", (user, password));
        var root = DistArchive.Unpack(made.Archive, Path.Combine(_temp.FullName, "unpacked"));

        DistArchive.AssertDeliverable(root, user, password);
        DistArchive.AssertPrinted(made, user, password);
    }

    [Fact]
    public void Make_env_in_the_unpacked_archive_takes_its_credentials_for_the_stack()
    {
        var made = DistArchive.Make(Path.Combine(_temp.FullName, "out"), "tar.gz");
        var root = DistArchive.Unpack(made.Archive, Path.Combine(_temp.FullName, "unpacked"));

        // What `make up` runs before compose (make env); no BASIC_AUTH_* from this process.
        var (code, output) = Shell.Run("env", ["-u", "BASIC_AUTH_USER", "-u", "BASIC_AUTH_PASSWORD", "./scripts/generate-env.sh"],
            TimeSpan.FromSeconds(30), workingDirectory: root);
        Assert.True(code == 0, output);

        Assert.Equal(File.ReadAllText(Path.Combine(root, "dist.env")), File.ReadAllText(Path.Combine(root, ".env")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, ".env")));
        // The file the gateway reads its password from (the compose secret).
        Assert.Equal("admin", File.ReadAllText(Path.Combine(root, ".secrets", "basic_auth_password")));
    }

    [Fact]
    public void A_password_that_dist_env_cannot_hold_is_refused()
    {
        var (code, output) = Shell.Run("make", ["--no-print-directory", "dist", $"DIST_DIR={Path.Combine(_temp.FullName, "out")}"],
            TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["BASIC_AUTH_USER"] = "admin", ["BASIC_AUTH_PASSWORD"] = "with space$" });
        Assert.NotEqual(0, code);
        Assert.Contains("BASIC_AUTH_PASSWORD must be", output);
        Assert.False(File.Exists(Path.Combine(_temp.FullName, "out", "mlopsexam.tar.gz")));
    }
}
