using MlopsExam.AppHost.Gateway;

namespace MlopsExam.Tests.AppModel;

/// <summary>
/// What the AppHost runs before the gateway starts (<see cref="GatewayFiles"/>): scripts/prepare-gateway-files.sh
/// with the password on stdin. Run on a copy of the script in a temporary folder, which it takes as the
/// repository root, so the repository's own certificate folder and secrets are left alone.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GatewayFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mlopsexam-gateway-files-").FullName;

    public GatewayFilesTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        File.Copy(RepoLayout.Path("scripts", "prepare-gateway-files.sh"), Path.Combine(_root, "scripts", "prepare-gateway-files.sh"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_password_reaches_the_secret_file_through_stdin()
    {
        var secret = Path.Combine(_root, ".secrets", "aspire", "basic_auth_password");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await GatewayFiles.PrepareAsync(_root, secret, "s3cret-Passw0rd", timeout.Token);

        Assert.Equal("s3cret-Passw0rd", await File.ReadAllTextAsync(secret, timeout.Token));
        // Readable by its owner (the gateway's uid, when run as root) or read-only for all in a 0700 folder.
        Assert.Contains(File.GetUnixFileMode(secret), new[] { UnixFileMode.UserRead, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(secret)!));
        Assert.True(Directory.Exists(Path.Combine(_root, "deployments", "nginx", "certs")));
    }

    [Fact]
    public async Task A_failing_script_stops_the_start_with_what_it_said()
    {
        var secret = Path.Combine(_root, ".secrets", "aspire", "basic_auth_password");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayFiles.PrepareAsync(_root, secret, "", timeout.Token));

        Assert.Contains("empty password on stdin", error.Message);
        Assert.False(File.Exists(secret));
    }
}
