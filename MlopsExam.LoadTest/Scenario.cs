namespace MlopsExam.LoadTest;

/// <summary>One run's figures, the CPU each container used during it, and upstream connection reuse.</summary>
internal sealed record RunReport(
    string Name,
    string Target,
    string Protocol,
    int Clients,
    double? OfferedRps,
    RunFigures Figures,
    IReadOnlyDictionary<string, double> CpuPercent,
    double? UpstreamConnectionsPer1000,
    int Round = 0);

/// <summary>The containers and host processes whose CPU every run reports.</summary>
internal sealed class Watched(Container gateway, IReadOnlyList<Container> v1, IReadOnlyList<Container> v2, IReadOnlyList<Container> postgres,
    IReadOnlyList<Container> dashboard, HostProcess? dockerd)
{
    /// <summary>The same, with another container in the gateway's column (the reference proxy of (d)).</summary>
    public Watched InFrontOf(Container proxy) => new(proxy, v1, v2, postgres, dashboard, dockerd);

    public Container Gateway { get; } = gateway;

    public Dictionary<string, TimeSpan> Sample()
    {
        var cpu = new Dictionary<string, TimeSpan>
        {
            ["gateway"] = Gateway.CpuUsed(),
            ["api-v1 (all)"] = v1.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.CpuUsed()),
            ["api-v2"] = v2.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.CpuUsed()),
        };
        // The payload log's database: what logging every answer costs shows here as well as in the replicas.
        if (postgres.Count > 0) cpu["postgres"] = postgres.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.CpuUsed());
        // The telemetry's receiver (OTLP): what exporting traces, logs and metrics costs shows here as well.
        if (dashboard.Count > 0) cpu["dashboard"] = dashboard.Aggregate(TimeSpan.Zero, (sum, c) => sum + c.CpuUsed());
        if (dockerd is not null) cpu["dockerd"] = dockerd.CpuUsed();
        return cpu;
    }

    /// <summary>Percent of one core, per entry, between two samples.</summary>
    public static Dictionary<string, double> Percent(Dictionary<string, TimeSpan> before, Dictionary<string, TimeSpan> after, TimeSpan wall) =>
        after.ToDictionary(kv => kv.Key, kv => Math.Round(100 * (kv.Value - before[kv.Key]).TotalSeconds / wall.TotalSeconds, 1));
}

internal static class Scenario
{
    /// <summary>(a): the replicas themselves, each loaded from inside its own network namespace at once.</summary>
    public static async Task<RunReport> DirectAsync(string name, IReadOnlyList<Container> replicas, Options options,
        string contentType, string body, double? totalRate, Watched watched, string workDir, bool quiet = false)
    {
        var perReplica = SplitEvenly(options.Clients, replicas.Count);
        var specs = replicas.Select((replica, i) => new LoadSpec(
            "http://127.0.0.1:8080/predict", Http2: false, perReplica[i], 1, options.Duration, options.WarmUp,
            totalRate is { } r ? r / options.Clients : null, [contentType], body)).ToList();
        await Task.WhenAll(replicas.Select((replica, i) => H2Load.WarmUpAsync(replica.Pid, specs[i], workDir)));
        var before = watched.Sample();
        var started = DateTime.UtcNow;
        var outcomes = await Task.WhenAll(replicas.Select((replica, i) => H2Load.RunInNamespaceAsync(replica.Pid, specs[i], workDir)));
        var cpu = Watched.Percent(before, watched.Sample(), DateTime.UtcNow - started);

        var figures = RunFigures.FromSamples(
            outcomes.SelectMany(o => o.LatenciesMs).ToList(),
            outcomes.Sum(o => o.Requests), outcomes.Sum(o => o.Ok), outcomes.Sum(o => o.Non2xx), outcomes.Sum(o => o.Errors),
            outcomes.Max(o => o.Seconds));
        var run = new RunReport(name, $"{replicas.Count} x api-v1", "HTTP/1.1", options.Clients, totalRate, figures, cpu, null);
        return quiet ? run : Print(run);
    }

    /// <summary>(b): the gateway, from inside its network namespace, with its production configuration
    /// (or, with <paramref name="url"/> and <paramref name="target"/>, (d): the reference proxy).</summary>
    public static async Task<RunReport> GatewayAsync(string name, Container gateway, bool http2, Options options,
        IReadOnlyList<string> headers, string body, double? totalRate, Watched watched, string workDir, bool quiet = false,
        string url = "https://127.0.0.1:8443/predict", string target = "gateway")
    {
        // HTTP/2: the same number of concurrent requests as streams over a quarter of the connections.
        var (clients, streams) = http2 ? (Math.Max(1, options.Clients / 4), 4) : (options.Clients, 1);
        var spec = new LoadSpec(
            url, http2, clients, streams, options.Duration, options.WarmUp,
            totalRate is { } r ? r / clients : null, headers, body);
        await H2Load.WarmUpAsync(gateway.Pid, spec, workDir);
        var before = watched.Sample();
        var opensBefore = gateway.TcpActiveOpens();
        var started = DateTime.UtcNow;
        var outcome = await H2Load.RunInNamespaceAsync(gateway.Pid, spec, workDir);
        var cpu = Watched.Percent(before, watched.Sample(), DateTime.UtcNow - started);
        // Connections the gateway's namespace opened, less h2load's own client connections.
        var upstreamOpens = Math.Max(0, gateway.TcpActiveOpens() - opensBefore - clients);

        var figures = RunFigures.FromSamples(outcome.LatenciesMs, outcome.Requests, outcome.Ok, outcome.Non2xx, outcome.Errors, outcome.Seconds);
        var per1000 = outcome.Requests > 0 ? Math.Round(1000.0 * upstreamOpens / outcome.Requests, 3) : (double?)null;
        var run = new RunReport(name, target, http2 ? $"HTTP/2 ({clients}x{streams})" : "HTTP/1.1", options.Clients, totalRate, figures, cpu, per1000);
        return quiet ? run : Print(run);
    }

    private static int[] SplitEvenly(int total, int parts) =>
        Enumerable.Range(0, parts).Select(i => Math.Max(1, total / parts + (i < total % parts ? 1 : 0))).ToArray();

    private static RunReport Print(RunReport run)
    {
        var f = run.Figures;
        Console.WriteLine($"  {run.Name,-18} {f.RequestsPerSecond,9:0} req/s  p50 {f.P50Ms,7:0.00} ms  p99 {f.P99Ms,7:0.00} ms  {(f.Clean ? "ok" : $"FAILED: {f.Non2xx} non-2xx, {f.Errors} errors")}");
        return run;
    }
}
