using System.Globalization;
using System.Text.Json;
using MlopsExam.LoadTest.Reliability;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

// make overload (make loadtest --overload): what the gateway does at and far beyond its capacity.
//
//   closed loop   h2load in the gateway's namespace with 1x, 2x, 5x and 10x the connections that
//                 saturate it (--clients, the connections of make loadtest's maximum runs) and 1,000,
//                 each connection sending its next request as soon as the last is answered;
//   open loop     a fixed rate of 1.5x the peak the closed loop reached, whatever the answers take
//                 (h2load --rps over 64 connections): the traffic of many independent clients.
//
// Per level: accepted answers (2xx) per second with their p50/p99; shed answers (503, the gateway's
// in-flight limit, or 429) with their share and p50/p99; any other non-2xx; transport errors; the
// gateway's and the replicas' resident memory after it; where the CPU went during it (h2load, the
// gateway, the replicas, postgres, the dashboard, and the whole machine), in % of one core. The rate
// limit is lifted as for make loadtest (a test's clients share one address); the in-flight limit
// (GATEWAY_MAX_INFLIGHT) is the stack's own.

/// <summary>One level of load and what came back.</summary>
internal sealed record OverloadLevel(
    string Name, int Connections, double? OfferedRps, double Seconds,
    long Accepted, long Shed, long OtherNon2xx, long Errors,
    double AcceptedRps, double AcceptedP50Ms, double AcceptedP99Ms, double ShedP50Ms, double ShedP99Ms,
    IReadOnlyDictionary<string, double> ResidentMiB, IReadOnlyDictionary<string, double>? CpuPercent = null)
{
    public double ShedShare => Accepted + Shed + OtherNon2xx + Errors > 0 ? (double)Shed / (Accepted + Shed + OtherNon2xx + Errors) : 0;
}

internal sealed record OverloadReport(
    DateTimeOffset When, int Cpus, string Machine, string Tool, string MaxInflight, double PeakRps,
    IReadOnlyDictionary<string, double> ResidentBefore, IReadOnlyDictionary<string, double> ResidentAfter,
    IReadOnlyList<OverloadLevel> Levels);

internal static class OverloadRun
{
    /// <summary>CPU columns besides the containers': h2load (this process's children), and every core's busy time.</summary>
    internal const string LoadGenerator = "h2load";
    internal const string MachineBusy = "machine";

    /// <summary>The connection counts of the closed loop: 1x, 2x, 5x and 10x the saturating count, and 1,000.</summary>
    internal static int[] ClosedLoopConnections(int saturating) =>
        [.. new[] { 1, 2, 5, 10 }.Select(f => f * saturating).Append(1000).Where(c => c >= 1).Distinct().Order()];

    /// <summary>2xx is accepted; 503 (the in-flight limit) and 429 (rate or per-address limits) are shed;
    /// -1 is a transport error (no answer); anything else is another non-2xx.</summary>
    internal static OverloadLevel Summarize(string name, int connections, double? offered, H2Load.Outcome outcome, IReadOnlyDictionary<string, double> memory,
        IReadOnlyDictionary<string, double>? cpu = null)
    {
        var accepted = new List<double>();
        var shed = new List<double>();
        long other = 0, errors = 0;
        for (var i = 0; i < outcome.Statuses.Count; i++)
        {
            var status = outcome.Statuses[i];
            if (status is >= 200 and < 300) accepted.Add(outcome.LatenciesMs[i]);
            else if (status is 503 or 429) shed.Add(outcome.LatenciesMs[i]);
            else if (status < 0) errors++;
            else other++;
        }
        var a = accepted.Order().ToArray();
        var s = shed.Order().ToArray();
        return new OverloadLevel(name, connections, offered, Math.Round(outcome.Seconds, 2), a.Length, s.Length, other, errors,
            Math.Round(outcome.Seconds > 0 ? a.Length / outcome.Seconds : 0, 1),
            RunFigures.Percentile(a, 0.50), RunFigures.Percentile(a, 0.99), RunFigures.Percentile(s, 0.50), RunFigures.Percentile(s, 0.99), memory, cpu);
    }

    public static async Task<int> RunAsync(Options options)
    {
        var repoRoot = options.RepoRoot ?? RepoRoot.Find();
        var stack = new Stack(repoRoot);
        var outDir = Path.Combine(repoRoot, ".artifacts", "loadtest");
        Directory.CreateDirectory(outDir);
        if ((await stack.ContainersAsync("gateway")).Count == 0)
            throw new InvalidOperationException("The compose stack is not running: `make up` first.");
        var body = Path.Combine(outDir, "body.json");
        File.WriteAllText(body, """{"sentence": "A gripping, beautifully acted film, though the ending drags a little."}""");
        string[] headers = ["content-type: application/json", $"authorization: {stack.BasicAuthHeader()}"];
        const string url = "https://127.0.0.1:8443/predict";

        Console.WriteLine($"make overload: {Environment.ProcessorCount} CPUs, {Machine.Describe()}; {Machine.H2LoadVersion()}; {options.Duration.TotalSeconds:0} s per level");
        Console.WriteLine("  lifting the gateway's rate limit for this run (the in-flight limit stays) ...");
        var levels = new List<OverloadLevel>();
        OverloadReport report;
        try
        {
            await stack.RecreateGatewayAsync(new Dictionary<string, string?> { ["RATE_LIMIT_RPS"] = "1000000", ["RATE_LIMIT_BURST"] = "1000000" });
            var gateway = (await stack.ContainersAsync("gateway")).Single();
            var maxInflight = (await Docker.RunAsync("inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", gateway.Id))
                .Split('\n').FirstOrDefault(e => e.StartsWith("GATEWAY_MAX_INFLIGHT=", StringComparison.Ordinal))?.Split('=', 2)[1] ?? "128 (default)";
            var v1 = await stack.ContainersAsync("api-v1");
            List<Container> watched = [gateway, .. v1];
            Dictionary<string, double> Memory() => watched.ToDictionary(c => c.Label, c => Math.Round(SoakRun.ResidentMiB(c.Id), 1));
            var cpuWatched = new Watched(gateway, v1, await stack.ContainersAsync("api-v2"), await stack.ContainersAsync("postgres"),
                await stack.ContainersAsync("dashboard"), HostProcess.Find("dockerd"));
            Dictionary<string, TimeSpan> Cpu()
            {
                var sample = cpuWatched.Sample();
                sample[LoadGenerator] = HostCpu.Children();
                sample[MachineBusy] = HostCpu.MachineBusy();
                return sample;
            }
            async Task<(H2Load.Outcome, Dictionary<string, double>)> Measured(LoadSpec spec)
            {
                var before = Cpu();
                var started = DateTime.UtcNow;
                var outcome = await H2Load.RunInNamespaceAsync(gateway.Pid, spec, outDir);
                return (outcome, Watched.Percent(before, Cpu(), DateTime.UtcNow - started));
            }

            Console.WriteLine($"  GATEWAY_MAX_INFLIGHT={maxInflight}; warming up ({options.StackWarmUp.TotalSeconds:0} s at {options.Clients} connections, not measured) ...");
            if (options.StackWarmUp > TimeSpan.Zero)
                await H2Load.RunInNamespaceAsync(gateway.Pid, new LoadSpec(url, false, options.Clients, 1, options.StackWarmUp, TimeSpan.Zero, null, headers, body), outDir);
            var before = Memory();

            foreach (var connections in ClosedLoopConnections(options.Clients))
            {
                var (outcome, cpu) = await Measured(new LoadSpec(url, false, connections, 1, options.Duration, TimeSpan.Zero, null, headers, body));
                levels.Add(Print(Summarize($"closed {connections / (double)options.Clients:0.#}x", connections, null, outcome, Memory(), cpu)));
            }
            var peak = levels.Max(l => l.AcceptedRps);
            const int openClients = 64;
            var offered = Math.Round(peak * 1.5);
            var (open, openCpu) = await Measured(new LoadSpec(url, false, openClients, 1, options.Duration, TimeSpan.Zero, offered / openClients, headers, body));
            levels.Add(Print(Summarize("open 1.5x peak", openClients, offered, open, Memory(), openCpu)));

            Console.WriteLine("  idle 10 s, then memory again ...");
            await Task.Delay(TimeSpan.FromSeconds(10));
            report = new OverloadReport(DateTimeOffset.UtcNow, Environment.ProcessorCount, Machine.Describe(), Machine.H2LoadVersion(),
                maxInflight, peak, before, Memory(), levels);
        }
        finally
        {
            Console.WriteLine("  restoring the gateway's own rate limit ...");
            await stack.RecreateGatewayAsync(new Dictionary<string, string?>());
        }

        PrintTable(report);
        var json = Path.Combine(outDir, "overload.json");
        File.WriteAllText(json, JsonSerializer.Serialize(report, Json.Options));
        var png = Path.Combine(outDir, "overload.png");
        Draw(report, png);
        Console.WriteLine($"\nfigures: {json}\nchart:   {png}");
        return report.Levels.Any(l => l.Errors > 0 || l.OtherNon2xx > 0) ? 1 : 0;
    }

    private static OverloadLevel Print(OverloadLevel l)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {l.Name,-15} {l.Connections,5} conn  accepted {l.AcceptedRps,7:0} req/s p99 {l.AcceptedP99Ms,7:0.0} ms  shed {l.ShedShare,6:P1} p99 {l.ShedP99Ms,6:0.0} ms  other {l.OtherNon2xx}  errors {l.Errors}"));
        return l;
    }

    public static void PrintTable(OverloadReport report)
    {
        Console.WriteLine();
        var names = report.ResidentBefore.Keys.ToList();
        var header = $"{"level",-15} {"conn",5} {"offered",8} {"2xx/s",7} {"2xx p50",8} {"2xx p99",8} {"shed",7} {"shed p50",9} {"shed p99",9} {"other",6} {"errors",6}  resident MiB: {string.Join(", ", names)}";
        Console.WriteLine(header);
        Console.WriteLine(new string('-', header.Length));
        foreach (var l in report.Levels)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{l.Name,-15} {l.Connections,5} {(l.OfferedRps is { } o ? o.ToString("0", CultureInfo.InvariantCulture) : "closed"),8} {l.AcceptedRps,7:0} {l.AcceptedP50Ms,8:0.0} {l.AcceptedP99Ms,8:0.0} {l.ShedShare,7:P1} {l.ShedP50Ms,9:0.00} {l.ShedP99Ms,9:0.00} {l.OtherNon2xx,6} {l.Errors,6}  ")
                + string.Join(" / ", names.Select(n => l.ResidentMiB.TryGetValue(n, out var m) ? m.ToString("0", CultureInfo.InvariantCulture) : "-")));

        // Where the two cores went: h2load shares the machine with the stack, so at the high levels the
        // cores are all busy and a core the load generator takes is not the gateway's.
        var cpuNames = report.Levels.Where(l => l.CpuPercent is not null).SelectMany(l => l.CpuPercent!.Keys).Distinct().ToList();
        if (cpuNames.Count > 0)
        {
            Console.WriteLine();
            var cpuHeader = $"{"CPU, % of a core",-15} {"conn",5}  " + string.Join(" ", cpuNames.Select(n => $"{n,12}"));
            Console.WriteLine(cpuHeader + $"   (all {report.Cpus} cores: {100 * report.Cpus})");
            Console.WriteLine(new string('-', cpuHeader.Length));
            foreach (var l in report.Levels.Where(l => l.CpuPercent is not null))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{l.Name,-15} {l.Connections,5}  ")
                    + string.Join(" ", cpuNames.Select(n => l.CpuPercent!.TryGetValue(n, out var v) ? v.ToString("0", CultureInfo.InvariantCulture).PadLeft(12) : "-".PadLeft(12))));
        }

        var closed = report.Levels.Where(l => l.OfferedRps is null).ToList();
        var tenX = closed.LastOrDefault(l => l.Name.StartsWith("closed 10x", StringComparison.Ordinal)) ?? closed.Last();
        Console.WriteLine();
        Console.WriteLine($"GATEWAY_MAX_INFLIGHT={report.MaxInflight}; peak {report.PeakRps:0} accepted req/s.");
        Console.WriteLine($"  throughput at {tenX.Name} / peak: {tenX.AcceptedRps / report.PeakRps:0.00} x (goal >= 0.8); at 1,000 connections: {closed.Last().AcceptedRps / report.PeakRps:0.00} x");
        Console.WriteLine($"  accepted p99, worst level: {report.Levels.Max(l => l.AcceptedP99Ms):0.0} ms (goal < 100); shed p99, worst level: {report.Levels.Where(l => l.Shed > 0).Select(l => l.ShedP99Ms).DefaultIfEmpty(0).Max():0.00} ms (goal < 5)");
        Console.WriteLine($"  transport errors: {report.Levels.Sum(l => l.Errors)}; other non-2xx: {report.Levels.Sum(l => l.OtherNon2xx)} (goal 0 and 0)");
        if (tenX.CpuPercent is { } c && c.TryGetValue(MachineBusy, out var busy) && c.TryGetValue(LoadGenerator, out var gen))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  at {tenX.Name}: the machine {busy:0} % busy of {100 * report.Cpus}; h2load {gen:0} %, the gateway {c.GetValueOrDefault("gateway"):0} %, the v1 replicas {c.GetValueOrDefault("api-v1 (all)"):0} % of a core"));
        Console.WriteLine("  resident memory before -> after the run (10 s idle): "
            + string.Join(", ", names.Select(n => string.Create(CultureInfo.InvariantCulture, $"{n} {report.ResidentBefore[n]:0} -> {report.ResidentAfter[n]:0} MiB"))));
    }

    private static void Draw(OverloadReport report, string path)
    {
        var categories = report.Levels.Select(l => l.OfferedRps is null ? $"{l.Connections} conn" : $"{l.OfferedRps:0}/s open").ToList();
        var throughput = Charts.Bars(new BarPanel("Answers per second by load", "answers/s", categories,
        [
            new MlopsExam.Tooling.BarSeries("accepted (2xx)", [.. report.Levels.Select(l => new BarValue(l.AcceptedRps, Label: $"{l.AcceptedRps:0}"))]),
            new MlopsExam.Tooling.BarSeries("shed (503/429)", [.. report.Levels.Select(l => new BarValue(l.Seconds > 0 ? l.Shed / l.Seconds : 0, Label: $"{l.ShedShare:P0}"))]),
        ]));
        var latency = Charts.Bars(new BarPanel("p99 latency by load", "ms", categories,
        [
            new MlopsExam.Tooling.BarSeries("accepted p99", [.. report.Levels.Select(l => new BarValue(l.AcceptedP99Ms, Label: $"{l.AcceptedP99Ms:0}"))]),
            new MlopsExam.Tooling.BarSeries("shed p99", [.. report.Levels.Select(l => new BarValue(double.IsNaN(l.ShedP99Ms) ? 0 : l.ShedP99Ms, Label: double.IsNaN(l.ShedP99Ms) ? "-" : $"{l.ShedP99Ms:0.0}"))]),
        ]));
        var cpuLevels = report.Levels.Where(l => l.CpuPercent is not null).ToList();
        BarPanel? cpu = cpuLevels.Count == report.Levels.Count && cpuLevels.Count > 0
            ? new BarPanel($"Where the CPU went (% of one core; {report.Cpus} cores = {100 * report.Cpus})", "% of a core", categories,
            [
                new MlopsExam.Tooling.BarSeries("h2load (load generator)", [.. cpuLevels.Select(l => new BarValue(l.CpuPercent!.GetValueOrDefault(LoadGenerator)))]),
                new MlopsExam.Tooling.BarSeries("gateway", [.. cpuLevels.Select(l => new BarValue(l.CpuPercent!.GetValueOrDefault("gateway")))]),
                new MlopsExam.Tooling.BarSeries("api-v1 (3 replicas)", [.. cpuLevels.Select(l => new BarValue(l.CpuPercent!.GetValueOrDefault("api-v1 (all)")))]),
                new MlopsExam.Tooling.BarSeries("machine, all", [.. cpuLevels.Select(l => new BarValue(l.CpuPercent!.GetValueOrDefault(MachineBusy), Label: $"{l.CpuPercent!.GetValueOrDefault(MachineBusy):0}"))]),
            ])
            : null;
        Charts.SavePng(path,
        [
            $"make overload: POST /predict through the gateway at and beyond capacity, {report.Cpus} CPUs ({report.Machine})",
            $"closed loop at 1x-10x the saturating connections and 1,000; open loop at 1.5x the peak ({report.PeakRps:0} req/s). GATEWAY_MAX_INFLIGHT={report.MaxInflight}.",
        ], cpu is null ? [throughput, latency] : [throughput, latency, Charts.Bars(cpu)], columns: cpu is null ? 2 : 3, panelWidth: 640, panelHeight: 420);
    }
}
