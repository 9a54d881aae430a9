using System.Globalization;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Swarm;

/// <summary>
/// Deploys docker-stack.yml on a single-node Docker Swarm, as `make swarm-up` does (scripts/swarm.sh),
/// once per test class, and removes the stack afterwards (the swarm itself stays; images stay).
/// </summary>
public sealed class SwarmStack : GatewayStack
{
    public const string Name = "mlopsexam";
    private static readonly TimeSpan DeployTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public override async Task InitializeAsync()
    {
        DockerPrerequisite.EnsureRunning();
        var (envCode, envOutput) = Shell.Run(RepoLayout.Path("scripts", "generate-env.sh"), [], TimeSpan.FromSeconds(30));
        if (envCode != 0) throw new InvalidOperationException($"scripts/generate-env.sh failed ({envCode}): {envOutput}");
        // From nothing: a stack left by a previous run, and Prometheus's old series, go first.
        Shell.Run(RepoLayout.Path("scripts", "swarm.sh"), ["down", "--volumes"], TimeSpan.FromMinutes(3));
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "swarm.sh"), ["up"], DeployTimeout);
        if (code != 0)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"scripts/swarm.sh up failed ({code}; ports 80/443 taken by another stack?):\n{output}");
        }

        UseDotEnvSettings();
    }

    public override Task DisposeAsync()
    {
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "swarm.sh"), ["down", "--volumes"], TimeSpan.FromMinutes(3));
        return code == 0 ? Task.CompletedTask : throw new InvalidOperationException($"scripts/swarm.sh down failed: {output}");
    }

    /// <summary>Running containers of a stack service (<c>api-v1</c>), oldest task first.</summary>
    public static async Task<IReadOnlyList<string>> TaskContainersAsync(string service, CancellationToken ct) =>
        (await DockerCli.RunCheckedAsync(["ps", "--filter", $"label=com.docker.swarm.service.name={Name}_{service}", "--format", "{{.ID}}"], CommandTimeout, ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse().ToList();

    public override async Task<IReadOnlyDictionary<string, string>> ContainerIdsAsync(CancellationToken ct)
    {
        var found = new Dictionary<string, string>();
        foreach (var service in new[] { "gateway", "gateway-exporter", "prometheus", "api-v1", "api-v2" })
            if ((await TaskContainersAsync(service, ct)) is [var first, ..]) found[service] = first;
        return found;
    }

    /// <summary>A task's hostname is its container's short id, which `docker logs` takes; a task that
    /// was replaced (rolling update) is looked up among stopped containers too.</summary>
    public override async Task<string> GetReplicaLogsAsync(string instanceId, CancellationToken ct)
    {
        var logs = await DockerCli.RunCheckedAsync(["logs", instanceId], CommandTimeout, ct);
        return logs.Stdout + logs.Stderr;
    }

    /// <summary>Prometheus publishes no port under Swarm: ask it from inside its task.</summary>
    public override async Task<string> QueryPrometheusAsync(string pathAndQuery, CancellationToken ct)
    {
        var container = (await TaskContainersAsync("prometheus", ct)).FirstOrDefault()
            ?? throw new InvalidOperationException("No prometheus task is running.");
        var url = "http://localhost:9090" + pathAndQuery;
        var result = await DockerCli.RunAsync(["exec", container, "wget", "-qO-", url], CommandTimeout, ct);
        return result.ExitCode == 0 ? result.Stdout
            : throw new HttpRequestException($"GET {url} in the prometheus task failed (wget exit {result.ExitCode}): {result.Output.Trim()}");
    }

    /// <summary>The Prometheus service's published ports (none: Swarm cannot bind 127.0.0.1 alone).</summary>
    public override async Task<IReadOnlyList<string>> PrometheusPublishedPortsAsync(CancellationToken ct)
    {
        var ports = (await DockerCli.RunCheckedAsync(["service", "inspect", $"{Name}_prometheus", "--format", "{{range .Endpoint.Ports}}{{.PublishedPort}} {{end}}"], CommandTimeout, ct)).Stdout;
        return ports.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Swarm services cannot set no-new-privileges (security_opt is ignored), nor publish on 127.0.0.1.</summary>
    public override bool SupportsNoNewPrivileges => false;
    public override bool PublishesPrometheusOnLoopback => false;
    public override IReadOnlySet<string> WritableRootServices { get; } = new HashSet<string> { "gateway", "prometheus" };

    public static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The gateway features against the Swarm stack: the same tests, from the same code, as
/// the AppHost and compose stacks; then what Swarm adds, rolling updates and scaling, under traffic.
/// Each operation leaves api-v1 at three running tasks.</summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class SwarmGatewayTests(SwarmStack stack)
    : GatewayFeatureTests<SwarmStack>(stack), IClassFixture<SwarmStack>
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(4);

    private async Task<(int Status, string? Instance)> PredictOnceAsync(HttpClient client, string sentence, CancellationToken ct)
    {
        using var response = await Stack.SendPacedAsync(client, Stack.PredictRequest(GatewayStack.SentenceBody(sentence)), ct);
        var instance = response.Headers.TryGetValues("X-Instance-Id", out var values) ? values.Single() : null;
        return ((int)response.StatusCode, instance);
    }

    /// <summary>Requests at the tests' pace (under the rate limit) until <paramref name="operation"/> ends,
    /// then a few seconds more.</summary>
    private async Task<List<(int Status, string? Instance)>> UnderSteadyTrafficAsync(Func<CancellationToken, Task> operation, CancellationToken ct)
    {
        using var client = Stack.CreateClient(resendOnKeepAliveRace: true);
        var results = new List<(int, string?)>();
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                results.Add(await PredictOnceAsync(client, $"steady request {results.Count}", ct));
        }, ct);
        await Task.Delay(1000, ct);
        await operation(ct);
        await Task.Delay(3000, ct);
        await stop.CancelAsync();
        await traffic;
        return results;
    }

    private static Task ServiceAsync(CancellationToken ct, params string[] args) =>
        DockerCli.RunCheckedAsync(["service", .. args], OperationTimeout, ct);

    [Fact]
    public async Task A_forced_rolling_update_of_api_v1_under_traffic_loses_no_request()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var before = await SwarmStack.TaskContainersAsync("api-v1", deadline.Token);
        // --force replaces every task (start-first, one at a time: docker-stack.yml); without --detach
        // the command returns once the update has converged.
        var results = await UnderSteadyTrafficAsync(ct => ServiceAsync(ct, "update", "--force", "--quiet", $"{SwarmStack.Name}_api-v1"), deadline.Token);
        var after = await SwarmStack.TaskContainersAsync("api-v1", deadline.Token);

        Console.WriteLine($"rolling update of api-v1: {results.Count} requests, {results.Count(r => r.Status == 200)} x 200");
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, r => Assert.Equal(200, r.Status));
        // Every task was replaced, and the new ones answer.
        Assert.Empty(before.Intersect(after));
        Assert.Equal(3, after.Count);
        Assert.Contains(results.TakeLast(10), r => after.Any(c => c.StartsWith(r.Instance!, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Scaling_api_v1_to_6_is_followed_by_the_gateway()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        using var client = Stack.CreateClient(resendOnKeepAliveRace: true);
        try
        {
            await ServiceAsync(deadline.Token, "scale", $"{SwarmStack.Name}_api-v1=6");
            var scaled = System.Diagnostics.Stopwatch.StartNew();
            var instances = new HashSet<string>();
            while (instances.Count < 6)
            {
                var (status, instance) = await PredictOnceAsync(client, "who answers after scaling to six?", deadline.Token);
                Assert.Equal(200, status);
                instances.Add(instance!);
            }
            Console.WriteLine($"6 distinct tasks answered {scaled.Elapsed.TotalSeconds:F1} s after `docker service scale api-v1=6` returned");

            // Back to 3 under traffic: the three removed tasks cost no request.
            var results = await UnderSteadyTrafficAsync(ct => ServiceAsync(ct, "scale", $"{SwarmStack.Name}_api-v1=3"), deadline.Token);
            Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
            Assert.All(results, r => Assert.Equal(200, r.Status));
        }
        finally
        {
            await ServiceAsync(CancellationToken.None, "scale", $"{SwarmStack.Name}_api-v1=3");
        }
    }
}
