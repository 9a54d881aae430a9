using System.Security.Cryptography;
using System.Text;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// How the gateway's entrypoint stores the basic-auth password (deployments/nginx/AUTH-THREAT-MODEL.md):
/// a generated, high-entropy password as {SSHA} (microseconds per request), a weak one as SHA-512
/// crypt (stretched), each verifiable for the right password only. Runs the gateway image's own
/// entrypoint, so it checks what ships; the wrong password's 401 through nginx is checked by
/// <see cref="GatewayFeatureTests{TStack}"/> on both stacks.
/// </summary>
/// In the stacks' collection: its `docker build`/`docker run --rm` ran beside a compose fixture's
/// `up --build` once, and that `up` failed with "No such container" for a container it had just created.
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class GatewayPasswordStorageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static string StoredEntry(string password, string? mode = null)
    {
        DockerPrerequisite.EnsureRunning();
        // The image compose builds (docker-compose.yml: context deployments, nginx/Dockerfile, target
        // gateway), without compose, which would need the stack's settings (.env) first.
        var (built, buildOutput) = Shell.Run("docker",
            ["build", "--quiet", "--file", RepoLayout.Path("deployments", "nginx", "Dockerfile"), "--target", "gateway",
             "--tag", "mlopsexam-gateway:local", RepoLayout.Path("deployments")], Timeout,
            environment: new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "1" });
        Assert.True(built == 0, buildOutput);
        // The password reaches the container through the environment of `docker run` (-e NAME without a
        // value), never through its command line.
        List<string> args = ["run", "--rm", "-e", "BASIC_AUTH_PASSWORD", "-e", "API_V1_SERVERS=127.0.0.1:9", "-e", "API_V2_SERVERS=127.0.0.1:9"];
        if (mode is not null) args.AddRange(["-e", $"BASIC_AUTH_HASH={mode}"]);
        args.AddRange(["--entrypoint", "/usr/local/bin/docker-entrypoint.sh", "mlopsexam-gateway:local", "cat", "/run/nginx/generated/.htpasswd"]);
        var (code, output) = Shell.Run("docker", args, Timeout, environment: new Dictionary<string, string> { ["BASIC_AUTH_PASSWORD"] = password });
        Assert.True(code == 0, output);
        return output.Split('\n').Single(l => l.StartsWith("mlops:", StringComparison.Ordinal));
    }

    /// <summary>True when an {SSHA} entry is SHA1(password . salt) . salt for this password.</summary>
    private static bool SshaMatches(string entry, string password)
    {
        var raw = Convert.FromBase64String(entry["mlops:{SSHA}".Length..]);
        var (digest, salt) = (raw[..20], raw[20..]);
        return SHA1.HashData([.. Encoding.UTF8.GetBytes(password), .. salt]).SequenceEqual(digest);
    }

    [Fact]
    public void A_generated_password_is_stored_as_salted_sha1_that_verifies_only_that_password()
    {
        // The shape scripts/generate-env.sh and the AppHost produce: 24 random letters and digits.
        var password = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);
        var entry = StoredEntry(password);

        Assert.StartsWith("mlops:{SSHA}", entry);
        Assert.True(SshaMatches(entry, password));
        Assert.False(SshaMatches(entry, password + "x"));
        Assert.False(SshaMatches(entry, password[..^1]));
        // Salted: the same password stored twice gives two different entries.
        Assert.NotEqual(entry, StoredEntry(password));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // long but one character: not generated
    public void A_weak_password_is_stored_stretched_as_sha512_crypt(string password)
    {
        var entry = StoredEntry(password);
        Assert.StartsWith("mlops:$6$", entry);
        Assert.True(CryptMatches(entry, password));
        Assert.False(CryptMatches(entry, password + "x"));
    }

    [Fact]
    public void The_form_can_be_forced()
    {
        var password = RandomNumberGenerator.GetHexString(40);
        var entry = StoredEntry(password, mode: "sha512crypt");
        Assert.StartsWith("mlops:$6$", entry);
        Assert.True(CryptMatches(entry, password));
    }

    /// <summary>True when a $6$ entry is SHA-512 crypt of this password with the entry's salt
    /// (openssl computes it again; the password goes through stdin).</summary>
    private static bool CryptMatches(string entry, string password)
    {
        var hash = entry["mlops:".Length..];
        var salt = hash.Split('$')[2];
        var (code, output) = Shell.Run("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], TimeSpan.FromSeconds(20), stdin: password + "\n");
        Assert.True(code == 0, output);
        return output.Trim() == hash;
    }
}
