using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using MlopsExam.Tooling;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// A running stack seen from the outside, as a user sees it: the gateway's URLs and credentials,
/// plus the two things a test needs that only the operator sees (a replica's logs, Prometheus).
/// One implementation starts the AppHost (Aspire.Hosting.Testing), the other the compose file, so
/// the same <see cref="GatewayFeatureTests{TStack}"/> run against both.
/// </summary>
public abstract class GatewayStack : IAsyncLifetime
{
    /// <summary>Rate limit of /predict in nginx (conf.d): 10 r/s; pacing below it keeps tests
    /// that are not about the limit from being refused.</summary>
    public static readonly TimeSpan PredictPace = TimeSpan.FromMilliseconds(120);

    private readonly SemaphoreSlim _pace = new(1, 1);
    private long _last;
    private TimeSpan _gap = PredictPace;

    public Uri HttpsBase { get; protected set; } = null!;
    public Uri HttpBase { get; protected set; } = null!;
    public string User { get; protected set; } = null!;
    public string Password { get; protected set; } = null!;

    /// <summary>The self-signed certificate the gateway generated at first start; trusted as the
    /// only root by the test clients, so TLS is verified rather than switched off.</summary>
    public X509Certificate2 GatewayCertificate { get; private set; } = null!;

    public abstract Task InitializeAsync();
    public abstract Task DisposeAsync();

    /// <summary>Everything replica <paramref name="instanceId"/> logged so far.</summary>
    public abstract Task<string> GetReplicaLogsAsync(string instanceId, CancellationToken ct);

    /// <summary>Replica <paramref name="instanceId"/>'s log once it holds every one of
    /// <paramref name="expected"/>, asked again every 250 ms: a line reaches the log asynchronously
    /// (the API writes stdout in batches, then Docker or the AppHost carries it). Fails after 30 s,
    /// naming what is missing.</summary>
    public async Task<string> WaitForReplicaLogAsync(string instanceId, IEnumerable<string> expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var missing = expected.ToList();
        while (true)
        {
            var log = await GetReplicaLogsAsync(instanceId, ct);
            missing.RemoveAll(line => log.Contains(line, StringComparison.Ordinal));
            if (missing.Count == 0) return log;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{instanceId} never logged {string.Join(", ", missing)}; its log ends with: {log[^Math.Min(log.Length, 2000)..]}");
            await Task.Delay(250, ct);
        }
    }

    /// <summary>The stack's containers by service name (compose: the first replica of each service):
    /// under the AppHost, the gateway, its exporter and Prometheus (the APIs are processes there).</summary>
    public abstract Task<IReadOnlyDictionary<string, string>> ContainerIdsAsync(CancellationToken ct);

    /// <summary>Services whose root file system stays writable: under Swarm the gateway and Prometheus,
    /// because Swarm's tmpfs mounts take no owner (docker-stack.yml says so).</summary>
    public virtual IReadOnlySet<string> WritableRootServices { get; } = new HashSet<string>();

    /// <summary>False where the engine cannot set no-new-privileges on a container (Swarm services).</summary>
    public virtual bool SupportsNoNewPrivileges => true;

    /// <summary>Prometheus on 127.0.0.1:9090 (compose, AppHost); Swarm cannot bind a published port to
    /// one address, so there it publishes nothing.</summary>
    public virtual bool PublishesPrometheusOnLoopback => true;

    /// <summary>Host addresses Docker publishes Prometheus's container port on ("127.0.0.1:9090"), as the
    /// engine reports them (`docker port`; Swarm: the service's published ports).</summary>
    public virtual async Task<IReadOnlyList<string>> PrometheusPublishedPortsAsync(CancellationToken ct)
    {
        var container = (await ContainerIdsAsync(ct))["prometheus"];
        var (code, output) = Shell.Run("docker", ["port", container], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output);
        // "9090/tcp -> 127.0.0.1:9090" per published address.
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split("->")[1].Trim()).ToList();
    }

    /// <summary>GET on Prometheus's HTTP API (e.g. <c>/api/v1/targets</c>), as JSON text.</summary>
    public abstract Task<string> QueryPrometheusAsync(string pathAndQuery, CancellationToken ct);

    /// <summary>The settings compose and Swarm used: the environment first, then the git-ignored .env
    /// (compose's own precedence; scripts/swarm.sh reads .env the same way). Loads the certificate.</summary>
    protected void UseDotEnvSettings()
    {
        var dotEnv = File.ReadLines(RepoLayout.Path(".env"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#') && line.Contains('='))
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim().Trim('"', '\''));
        string? Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : dotEnv.GetValueOrDefault(name);
        User = Setting("BASIC_AUTH_USER") ?? "mlops";
        Password = Setting("BASIC_AUTH_PASSWORD") ?? throw new InvalidOperationException("No BASIC_AUTH_PASSWORD in .env.");
        HttpsBase = new Uri($"https://localhost:{Setting("GATEWAY_HTTPS_PORT") ?? "443"}/");
        HttpBase = new Uri($"http://localhost:{Setting("GATEWAY_HTTP_PORT") ?? "80"}/");
        LoadGatewayCertificate();
    }

    protected void LoadGatewayCertificate() =>
        GatewayCertificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(RepoLayout.Root, "deployments", "nginx", "certs", "nginx.crt"));

    /// <summary>An HttpClient that trusts only the gateway's certificate and never follows redirects.
    /// <paramref name="resendOnKeepAliveRace"/>: for the tests that change the set of replicas (the
    /// gateway reloads then), a request whose reused keep-alive connection the gateway closed is sent
    /// again, as curl does (<see cref="KeepAliveRaceRetryHandler"/>); every other test sees every failure.</summary>
    public HttpClient CreateClient(bool http2 = false, bool resendOnKeepAliveRace = false)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            EnableMultipleHttp2Connections = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) => ValidateAgainstGatewayCertificate(cert, errors),
            },
        };
        var client = new HttpClient(resendOnKeepAliveRace ? new KeepAliveRaceRetryHandler(handler) : handler)
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
        if (http2)
        {
            client.DefaultRequestVersion = HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        return client;
    }

    private bool ValidateAgainstGatewayCertificate(X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null) return false;
        // Name mismatch is a real error; an unknown root is expected (self-signed) and checked below.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(GatewayCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
    }

    public AuthenticationHeaderValue BasicAuth(string? user = null, string? password = null) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? User}:{password ?? Password}")));

    /// <summary>A POST /predict request with the right credentials unless told otherwise.</summary>
    public HttpRequestMessage PredictRequest(string? jsonBody, AuthenticationHeaderValue? auth = null,
        string? experimentGroup = null, bool authenticate = true, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(HttpsBase, "/predict"));
        if (jsonBody is not null)
            request.Content = new StringContent(jsonBody, Encoding.UTF8, contentType);
        if (authenticate)
            request.Headers.Authorization = auth ?? BasicAuth();
        if (experimentGroup is not null)
            request.Headers.TryAddWithoutValidation("X-Experiment-Group", experimentGroup);
        return request;
    }

    public sealed record BurstResult(int Status, int NewConnections, string ContentType, string RetryAfter, string Body);

    /// <summary>
    /// Sends <paramref name="count"/> authenticated POST /predict at once as streams of one HTTP/2
    /// connection, with curl (credentials through its config on stdin, not the command line).
    /// </summary>
    /// <remarks>
    /// Debian's curl 7.88 sometimes never ends a transfer whose stream nginx answered before reading
    /// its body (a 429 decided on the HEADERS frame, then RST_STREAM NO_ERROR): the response is all
    /// there, curl still waits to send, and exits 28 at --max-time (curl/curl#11157, fixed in 8.1).
    /// 2 bursts in 250 did so on 3 December, each time the last 429, while nghttp2's own client over
    /// the same gateway did not in 250. Such a timeout is accepted only when every transfer
    /// ended well or timed out with its whole body received (Content-Length bytes); anything less fails.
    /// </remarks>
    public IReadOnlyList<BurstResult> Burst(int count, string jsonBody)
    {
        var bodies = Directory.CreateTempSubdirectory("burst-");
        try
        {
            var config = new StringBuilder()
                .AppendLine($"user = \"{User}:{Password}\"")
                .AppendLine("header = \"Content-Type: application/json\"")
                .AppendLine($"data = \"{jsonBody.Replace("\"", "\\\"")}\"")
                .AppendLine("write-out = \"%{http_code}\\t%{num_connects}\\t%{content_type}\\t%header{retry-after}\\t%{exitcode}\\t%{size_download}\\t%header{content-length}\\t%{filename_effective}\\n\"");
            for (var i = 0; i < count; i++)
                config.AppendLine($"url = \"{new Uri(HttpsBase, "/predict")}\"")
                      .AppendLine($"output = \"{Path.Combine(bodies.FullName, $"{i}.json")}\"");

            var certificate = Path.Combine(RepoLayout.Root, "deployments", "nginx", "certs", "nginx.crt");
            var (code, output) = Shell.Run("curl",
                ["--http2", "--parallel", "--parallel-max", count.ToString(CultureInfo.InvariantCulture),
                 "--silent", "--show-error", "--no-progress-meter", "--max-time", "10", "--cacert", certificate, "--config", "-"],
                TimeSpan.FromSeconds(30), stdin: config.ToString());
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('\t'))
                .Where(f => f.Length == 8 && Regex.IsMatch(f[0], @"^[1-5]\d{2}$"))
                .ToList();
            if (code != 0 && !EveryTransferAnswered(lines, count))
                throw new InvalidOperationException($"curl burst failed ({code}): {output}");
            return lines
                .Select(f => new BurstResult(int.Parse(f[0], CultureInfo.InvariantCulture),
                    int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3], File.ReadAllText(f[7])))
                .ToList();
        }
        finally
        {
            bodies.Delete(recursive: true);
        }
    }

    /// <summary>A burst's write-out lines (status, connects, type, Retry-After, exit code, bytes,
    /// Content-Length, file): one per transfer, each ended well (exit code 0) or timed out (28) with its
    /// whole Content-Length received.</summary>
    public static bool EveryTransferAnswered(IReadOnlyList<string[]> lines, int count) =>
        lines.Count == count
        && lines.All(f => f[4] == "0" || (f[4] == "28" && f[6].Length > 0 && f[5] == f[6]));

    public static string SentenceBody(string sentence) =>
        System.Text.Json.JsonSerializer.Serialize(new { sentence });

    /// <summary>Waits until at least <see cref="PredictPace"/> has passed since the previous paced
    /// request, so that feature tests stay under the gateway's rate limit.</summary>
    public async Task<HttpResponseMessage> SendPacedAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct = default)
    {
        await _pace.WaitAsync(ct);
        try
        {
            var wait = _gap - System.Diagnostics.Stopwatch.GetElapsedTime(_last);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            var response = await client.SendAsync(request, ct);
            (_last, _gap) = (System.Diagnostics.Stopwatch.GetTimestamp(), PredictPace);
            return response;
        }
        finally
        {
            _pace.Release();
        }
    }

    /// <summary>Records that a burst just emptied the limiter (the rate-limit test): the next paced
    /// request waits <paramref name="drain"/> first.</summary>
    public void NoteBurst(TimeSpan drain) => (_last, _gap) = (System.Diagnostics.Stopwatch.GetTimestamp(), drain);
}
