using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// What an attacker who reaches a container finds (issue: hardened containers), and what slow or
/// hostile clients get (deployments/nginx/conf.d/client-limits.conf). Part of
/// <see cref="GatewayFeatureTests{TStack}"/>, so both stacks run it.
/// </summary>
public abstract partial class GatewayFeatureTests<TStack>
{
    /// <summary>client_header_timeout and client_body_timeout in conf.d/client-limits.conf.</summary>
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Every_container_runs_as_non_root_read_only_without_capabilities_or_new_privileges()
    {
        var containers = await Stack.ContainerIdsAsync(CancellationToken.None);
        Assert.Contains("gateway", containers.Keys);
        Assert.Contains("prometheus", containers.Keys);
        Assert.Contains("gateway-exporter", containers.Keys);

        foreach (var (service, id) in containers)
        {
            var inspect = JsonDocument.Parse(Docker("inspect", id)).RootElement[0];
            var config = inspect.GetProperty("Config");
            var host = inspect.GetProperty("HostConfig");
            var user = config.GetProperty("User").GetString() ?? "";
            Assert.True(user is not ("" or "root" or "0" or "0:0"), $"{service} runs as user '{user}'");
            Assert.Equal(!Stack.WritableRootServices.Contains(service), host.GetProperty("ReadonlyRootfs").GetBoolean());
            Assert.Contains("ALL", host.GetProperty("CapDrop").EnumerateArray().Select(c => c.GetString()));
            if (Stack.SupportsNoNewPrivileges)
                Assert.Contains(host.GetProperty("SecurityOpt").EnumerateArray().Select(o => o.GetString() ?? ""),
                    o => o.StartsWith("no-new-privileges", StringComparison.Ordinal));

            // Every process, not only the first: `docker top` lists them with their real uid.
            var uids = Docker("top", id, "-eo", "pid,uid").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToList();
            Assert.NotEmpty(uids);
            Assert.All(uids, uid => Assert.True(uid != "0", $"{service} has a process running as root"));

            // The password never sits in an environment variable that `docker inspect` shows.
            var environment = config.GetProperty("Env").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
            Assert.DoesNotContain(environment, e => e.StartsWith("BASIC_AUTH_PASSWORD=", StringComparison.Ordinal));
            Assert.DoesNotContain(environment, e => e.Contains(Stack.Password, StringComparison.Ordinal));
        }

        // The gateway reads it from a file (the *_FILE convention), which only its user may read.
        var gateway = containers["gateway"];
        Assert.Contains("BASIC_AUTH_PASSWORD_FILE=/run/secrets/basic_auth_password",
            JsonDocument.Parse(Docker("inspect", gateway)).RootElement[0].GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Stack.Password, Docker("exec", gateway, "cat", "/run/secrets/basic_auth_password"));
        Assert.Equal("nginx", Docker("exec", gateway, "stat", "-c", "%U", "/run/secrets/basic_auth_password").Trim());
        // And nothing can be written outside the tmpfs.
        if (Stack.WritableRootServices.Contains("gateway")) return;
        // /tmp is world-writable in the image: only the read-only root file system stops this.
        var (code, output) = Shell.Run("docker", ["exec", gateway, "touch", "/tmp/written-by-an-attacker"], TimeSpan.FromSeconds(20));
        Assert.True(code != 0 && output.Contains("Read-only file system", StringComparison.Ordinal), output);
    }

    private static string Docker(params string[] args)
    {
        var (code, output) = Shell.Run("docker", args, TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"docker {string.Join(' ', args)}: {output}");
        return output;
    }

    [Fact]
    public async Task Slow_clients_are_cut_off_while_a_normal_request_is_answered()
    {
        // One client trickles its request headers, another its body; both stall.
        var slowHeaders = StallAsync(Encoding.ASCII.GetBytes("POST /predict HTTP/1.1\r\nHost: localhost\r\nX-Slow: "));
        var auth = Stack.BasicAuth().Parameter;
        var slowBody = StallAsync(Encoding.ASCII.GetBytes(
            $"POST /predict HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"sentence\": \""));

        // Meanwhile a normal client is served at once.
        await Task.Delay(TimeSpan.FromSeconds(1));
        using var client = Stack.CreateClient();
        var started = Stopwatch.GetTimestamp();
        using var normal = await PredictAsync(client, "served while two clients stall");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.True(Stopwatch.GetElapsedTime(started) < ClientTimeout / 2, "a normal request waited for the slow ones");

        foreach (var (name, stall) in new[] { ("headers", slowHeaders), ("body", slowBody) })
        {
            var closedAfter = await stall;
            // Closed by nginx at its timeout, not before and not much later (the socket's own
            // deadline is three times longer).
            Assert.InRange(closedAfter.TotalSeconds, ClientTimeout.TotalSeconds - 1, ClientTimeout.TotalSeconds + 5);
            _ = name;
        }
    }

    /// <summary>Opens a TLS connection, sends <paramref name="start"/> and nothing more; returns how long
    /// until the gateway closed the connection.</summary>
    private async Task<TimeSpan> StallAsync(byte[] start)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Stack.HttpsBase.Host, Stack.HttpsBase.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Stack.HttpsBase.Host,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        var started = Stopwatch.GetTimestamp();
        await tls.WriteAsync(start);
        await tls.FlushAsync();
        using var deadline = new CancellationTokenSource(ClientTimeout * 3);
        var buffer = new byte[4096];
        try
        {
            // Whatever nginx says (a 408, or nothing), the connection ends: read returns 0 or fails.
            while (await tls.ReadAsync(buffer, deadline.Token) > 0) { }
        }
        catch (IOException)
        {
            // A reset (reset_timedout_connection on): closed too.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the gateway kept a stalled connection open for {ClientTimeout * 3}");
        }
        return Stopwatch.GetElapsedTime(started);
    }
}
