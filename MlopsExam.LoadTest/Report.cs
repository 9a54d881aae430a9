using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

internal sealed record LoadTestReport(
    DateTimeOffset When,
    int Cpus,
    string Machine,
    string Tool,
    int Clients,
    double SecondsPerRun,
    IReadOnlyList<RunReport> Runs);

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
    /// <summary>The reference solution measured in the issue that asked for this benchmark (a FastAPI +
    /// scikit-learn solution of the same exercise, 3 replicas behind nginx, same machine kind): not
    /// re-measured here, printed for the ratio the target names.</summary>
    public const double PythonSolutionRps = 856;

    public static void PrintTable(LoadTestReport report)
    {
        Console.WriteLine();
        var cpuKeys = report.Runs.SelectMany(r => r.CpuPercent.Keys).Distinct().ToList();
        var header = $"{"run",-18} {"target",-12} {"protocol",-14} {"offered",8} {"req/s",8} {"p50 ms",7} {"p90 ms",7} {"p99 ms",7} {"max ms",7} {"non-2xx",7} {"errors",6} {"upstr/1k",8}  CPU % of a core: {string.Join(", ", cpuKeys)}";
        Console.WriteLine(header);
        Console.WriteLine(new string('-', header.Length));
        foreach (var r in report.Runs)
        {
            var f = r.Figures;
            var cpu = string.Join(" / ", cpuKeys.Select(k => r.CpuPercent.TryGetValue(k, out var v) ? $"{v:0}" : "-"));
            Console.WriteLine($"{r.Name,-18} {r.Target,-12} {r.Protocol,-14} {(r.OfferedRps is { } o ? o.ToString("0") : "max"),8} {f.RequestsPerSecond,8:0} {f.P50Ms,7:0.00} {f.P90Ms,7:0.00} {f.P99Ms,7:0.00} {f.MaxMs,7:0.0} {f.Non2xx,7} {f.Errors,6} {(r.UpstreamConnectionsPer1000 is { } u ? u.ToString("0.00") : "-"),8}  {cpu}{(f.Clean ? "" : "  FAILED")}");
        }

        var direct = report.Runs.First(r => r.Name.StartsWith("a ", StringComparison.Ordinal));
        Console.WriteLine();
        Console.WriteLine("Ratios (same run):");
        foreach (var b in report.Runs.Where(r => r.Name.StartsWith("b ", StringComparison.Ordinal)))
            Console.WriteLine($"  {b.Name} / a direct:  {b.Figures.RequestsPerSecond / direct.Figures.RequestsPerSecond:0.00} x throughput   (target >= 0.5);  vs the Python solution's {PythonSolutionRps:0} req/s: {b.Figures.RequestsPerSecond / PythonSolutionRps:0.0} x (target >= 5)");
        var viaH1 = report.Runs.FirstOrDefault(r => r.Name == "b gateway h1");
        foreach (var d in report.Runs.Where(r => r.Name.StartsWith("d ", StringComparison.Ordinal)))
            Console.WriteLine($"  {d.Name} / a direct:  {d.Figures.RequestsPerSecond / direct.Figures.RequestsPerSecond:0.00} x   (an nginx hop without the gateway's features)"
                + (viaH1 is null ? "" : $";  b gateway h1 / {d.Name}: {viaH1.Figures.RequestsPerSecond / d.Figures.RequestsPerSecond:0.00} x"));
        foreach (var g in report.Runs.Where(r => r.Name.StartsWith("c gateway", StringComparison.Ordinal)))
        {
            var d = report.Runs.FirstOrDefault(r => r.Name.StartsWith("c direct", StringComparison.Ordinal) && r.OfferedRps == g.OfferedRps);
            if (d is null) continue;
            Console.WriteLine($"  at {g.OfferedRps:0} req/s: gateway p50 {g.Figures.P50Ms:0.00} ms vs direct {d.Figures.P50Ms:0.00} ms (+{g.Figures.P50Ms - d.Figures.P50Ms:0.00} ms; target <= 1 at half of max), gateway p99 {g.Figures.P99Ms:0.00} ms (target < 20)");
        }
    }
}
