using System.Globalization;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>
/// (d): the cheapest nginx that can stand where the gateway stands. The gateway's own image and
/// binary, the same three replicas, the same upstream keep-alive and worker count, and nothing
/// else: no basic auth, no access log, no rate or connection limits, no routing maps, no extra
/// headers; one listener over plain HTTP and one over TLS (the gateway's certificate).
///
/// It answers a question the ratio (b)/(a) alone cannot: how much of the distance to the API's own
/// speed any nginx hop costs on this machine, and how much the gateway's features add on top. The
/// container lives for the benchmark's run only and publishes no port.
/// </summary>
internal sealed class ReferenceProxy : IAsyncDisposable
{
    public const string PlainUrl = "http://127.0.0.1:8081/predict";
    public const string TlsUrl = "https://127.0.0.1:8444/predict";
    private const string Name = "mlopsexam-loadtest-reference-nginx";

    public Container Container { get; }

    private ReferenceProxy(Container container) => Container = container;

    /// <summary>Starts it, or says why not and returns null: (d) is a reference, and the runs the
    /// targets name do not depend on it.</summary>
    public static async Task<ReferenceProxy?> TryStartAsync(Stack stack, Container gateway, IReadOnlyList<Container> replicas, string workDir)
    {
        try
        {
            return await StartAsync(stack, gateway, replicas, workDir);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
        {
            Console.WriteLine($"  (d) skipped: {ex.Message}");
            return null;
        }
    }

    private static async Task<ReferenceProxy> StartAsync(Stack stack, Container gateway, IReadOnlyList<Container> replicas, string workDir)
    {
        var inspect = (await Docker.RunAsync("inspect", "-f",
            "{{.Image}} {{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", gateway.Id)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (image, network) = (inspect[0], inspect[1]);
        var addresses = new List<string>();
        foreach (var replica in replicas)
            addresses.Add((await Docker.RunAsync("inspect", "-f",
                $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", replica.Id)).Trim());

        var config = Path.Combine(workDir, "reference-nginx.conf");
        File.WriteAllText(config, Config(addresses));
        await RemoveAsync(); // left by a run that was interrupted
        // No --rm: if it fails to start, its log says why; DisposeAsync removes it.
        await Docker.RunAsync("run", "--detach", "--name", Name, "--network", network,
            "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
            "--volume", $"{config}:/etc/nginx/reference.conf:ro",
            "--volume", $"{Path.Combine(stack.RepoRoot, "deployments", "nginx", "certs")}:/certs:ro",
            "--entrypoint", "nginx", image, "-c", "/etc/nginx/reference.conf", "-g", "daemon off;");
        try
        {
            var proxy = new ReferenceProxy(await Container.InspectAsync("reference", Name) with { Label = "reference nginx" });
            await proxy.WaitListeningAsync(ports: [8081, 8444]);
            return proxy;
        }
        catch
        {
            await RemoveAsync();
            throw;
        }
    }

    /// <summary>The minimal configuration; every directive it has, the gateway has too.</summary>
    internal static string Config(IEnumerable<string> replicaAddresses) => $$"""
        # make loadtest's reference proxy (ReferenceProxy.cs): the gateway less its features.
        worker_processes auto;
        pid /tmp/nginx.pid;
        error_log stderr warn;
        events { worker_connections 4096; }
        http {
            access_log off;
            keepalive_requests 100000;
            client_body_temp_path /tmp/client_body;
            proxy_temp_path       /tmp/proxy;
            fastcgi_temp_path     /tmp/fastcgi;
            uwsgi_temp_path       /tmp/uwsgi;
            scgi_temp_path        /tmp/scgi;
            upstream api_v1 {
        {{string.Concat(replicaAddresses.Select(a => $"        server {a}:8080;\n"))}}        keepalive 128;
                keepalive_requests 100000;
            }
            server {
                listen 8081;
                listen 8444 ssl;
                ssl_certificate     /certs/nginx.crt;
                ssl_certificate_key /certs/nginx.key;
                location = /predict { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api_v1; }
            }
        }
        """;

    private async Task WaitListeningAsync(int[] ports)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var tcp = $"/proc/{Container.Pid}/net/tcp";
            if (!File.Exists(tcp) || DateTime.UtcNow > deadline)
            {
                var logs = await ProcessRunner.RunAsync("docker", ["logs", Name], Docker.Timeout);
                throw new InvalidOperationException($"the reference nginx did not listen on {string.Join(", ", ports)}: {logs.Stderr.Trim()}");
            }
            // /proc/PID/net/tcp: local address "0100007F:1F91"-style, state 0A = LISTEN.
            var listening = File.ReadLines(tcp)
                .Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f[3] == "0A")
                .Select(f => int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
                .ToHashSet();
            if (ports.All(listening.Contains)) return;
            await Task.Delay(100);
        }
    }

    private static Task RemoveAsync() => ProcessRunner.RunAsync("docker", ["rm", "--force", Name], Docker.Timeout);

    public async ValueTask DisposeAsync() => await RemoveAsync();
}
