using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

internal sealed record LoadTestReport(
    DateTimeOffset When,
    int Cpus,
    string Machine,
    string Tool,
    int Clients,
    double SecondsPerRun,
    IReadOnlyList<RunReport> Runs,
    PayloadLogCounters? PayloadLog = null);

internal static class Machine
{
    public static string Describe()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        return $"{model ?? "unknown CPU"}, {(memory is null ? "?" : $"{long.Parse(memory, System.Globalization.CultureInfo.InvariantCulture) / 1024 / 1024} GiB")}";
    }

    public static string H2LoadVersion()
    {
        try { return ProcessRunner.RunAsync("h2load", ["--version"], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult().Stdout.Trim(); }
        catch (System.ComponentModel.Win32Exception) { throw new InvalidOperationException("h2load is missing: `make loadtest` installs Debian's nghttp2-client."); }
    }
}

internal static class Report
{

    /// <summary>CPU time the stack's containers (not dockerd, not the load generator) spent per answered
    /// request, in microseconds: less noisy than throughput on a shared machine, and where a cost added
    /// to the request path (or to the database behind it) shows first.</summary>
    public static double CpuPerRequest(RunReport run) =>
        run.Figures.RequestsPerSecond > 0
            ? run.CpuPercent.Where(kv => kv.Key != "dockerd").Sum(kv => kv.Value) * 1e4 / run.Figures.RequestsPerSecond
            : double.NaN;

    public static void PrintTable(LoadTestReport report)
    {
        var runs = report.Runs;
        var rounds = runs.Where(r => r.Round > 0).Select(r => r.Round).Distinct().Count();
        var cpuKeys = runs.SelectMany(r => r.CpuPercent.Keys).Distinct().ToList();
        var header = $"{"run",-18} {"target",-12} {"protocol",-14} {"offered",8} {"req/s",8} {"spread",13} {"p50 ms",7} {"p90 ms",7} {"p99 ms",7} {"max ms",7} {"non-2xx",7} {"errors",6} {"upstr/1k",8} {"CPU µs/req",10}  CPU % of a core: {string.Join(", ", cpuKeys)}";
        Console.WriteLine();
        Console.WriteLine($"Full speed: the median of {rounds} round(s) by req/s (its p50/p99 are that round's); spread = lowest-highest req/s over the rounds.");
        Console.WriteLine(header);
        Console.WriteLine(new string('-', header.Length));
        string Row(RunReport r, string spread)
        {
            var f = r.Figures;
            var cpu = string.Join(" / ", cpuKeys.Select(k => r.CpuPercent.TryGetValue(k, out var v) ? $"{v:0}" : "-"));
            return $"{r.Name,-18} {r.Target,-12} {r.Protocol,-14} {(r.OfferedRps is { } o ? o.ToString("0") : "max"),8} {f.RequestsPerSecond,8:0} {spread,13} {f.P50Ms,7:0.00} {f.P90Ms,7:0.00} {f.P99Ms,7:0.00} {f.MaxMs,7:0.0} {f.Non2xx,7} {f.Errors,6} {(r.UpstreamConnectionsPer1000 is { } u ? u.ToString("0.00") : "-"),8} {CpuPerRequest(r),10:0}  {cpu}";
        }
        foreach (var median in Rounds.Medians(runs))
        {
            var (min, max) = Rounds.Spread(runs, median.Name);
            var failed = Rounds.Of(runs, median.Name).Count(r => !r.Figures.Clean);
            Console.WriteLine(Row(median, $"{min:0}-{max:0}") + (failed > 0 ? $"  FAILED in {failed} round(s)" : ""));
        }
        var sweep = runs.Where(r => r.OfferedRps is not null).ToList();
        if (sweep.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Offered-load sweep (c), once, at shares of the gateway's median maximum:");
            foreach (var r in sweep) Console.WriteLine(Row(r, "") + (r.Figures.Clean ? "" : "  FAILED"));
        }

        Console.WriteLine();
        Console.WriteLine($"Ratios of throughput, each taken within a round: median [lowest, highest] of the rounds.");
        void Ratio(string numerator, string denominator, string note)
        {
            if (Rounds.Ratio(runs, numerator, denominator) is { } q)
                Console.WriteLine($"  {numerator + " / " + denominator,-36} {q.Median,5:0.00} x  [{q.Min:0.00}, {q.Max:0.00}]  {note}");
        }
        Ratio("b gateway h1", "d nginx TLS h1", "the gateway against a bare nginx TLS hop (target >= 0.9)");
        Ratio("b gateway h1", "d nginx plain h1", "the same against plain HTTP");
        Ratio("b gateway h1", "a direct h1", "the gateway against the replicas themselves");
        Ratio("b gateway h2", "a direct h1", "over HTTP/2");
        Ratio("d nginx TLS h1", "a direct h1", "what any nginx hop over TLS costs here");
        Ratio("d nginx plain h1", "a direct h1", "and over plain HTTP");
        Ratio("b gateway h1", PythonSolution.Name, "ours, whole, against the Python solution behind a bare TLS nginx (target >= 5)");
        Ratio("d nginx TLS h1", PythonSolution.Name, "the same bare TLS nginx in front of our replicas and of Python's");

        var features = ReferenceProxy.Features.Where(f => runs.Any(r => r.Name == f.Name)).ToList();
        if (features.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("What each of the gateway's features costs: the bare TLS nginx plus that feature alone, against the bare TLS nginx, within each round.");
            foreach (var feature in features)
                if (Rounds.Ratio(runs, feature.Name, "d nginx TLS h1") is { } q)
                    Console.WriteLine($"  {feature.Name,-22} {q.Median,5:0.00} x  [{q.Min:0.00}, {q.Max:0.00}]  costs {Math.Max(0, 1 - q.Median):P0} of the hop's throughput ({feature.What})");
        }

        Console.WriteLine();
        Console.WriteLine(report.PayloadLog is { } log
            ? $"Payload log of the v1 replicas during the rounds (full load): {log.Written:0} rows written, {log.Dropped:0} dropped ({(log.Written + log.Dropped > 0 ? log.Dropped / (log.Written + log.Dropped) : 0):P2})."
            : "Payload log: no counters (the replicas run without a database, or /metrics did not answer).");

        foreach (var g in sweep.Where(r => r.Name.StartsWith("c gateway", StringComparison.Ordinal)))
        {
            var d = sweep.FirstOrDefault(r => r.Name.StartsWith("c direct", StringComparison.Ordinal) && r.OfferedRps == g.OfferedRps);
            if (d is null) continue;
            Console.WriteLine($"  at {g.OfferedRps:0} req/s: gateway p50 {g.Figures.P50Ms:0.00} ms vs direct {d.Figures.P50Ms:0.00} ms (+{g.Figures.P50Ms - d.Figures.P50Ms:0.00} ms), gateway p99 {g.Figures.P99Ms:0.00} ms");
        }
    }
}
