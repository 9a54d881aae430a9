using System.Diagnostics;
using MlopsExam.Tests.Gateway;
using MlopsExam.Tooling;

namespace MlopsExam.Tests.Cluster;

/// <summary>
/// The three-node swarm of `make cluster-up` + `make cluster-deploy` (scripts/cluster.sh): nodes mlopsexam-node1..3
/// (Docker-in-Docker), a registry, the stack from docker-stack.yml + docker-stack.cluster.yml; the gateway on node1,
/// reached at https://127.0.0.1:CLUSTER_HTTPS_PORT (9443). Made once for every class of <see cref="ClusterCollection"/>
/// and removed afterwards (`cluster.sh down`: nodes, registry, volumes, network, host files).
/// </summary>
public sealed class ClusterStack : GatewayStack
{
    public const string Stack = "mlopsexam";
    public static readonly string[] Nodes = ["node1", "node2", "node3"];
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    public static readonly string RunDir = Environment.GetEnvironmentVariable("CLUSTER_RUN_DIR") is { Length: > 0 } dir ? dir : "/run/mlopsexam-cluster";

    /// <summary>How long `cluster.sh up` and `cluster.sh deploy` took (printed, never asserted).</summary>
    public TimeSpan UpTime { get; private set; }
    public TimeSpan DeployTime { get; private set; }

    /// <summary>CLUSTER_KEEP=1, for working on these tests: a cluster already up is used (up and deploy are idempotent:
    /// nothing is pushed again), and left running afterwards (`make cluster-down` ends it).</summary>
    private static readonly bool Keep = Environment.GetEnvironmentVariable("CLUSTER_KEEP") == "1";

    public override async Task InitializeAsync()
    {
        DockerPrerequisite.EnsureRunning();
        if (!Keep) Script(["down"], TimeSpan.FromMinutes(3));
        var (envCode, envOutput) = Shell.Run(RepoLayout.Path("scripts", "generate-env.sh"), [], TimeSpan.FromSeconds(30));
        if (envCode != 0) throw new InvalidOperationException($"scripts/generate-env.sh failed ({envCode}): {envOutput}");
        try
        {
            var clock = Stopwatch.StartNew();
            Script(["up"], SetupTimeout, check: true);
            UpTime = clock.Elapsed;
            clock.Restart();
            Script(["deploy"], SetupTimeout, check: true);
            DeployTime = clock.Elapsed;
            Console.WriteLine($"cluster up in {UpTime.TotalSeconds:F0} s, deployed (build, push, pull, converge) in {DeployTime.TotalSeconds:F0} s");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
        UseDotEnvSettings();
        var https = Environment.GetEnvironmentVariable("CLUSTER_HTTPS_PORT") is { Length: > 0 } port ? port : "9443";
        var http = Environment.GetEnvironmentVariable("CLUSTER_HTTP_PORT") is { Length: > 0 } port2 ? port2 : "9080";
        HttpsBase = new Uri($"https://127.0.0.1:{https}/");
        HttpBase = new Uri($"http://127.0.0.1:{http}/");
        await WarmUpAsync();
    }

    /// <summary>The first TLS connection of this process (JIT, certificate chain) can outlast the clients' 5 s connect
    /// timeout on a loaded machine (the first test failed so, twice): GET /healthz until it answers, a minute at most.</summary>
    private async Task WarmUpAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var tried = Stopwatch.StartNew();
            try
            {
                using var client = CreateClient();
                using var response = await client.GetAsync(new Uri(HttpsBase, "/healthz"));
                Console.WriteLine($"warm-up: GET /healthz attempt {attempt}: {(int)response.StatusCode} in {tried.Elapsed.TotalSeconds:F2} s ({clock.Elapsed.TotalSeconds:F1} s in all)");
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Console.WriteLine($"warm-up: GET /healthz attempt {attempt} failed after {tried.Elapsed.TotalSeconds:F2} s: {e.GetType().Name}: {e.Message}");
            }
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{HttpsBase}healthz did not answer within a minute.");
            await Task.Delay(1000);
        }
    }

    public override Task DisposeAsync()
    {
        if (!Keep) Script(["down"], TimeSpan.FromMinutes(3), check: true);
        return Task.CompletedTask;
    }

    private static string Script(IReadOnlyList<string> args, TimeSpan timeout, bool check = false)
    {
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "cluster.sh"), args, timeout);
        if (check && code != 0) throw new InvalidOperationException($"scripts/cluster.sh {string.Join(' ', args)} failed ({code}):\n{output}");
        return output;
    }

    /// <summary>docker against one node's own daemon (its socket in CLUSTER_RUN_DIR); node1 is a manager.</summary>
    public static Task<ProcessResult> OnNodeAsync(string node, IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null) =>
        DockerCli.RunCheckedAsync(["-H", $"unix://{RunDir}/{node}/docker.sock", .. args], timeout ?? CommandTimeout, ct);

    public static Task<ProcessResult> ManagerAsync(IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null) =>
        OnNodeAsync("node1", args, ct, timeout);

    /// <summary>A question to node1 while a manager is being lost: its stdout, or "" when it failed (a leader election
    /// after the leader's loss answers "The swarm does not have a leader" for a few seconds). For loops that ask again.</summary>
    public static async Task<string> AskManagerAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var result = await DockerCli.RunAsync(["-H", $"unix://{RunDir}/node1/docker.sock", .. args], CommandTimeout, ct);
        return result.ExitCode == 0 ? result.Stdout : "";
    }

    /// <summary>The running containers of a stack service on each node that answers: node -> container ids.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> TasksByNodeAsync(string service, CancellationToken ct, IEnumerable<string>? nodes = null)
    {
        var found = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var node in nodes ?? Nodes)
        {
            var ids = (await OnNodeAsync(node, ["ps", "--filter", $"label=com.docker.swarm.service.name={Stack}_{service}", "--format", "{{.ID}}"], ct)).Stdout;
            found[node] = ids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        return found;
    }

    /// <summary>The node whose container id starts with <paramref name="instance"/> (a task's hostname is its short id).</summary>
    public static string? NodeOf(IReadOnlyDictionary<string, IReadOnlyList<string>> tasks, string? instance) =>
        instance is null ? null : tasks.FirstOrDefault(t => t.Value.Any(id => id.StartsWith(instance, StringComparison.Ordinal))).Key;

    /// <summary>Each service's running and wanted tasks ("3/3"), as `docker service ls` shows them, without the
    /// placement note it appends for a service with max_replicas_per_node ("3/3 (max 2 per node)": api-v1 here).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReplicasAsync(CancellationToken ct) =>
        (await ManagerAsync(["service", "ls", "--format", "{{.Name}} {{.Replicas}}"], ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 3)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>One answer of the steady client: status (0 when the request failed without one), the replica that
    /// answered, how long it took, when it was sent (from the start of the traffic), and the replicas the gateway tried
    /// (X-Upstream-Addr: "a:8080, b:8080" when it tried a second one).</summary>
    public sealed record Answer(int Status, string? Instance, TimeSpan Took, TimeSpan SentAt, string? Upstreams = null)
    {
        public int Tries => Upstreams is null ? 0 : Upstreams.Split(',').Length;
    }

    /// <summary>One client, one request at a time at the tests' pace (under the rate limit), the keep-alive resend the
    /// other Swarm tests use, until <paramref name="operation"/> ends, then <paramref name="after"/> more. A request that
    /// fails without an answer is recorded as status 0 (lost), never thrown.</summary>
    public async Task<List<Answer>> UnderSteadyTrafficAsync(Func<CancellationToken, Task> operation, TimeSpan after, CancellationToken ct)
    {
        using var client = CreateClient(resendOnKeepAliveRace: true);
        var results = new List<Answer>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                var sentAt = clock.Elapsed;
                try
                {
                    using var response = await SendPacedAsync(client, PredictRequest(SentenceBody($"steady request {results.Count}")), ct);
                    var instance = response.Headers.TryGetValues("X-Instance-Id", out var values) ? values.Single() : null;
                    var upstreams = response.Headers.TryGetValues("X-Upstream-Addr", out var addresses) ? string.Join(", ", addresses) : null;
                    results.Add(new Answer((int)response.StatusCode, instance, clock.Elapsed - sentAt, sentAt, upstreams));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    results.Add(new Answer(0, null, clock.Elapsed - sentAt, sentAt));
                }
            }
        }, ct);
        await Task.Delay(1000, ct);
        await operation(ct);
        await Task.Delay(after, ct);
        await stop.CancelAsync();
        await traffic;
        return results;
    }

    /// <summary>The figures a fault test prints: requests, answered 200, lost, slower than 1 s, tried on a second replica
    /// by the gateway; then each slow or failed request.</summary>
    public static string Summary(string what, IReadOnlyList<Answer> results) =>
        $"{what}: {results.Count} requests, {results.Count(r => r.Status == 200)} x 200, {results.Count(r => r.Status != 200)} not 200 "
        + $"({results.Count(r => r.Status == 0)} without an answer), {results.Count(r => r.Took > TimeSpan.FromSeconds(1))} took over 1 s "
        + $"(longest {results.Max(r => r.Took).TotalSeconds:F2} s), {results.Count(r => r.Tries > 1)} tried again by the gateway on another replica"
        + string.Concat(results.Where(r => r.Status != 200 || r.Took > TimeSpan.FromSeconds(1))
            .Select(r => $"\n  at {r.SentAt.TotalSeconds:F1} s: {r.Status} after {r.Took.TotalSeconds:F2} s, upstreams {r.Upstreams ?? "-"}"));

    public override async Task<string> GetReplicaLogsAsync(string instanceId, CancellationToken ct)
    {
        foreach (var node in Nodes)
        {
            var logs = await DockerCli.RunAsync(["-H", $"unix://{RunDir}/{node}/docker.sock", "logs", instanceId], CommandTimeout, ct);
            if (logs.ExitCode == 0) return logs.Stdout + logs.Stderr;
        }
        throw new InvalidOperationException($"No node runs container {instanceId}.");
    }

    public override async Task<IReadOnlyDictionary<string, string>> ContainerIdsAsync(CancellationToken ct)
    {
        var found = new Dictionary<string, string>();
        foreach (var service in new[] { "gateway", "gateway-exporter", "prometheus", "api-v1", "api-v2" })
            if ((await TasksByNodeAsync(service, ct)).Values.SelectMany(ids => ids).FirstOrDefault() is { } id) found[service] = id;
        return found;
    }

    /// <summary>Prometheus publishes nothing: asked from inside its task on the state node (node1).</summary>
    public override async Task<string> QueryPrometheusAsync(string pathAndQuery, CancellationToken ct)
    {
        var container = (await TasksByNodeAsync("prometheus", ct, ["node1"]))["node1"].FirstOrDefault()
            ?? throw new InvalidOperationException("No prometheus task runs on node1.");
        return (await OnNodeAsync("node1", ["exec", container, "wget", "-qO-", "http://localhost:9090" + pathAndQuery], ct)).Stdout;
    }

    public override bool SupportsNoNewPrivileges => false;
    public override bool PublishesPrometheusOnLoopback => false;
}

/// <summary>The cluster's test classes share one cluster, and run alone: it loads the whole (2-core) machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterStack>
{
    public const string Name = "three-node swarm (make cluster-up)";
}
