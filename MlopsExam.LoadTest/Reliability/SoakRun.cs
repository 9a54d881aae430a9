using System.Globalization;
using System.Text;
using System.Text.Json;
using MlopsExam.Tooling;
using ScottPlot;

namespace MlopsExam.LoadTest.Reliability;

// make soak: the compose stack (make up) under steady load at about half of its capacity for SOAK_MINUTES,
// h2load in the gateway's network namespace (as make loadtest's (b), with the rate limit lifted for the run),
// one minute at a time; after each minute every container's memory, CPU and log files, and Prometheus's disk
// use, are sampled. What it shows: errors (none expected), memory flat after warm-up, logs and TSDB bounded.

/// <summary>One container at the end of one minute: memory as `docker stats` counts it (MiB), CPU (% of one core over
/// the minute), log files (MiB), and its resident memory without the page cache (anonymous + shared memory, MiB).</summary>
internal sealed record ContainerSample(string Container, double MemoryMiB, double CpuPercent, double LogMiB, double ResidentMiB = double.NaN,
    int Restarts = 0, bool OomKilled = false);

internal sealed record SoakMinute(int Minute, long Requests, long Errors, double P99Ms, double PrometheusDiskMiB, IReadOnlyList<ContainerSample> Containers);

internal sealed record SoakReport(DateTimeOffset At, int Cpus, string Machine, double CapacityRps, double RateRps, IReadOnlyList<SoakMinute> Minutes);

internal static class SoakRun
{
    private static readonly string[] Services = ["api-v1", "api-v2", "gateway", "gateway-exporter", "prometheus", "postgres"];

    public static async Task<int> RunAsync(string? repo, int minutes, double share)
    {
        var stack = new Stack(repo ?? RepoRoot.Find());
        if ((await stack.ContainersAsync("gateway")).Count == 0)
            throw new InvalidOperationException("The compose stack is not running: `make up` first.");
        var outDir = Path.Combine(stack.RepoRoot, ".artifacts", "soak");
        Directory.CreateDirectory(outDir);
        var body = Path.Combine(outDir, "body.json");
        File.WriteAllText(body, """{"sentence": "A gripping, beautifully acted film, though the ending drags a little."}""");
        string[] headers = ["content-type: application/json", $"authorization: {stack.BasicAuthHeader()}"];
        const string url = "https://127.0.0.1:8443/predict";
        const int clients = 16;

        var report = new SoakReport(DateTimeOffset.UtcNow, Environment.ProcessorCount, LoadTest.Machine.Describe(), 0, 0, []);
        var samples = new List<SoakMinute>();
        Console.WriteLine($"make soak: {minutes} min at {share:P0} of the gateway's capacity, sampled every minute");
        Console.WriteLine("  lifting the gateway's rate limit for this run ...");
        try
        {
            await stack.RecreateGatewayAsync(new Dictionary<string, string?> { ["RATE_LIMIT_RPS"] = "1000000", ["RATE_LIMIT_BURST"] = "1000000" });
            var gateway = (await stack.ContainersAsync("gateway")).Single();
            var full = await H2Load.RunInNamespaceAsync(gateway.Pid,
                new LoadSpec(url, false, clients, 1, TimeSpan.FromSeconds(15), TimeSpan.Zero, null, headers, body), outDir);
            var capacity = full.Ok / full.Seconds;
            var rate = Math.Round(capacity * share / 10) * 10;
            report = report with { CapacityRps = Math.Round(capacity), RateRps = rate };
            Console.WriteLine($"  capacity: {capacity:0} req/s over 15 s; soak rate: {rate:0} req/s");

            var containers = await ContainersAsync(stack);
            var cpuBefore = containers.ToDictionary(c => c.Label, c => c.CpuUsed());
            for (var minute = 1; minute <= minutes; minute++)
            {
                var run = await H2Load.RunInNamespaceAsync(gateway.Pid,
                    new LoadSpec(url, false, clients, 1, TimeSpan.FromSeconds(60), TimeSpan.Zero, rate / clients, headers, body), outDir);
                var sorted = run.LatenciesMs.Order().ToArray();
                var sampled = new List<ContainerSample>();
                foreach (var c in containers)
                {
                    // A restarted container (Docker's restart policy) keeps its id: its CPU counter starts again from 0.
                    var state = (await Docker.RunAsync("inspect", "-f", "{{.RestartCount}} {{.State.OOMKilled}}", c.Id)).Trim().Split(' ');
                    var cpu = c.CpuUsed();
                    if (cpu < cpuBefore[c.Label]) cpuBefore[c.Label] = TimeSpan.Zero;
                    sampled.Add(new ContainerSample(c.Label, Math.Round(MemoryMiB(c.Id), 1),
                        Math.Round((cpu - cpuBefore[c.Label]).TotalSeconds / 60 * 100, 1), Math.Round(await LogMiBAsync(c.Id), 2),
                        Math.Round(ResidentMiB(c.Id), 1), int.Parse(state[0], CultureInfo.InvariantCulture), state[1] == "true"));
                    cpuBefore[c.Label] = cpu;
                }
                var sample = new SoakMinute(minute, run.Requests, run.Errors + run.Non2xx, Math.Round(RunFigures.Percentile(sorted, 0.99), 2),
                    Math.Round(await PrometheusDiskMiBAsync(stack), 1), sampled);
                samples.Add(sample);
                Console.WriteLine($"  minute {minute,3}: {sample.Requests} requests, {sample.Errors} errors, p99 {sample.P99Ms:F1} ms, Prometheus {sample.PrometheusDiskMiB:F1} MiB; "
                                  + string.Join(", ", sampled.Select(s => $"{s.Container} {s.MemoryMiB:F0} MiB/{s.CpuPercent:F0}%/log {s.LogMiB:F1}"
                                      + (s.Restarts > 0 ? $"/restarts {s.Restarts}{(s.OomKilled ? " (OOM-killed)" : "")}" : ""))));
            }
        }
        finally
        {
            Console.WriteLine("  restoring the gateway's own rate limit ...");
            await stack.RecreateGatewayAsync(new Dictionary<string, string?>());
        }

        report = report with { Minutes = samples };
        var markdown = Table(report);
        Console.WriteLine();
        Console.Write(markdown);
        File.WriteAllText(Path.Combine(outDir, "soak.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "soak.json"), JsonSerializer.Serialize(report, Json.Options));
        Draw(report, Path.Combine(outDir, "soak.png"));
        Console.WriteLine($"\nfigures: {Path.Combine(outDir, "soak.json")}\nchart:   {Path.Combine(outDir, "soak.png")}");
        // An error, or a container that restarted (a crash or an OOM kill the restart policy hid), fails the soak.
        return samples.Sum(m => m.Errors) == 0 && samples.LastOrDefault()?.Containers.All(c => c.Restarts == 0) != false ? 0 : 1;
    }

    private static async Task<List<Container>> ContainersAsync(Stack stack)
    {
        var all = new List<Container>();
        foreach (var service in Services) all.AddRange(await stack.ContainersAsync(service));
        return all;
    }

    /// <summary>The container's memory as `docker stats` counts it: cgroup usage less inactive file pages.</summary>
    internal static double MemoryMiB(string id)
    {
        foreach (var dir in new[] { $"/sys/fs/cgroup/system.slice/docker-{id}.scope", $"/sys/fs/cgroup/docker/{id}" })
        {
            if (!File.Exists(Path.Combine(dir, "memory.current"))) continue;
            var usage = long.Parse(File.ReadAllText(Path.Combine(dir, "memory.current")).Trim(), CultureInfo.InvariantCulture);
            var inactive = File.ReadLines(Path.Combine(dir, "memory.stat")).Select(l => l.Split(' '))
                .Where(p => p[0] == "inactive_file").Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
            return (usage - inactive) / 1048576.0;
        }
        var v1 = $"/sys/fs/cgroup/memory/docker/{id}";
        var used = long.Parse(File.ReadAllText(Path.Combine(v1, "memory.usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
        var inactiveV1 = File.ReadLines(Path.Combine(v1, "memory.stat")).Select(l => l.Split(' '))
            .Where(p => p[0] == "total_inactive_file").Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
        return (used - inactiveV1) / 1048576.0;
    }

    /// <summary>
    /// What the container's processes hold, without the page cache: anonymous memory plus shared memory
    /// (PostgreSQL's shared_buffers). `docker stats` also counts active file pages, which for a database
    /// that keeps writing is its table and WAL files in the kernel's cache: reclaimable, and growing with the
    /// data, not with a leak. The soak reports both, and judges flatness on this one.
    /// </summary>
    internal static double ResidentMiB(string id)
    {
        foreach (var dir in new[] { $"/sys/fs/cgroup/system.slice/docker-{id}.scope", $"/sys/fs/cgroup/docker/{id}" })
            if (File.Exists(Path.Combine(dir, "memory.stat")))
                return (Stat(dir, "anon") + Stat(dir, "shmem")) / 1048576.0;
        var v1 = $"/sys/fs/cgroup/memory/docker/{id}";
        return (Stat(v1, "total_rss") + Stat(v1, "total_shmem")) / 1048576.0;

        static long Stat(string dir, string key) => File.ReadLines(Path.Combine(dir, "memory.stat")).Select(l => l.Split(' '))
            .Where(p => p[0] == key).Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
    }

    /// <summary>The container's json-file log and its rotated files (LogPath, LogPath.1, ...).</summary>
    private static async Task<double> LogMiBAsync(string id)
    {
        var path = (await Docker.RunAsync("inspect", "--format", "{{.LogPath}}", id)).Trim();
        var folder = Path.GetDirectoryName(path)!;
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, Path.GetFileName(path) + "*").Sum(f => new FileInfo(f).Length) / 1048576.0
            : 0;
    }

    /// <summary>The size of Prometheus's TSDB: the files of the volume mounted on its data folder, on the host.</summary>
    private static async Task<double> PrometheusDiskMiBAsync(Stack stack)
    {
        var prometheus = (await stack.ContainersAsync("prometheus")).Single();
        var mount = (await Docker.RunAsync("inspect", "--format",
            "{{range .Mounts}}{{if eq .Destination \"/var/lib/prometheus/metrics2\"}}{{.Source}}{{end}}{{end}}", prometheus.Id)).Trim();
        return Directory.Exists(mount)
            ? Directory.EnumerateFiles(mount, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0
            : double.NaN;
    }

    public static string Table(SoakReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"make soak, {report.At:yyyy-MM-dd HH:mm} UTC, {report.Minutes.Count} min at {report.RateRps:0} req/s (capacity {report.CapacityRps:0} req/s), {report.Cpus} CPUs ({report.Machine})");
        text.AppendLine();
        var names = report.Minutes.FirstOrDefault()?.Containers.Select(c => c.Container).ToList() ?? [];
        text.AppendLine("| minute | requests | errors | p99 ms | Prometheus MiB | " + string.Join(" | ", names.Select(n => $"{n} MiB (resident) / CPU % / log MiB")) + " |");
        text.AppendLine("|---:|---:|---:|---:|---:|" + string.Concat(names.Select(_ => "---:|")));
        foreach (var m in report.Minutes)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Minute} | {m.Requests} | {m.Errors} | {m.P99Ms:F1} | {m.PrometheusDiskMiB:F1} | ")
                + string.Join(" | ", m.Containers.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.MemoryMiB:F0} ({c.ResidentMiB:F0}) / {c.CpuPercent:F0} / {c.LogMiB:F1}"))) + " |");
        if (report.Minutes.Count >= 3)
        {
            var warm = WarmUpMinutes(report.Minutes.Count);
            string Growth(Func<ContainerSample, double> value) => string.Join(", ", names.Select(n =>
            {
                var first = value(report.Minutes[warm - 1].Containers.First(c => c.Container == n));
                var last = value(report.Minutes[^1].Containers.First(c => c.Container == n));
                return string.Create(CultureInfo.InvariantCulture, $"{n} {(last - first) / first:+0.0%;-0.0%}");
            }));
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Growth from the end of minute {warm} (warm-up: the first third, at least 2 minutes) to the last:");
            text.AppendLine($"- resident (anonymous + shared memory): {Growth(c => c.ResidentMiB)}");
            text.AppendLine($"- as docker stats counts it (also active page cache): {Growth(c => c.MemoryMiB)}");
        }
        var restarted = report.Minutes.LastOrDefault()?.Containers.Where(c => c.Restarts > 0).ToList() ?? [];
        text.AppendLine();
        text.AppendLine(restarted.Count == 0
            ? "Restarts during the soak: none."
            : "Restarts during the soak (Docker's restart policy): " + string.Join(", ", restarted.Select(c =>
                $"{c.Container} {c.Restarts}x, first seen after minute {report.Minutes.First(m => m.Containers.First(x => x.Container == c.Container).Restarts > 0).Minute}{(c.OomKilled ? ", OOM-killed" : "")}")));
        return text.ToString();
    }

    /// <summary>Minutes counted as warm-up: the first third (JIT, pools, PostgreSQL's shared_buffers and Prometheus's
    /// head block filling), at least 2.</summary>
    internal static int WarmUpMinutes(int minutes) => Math.Max(2, minutes / 3);

    private static void Draw(SoakReport report, string path)
    {
        Plot Lines(string title, string y, Func<ContainerSample, double> value)
        {
            var plot = new Plot();
            plot.Title(title, size: 15);
            plot.XLabel("minute", size: 13);
            plot.YLabel(y, size: 13);
            var names = report.Minutes.FirstOrDefault()?.Containers.Select(c => c.Container).ToList() ?? [];
            foreach (var name in names)
            {
                var line = plot.Add.Scatter(report.Minutes.Select(m => (double)m.Minute).ToArray(),
                    report.Minutes.Select(m => value(m.Containers.First(c => c.Container == name))).ToArray());
                line.LegendText = name;
                line.LineWidth = 2;
            }
            plot.Axes.SetLimitsY(0, Math.Max(1, report.Minutes.SelectMany(m => m.Containers).Select(value).DefaultIfEmpty(1).Max() * 1.3));
            plot.ShowLegend(Alignment.UpperLeft);
            return plot;
        }
        Charts.SavePng(path,
        [
            $"make soak: {report.Minutes.Count} min at {report.RateRps:0} req/s through the gateway (capacity {report.CapacityRps:0} req/s), {report.Cpus} CPUs",
            $"{report.Minutes.Sum(m => m.Requests)} requests, {report.Minutes.Sum(m => m.Errors)} errors; Prometheus on disk at the end: "
                + $"{report.Minutes.LastOrDefault()?.PrometheusDiskMiB ?? 0:F1} MiB",
        ], [Lines("Resident memory per container (no page cache)", "MiB", c => c.ResidentMiB), Lines("CPU per container", "% of one core", c => c.CpuPercent),
            Lines("Log files per container (all rotations)", "MiB", c => c.LogMiB)], columns: 3, panelWidth: 620, panelHeight: 440);
    }
}
