using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Dist;

/// <summary>
/// `make dist` run as a developer runs it, the archive unpacked as a grader unpacks it, and what the
/// exercise asks to find in it (docs/exercise.md, "The deliverable").
/// </summary>
public static partial class DistArchive
{
    private static readonly TimeSpan MakeTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The files `make dist` adds to the committed tree, made for the archive alone.</summary>
    public static readonly string[] Generated =
        ["deployments/nginx/certs/nginx.crt", "deployments/nginx/certs/nginx.key", "deployments/nginx/.htpasswd", "dist.env"];

    /// <summary>What the exercise names, by its C# equivalent where the template has Python.</summary>
    public static readonly string[] ExerciseFiles =
    [
        "Makefile", "docker-compose.yml",
        "deployments/nginx/Dockerfile", "deployments/nginx/nginx.conf",
        "deployments/nginx/certs/nginx.crt", "deployments/nginx/certs/nginx.key", "deployments/nginx/.htpasswd",
        "deployments/prometheus/Dockerfile", "deployments/prometheus/prometheus.yml",
        "MlopsExam.Api/Dockerfile", "MlopsExam.Api/MlopsExam.Api.csproj", "MlopsExam.Api/Program.cs",
        "models/sentiment-v1.zip", "models/sentiment-v1.metrics.json",
        "models/sentiment-v2.zip", "models/sentiment-v2.metrics.json",
    ];

    /// <summary>Names that belong to the machine the archive is made on, at any depth.</summary>
    private static readonly string[] MachineOnly = [".env", ".secrets", "bin", "obj", ".artifacts", ".git"];

    public sealed record Made(string Archive, string Output);

    /// <summary>
    /// `make dist` into <paramref name="outDir"/>. Without credentials, BASIC_AUTH_USER and
    /// BASIC_AUTH_PASSWORD are unset (env -u), so the archive gets the documented default, admin/admin;
    /// given ones go through make's environment, never its command line.
    /// </summary>
    public static Made Make(string outDir, string format, (string User, string Password)? credentials = null)
    {
        string[] make = ["make", "--no-print-directory", "dist", $"DIST_FORMAT={format}", $"DIST_DIR={outDir}"];
        var (code, output) = credentials is { } c
            ? Shell.Run(make[0], make[1..], MakeTimeout,
                environment: new Dictionary<string, string> { ["BASIC_AUTH_USER"] = c.User, ["BASIC_AUTH_PASSWORD"] = c.Password })
            : Shell.Run("env", ["-u", "BASIC_AUTH_USER", "-u", "BASIC_AUTH_PASSWORD", .. make], MakeTimeout);
        Assert.True(code == 0, $"make dist exited with {code}:\n{output}");
        var archive = Path.Combine(outDir, $"mlopsexam.{format}");
        Assert.True(File.Exists(archive), $"make dist wrote no {archive}:\n{output}");
        return new Made(archive, output);
    }

    /// <summary>Unpacks into an empty folder, as a grader would; returns the project root (mlopsexam/).</summary>
    public static string Unpack(string archive, string into)
    {
        Directory.CreateDirectory(into);
        Assert.Empty(Directory.EnumerateFileSystemEntries(into));
        var (code, output) = archive.EndsWith(".zip", StringComparison.Ordinal)
            ? Shell.Run("unzip", ["-q", archive, "-d", into], MakeTimeout)
            : Shell.Run("tar", ["-xzf", archive, "-C", into], MakeTimeout);
        Assert.True(code == 0, $"unpacking {archive} failed ({code}):\n{output}");
        Assert.Equal(["mlopsexam"], Directory.EnumerateFileSystemEntries(into).Select(Path.GetFileName));
        return Path.Combine(into, "mlopsexam");
    }

    /// <summary>Files under a folder, as relative paths with '/'.</summary>
    public static SortedSet<string> FilesUnder(string root) =>
        new(Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')), StringComparer.Ordinal);

    /// <summary>The committed tree the archive is made of (HEAD).</summary>
    public static SortedSet<string> CommittedFiles()
    {
        var (code, output) = Shell.Run("git", ["ls-tree", "-r", "--name-only", "-z", "HEAD"], MakeTimeout);
        Assert.True(code == 0, $"git ls-tree failed (make dist and its tests need a git checkout):\n{output}");
        return new SortedSet<string>(output.Split('\0', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }

    /// <summary>
    /// Everything the exercise's deliverable must hold, and nothing of this machine: the committed
    /// tree plus the generated files, exactly; a certificate of its own that pairs with its key; an
    /// .htpasswd entry that verifies the credentials and nothing else; dist.env with the same.
    /// </summary>
    public static void AssertDeliverable(string root, string user, string password)
    {
        var files = FilesUnder(root);
        var missing = ExerciseFiles.Where(f => !files.Contains(f)).ToList();
        Assert.True(missing.Count == 0, $"The archive lacks files the exercise names: {string.Join(", ", missing)}");

        var committed = CommittedFiles();
        // Every Dockerfile and every file of the API's code (and the projects it builds with).
        var code = committed.Where(f => Path.GetFileName(f) == "Dockerfile"
            || f.StartsWith("MlopsExam.Api/", StringComparison.Ordinal)
            || f.StartsWith("MlopsExam.Model/", StringComparison.Ordinal)
            || f.StartsWith("MlopsExam.ServiceDefaults/", StringComparison.Ordinal)).ToList();
        Assert.Contains("MlopsExam.Api/Dockerfile", code);
        Assert.All(code, f => Assert.True(files.Contains(f), $"The archive lacks {f}."));

        var expected = new SortedSet<string>(committed.Concat(Generated), StringComparer.Ordinal);
        Assert.True(expected.SetEquals(files),
            $"The archive is not the committed tree plus {string.Join(", ", Generated)}: " +
            $"extra [{string.Join(", ", files.Except(expected))}], missing [{string.Join(", ", expected.Except(files))}]");

        var leaked = files.Where(f => f.Split('/').Any(segment => MachineOnly.Contains(segment))).ToList();
        Assert.True(leaked.Count == 0, $"The archive holds files of the machine it was made on: {string.Join(", ", leaked)}");

        // The models are the committed ones: each file's sha256 is the one its metrics file records.
        foreach (var variant in new[] { "v1", "v2" })
        {
            var metrics = File.ReadAllText(Path.Combine(root, "models", $"sentiment-{variant}.metrics.json"));
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "models", $"sentiment-{variant}.zip"))));
            Assert.Contains($"\"modelSha256\": \"{sha256}\"", metrics);
        }

        AssertCertificate(root);
        AssertHtpasswd(Path.Combine(root, "deployments", "nginx", ".htpasswd"), user, password);

        var settings = File.ReadAllLines(Path.Combine(root, "dist.env")).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal([$"BASIC_AUTH_USER={user}", $"BASIC_AUTH_PASSWORD={password}"], settings);
    }

    /// <summary>Self-signed for localhost, far from expiry, its key in the archive beside it, and not
    /// the certificate or key of this machine's own gateway.</summary>
    private static void AssertCertificate(string root)
    {
        var crtPath = Path.Combine(root, "deployments", "nginx", "certs", "nginx.crt");
        var keyPath = Path.Combine(root, "deployments", "nginx", "certs", "nginx.key");
        // CreateFromPemFile refuses a key that does not belong to the certificate.
        using var certificate = X509Certificate2.CreateFromPemFile(crtPath, keyPath);
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal("CN=localhost", certificate.Subject);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.True(certificate.NotAfter > DateTime.Now.AddDays(300), $"The certificate expires on {certificate.NotAfter}.");
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());

        foreach (var (mine, name) in new[] { (crtPath, "nginx.crt"), (keyPath, "nginx.key") })
        {
            var machines = RepoLayout.Path("deployments", "nginx", "certs", name);
            if (File.Exists(machines))
                Assert.False(File.ReadAllBytes(machines).SequenceEqual(File.ReadAllBytes(mine)),
                    $"The archive's {name} is this machine's own ({machines}).");
        }
    }

    /// <summary>One entry, user:$6$..., SHA-512 crypt of exactly this password (openssl computes it
    /// again from the entry's salt, the password through stdin).</summary>
    public static void AssertHtpasswd(string path, string user, string password)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var entry = Assert.Single(lines);
        Assert.StartsWith($"{user}:$6$", entry);
        var hash = entry[(user.Length + 1)..];
        Assert.True(CryptOf(password, hash.Split('$')[2]) == hash, $"{path} does not verify the password the archive was made for.");
        Assert.False(CryptOf(password + "x", hash.Split('$')[2]) == hash, $"{path} verifies a wrong password.");
    }

    private static string CryptOf(string password, string salt)
    {
        var (code, output) = Shell.Run("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], TimeSpan.FromSeconds(20), stdin: password + "\n");
        Assert.True(code == 0, output);
        return output.Trim();
    }

    /// <summary>What `make dist` prints: the archive's path and its true size, the credentials, and a
    /// listing of the exercise's files that includes the generated ones.</summary>
    public static void AssertPrinted(Made made, string user, string password)
    {
        Assert.Contains($"make dist: {Path.GetFullPath(made.Archive)}", made.Output);
        Assert.Contains($"({new FileInfo(made.Archive).Length} bytes)", made.Output);
        Assert.Contains($"credentials:  {user} / {password}", made.Output);
        var listed = made.Output.Split('\n').Select(l => l.Trim()).ToHashSet();
        Assert.All(ExerciseFiles.Where(f => f != "deployments/prometheus/prometheus.yml").Append("dist.env"),
            f => Assert.True(listed.Contains(f), $"make dist's listing lacks {f}:\n{made.Output}"));
    }

    /// <summary>The exercise's script's result per check number, from its "--- Running Test N" headers
    /// and [PASS]/[FAIL] lines (colours stripped).</summary>
    public static IReadOnlyDictionary<int, bool> ScriptResults(string output)
    {
        var results = new Dictionary<int, bool>();
        int? current = null;
        foreach (var line in Ansi().Replace(output, "").Split('\n'))
        {
            var header = TestHeader().Match(line);
            if (header.Success) current = int.Parse(header.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            else if (current is { } n && (line.StartsWith("[PASS]", StringComparison.Ordinal) || line.StartsWith("[FAIL]", StringComparison.Ordinal)))
                results[n] = line.StartsWith("[PASS]", StringComparison.Ordinal);
        }
        return results;
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"^--- Running Test (\d+):")]
    private static partial Regex TestHeader();
}
