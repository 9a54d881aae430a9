using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest.Reliability;

// make chaos: against the running compose stack (make up), under a steady client (SteadyClient), the main
// process of each kind of container is killed in turn with SIGKILL from the host, as the kernel's OOM killer
// or a crash would end it (`docker kill` is a manual stop, which Docker never restarts), and Docker's restart
// policy must bring it back. Optionally (--daemon-restart) the Docker daemon itself is restarted: the stack
// must come back by itself. Per fault: seconds until healthy again, requests lost, requests slower than 1 s.

/// <summary>One fault: the container of <paramref name="Service"/> to kill, and the client's experiment group.</summary>
internal sealed record Fault(string Kind, string Service, string? ExperimentGroup = null);

/// <summary>What one fault cost: <paramref name="Fallbacks"/> are requests of the debug group answered by v1.</summary>
internal sealed record FaultResult(string Kind, double SecondsUntilHealthy, bool Recovered, int Requests, int Lost, int Slow,
    int Fallbacks, IReadOnlyDictionary<string, int> Outcomes);

internal sealed record ChaosReport(DateTimeOffset At, int Cpus, string Machine, IReadOnlyList<FaultResult> Faults);

internal static class ChaosRun
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan SlowRequest = TimeSpan.FromSeconds(1);

    public static readonly Fault[] Faults =
    [
        new("api-v1 replica", "api-v1"),
        new("api-v2 (debug traffic)", "api-v2", "debug"),
        new("gateway-exporter", "gateway-exporter"),
        new("prometheus", "prometheus"),
        // Predictions do not wait for the database: the payload log drops and counts while it is down.
        new("postgres", "postgres"),
        new("gateway", "gateway"),
    ];

    public static async Task<int> RunAsync(string? repo, TimeSpan within, bool daemonRestart)
    {
        var stack = new Stack(repo ?? RepoRoot.Find());
        if ((await stack.ContainersAsync("gateway")).Count == 0)
            throw new InvalidOperationException("The compose stack is not running: `make up` first.");
        Console.WriteLine($"make chaos: {Faults.Length} kinds of container SIGKILLed in turn{(daemonRestart ? ", then a Docker daemon restart" : "")}, "
                          + $"a steady client (one request at a time every {SteadyClient.Pace.TotalMilliseconds:0} ms) throughout");

        var results = new List<FaultResult>();
        foreach (var fault in Faults)
        {
            await WaitAllHealthyAsync(stack, within);
            results.Add(await KillAsync(stack, fault, within));
            Print(results[^1]);
        }
        if (daemonRestart)
        {
            await WaitAllHealthyAsync(stack, within);
            results.Add(await RestartDaemonAsync(stack, within));
            Print(results[^1]);
        }

        var outDir = Path.Combine(stack.RepoRoot, ".artifacts", "chaos");
        Directory.CreateDirectory(outDir);
        var report = new ChaosReport(DateTimeOffset.UtcNow, Environment.ProcessorCount, LoadTest.Machine.Describe(), results);
        var markdown = Table(report);
        Console.WriteLine();
        Console.Write(markdown);
        File.WriteAllText(Path.Combine(outDir, "chaos.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "chaos.json"), JsonSerializer.Serialize(report, Json.Options));
        Draw(report, Path.Combine(outDir, "chaos.png"));
        Console.WriteLine($"\nfigures: {Path.Combine(outDir, "chaos.json")}\nchart:   {Path.Combine(outDir, "chaos.png")}");
        return results.All(r => r.Recovered) ? 0 : 1;
    }

    /// <summary>SIGKILL of the first container of the fault's service, under the steady client; waits until Docker
    /// has restarted it (RestartCount up) and its healthcheck passes, then 3 s more of traffic.</summary>
    private static async Task<FaultResult> KillAsync(Stack stack, Fault fault, TimeSpan within)
    {
        var victim = (await stack.ContainersAsync(fault.Service))[0];
        var restarts = int.Parse(await InspectAsync(victim.Id, "{{.RestartCount}}"), CultureInfo.InvariantCulture);
        List<Sent> sent;
        double seconds;
        bool recovered;
        await using (var client = new SteadyClient(stack, fault.ExperimentGroup))
        {
            await Task.Delay(Settle);
            (await ProcessRunner.RunAsync("kill", ["-KILL", victim.Pid.ToString(CultureInfo.InvariantCulture)], Docker.Timeout)).EnsureSuccess();
            var killed = Stopwatch.StartNew();
            recovered = false;
            while (killed.Elapsed < within && !recovered)
            {
                await Task.Delay(200);
                recovered = await InspectAsync(victim.Id, "{{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}") == $"{restarts + 1} healthy";
            }
            seconds = killed.Elapsed.TotalSeconds;
            await Task.Delay(Settle);
            sent = [.. client.Sent];
        }
        return Result(fault.Kind, seconds, recovered, sent, fault.ExperimentGroup is not null);
    }

    /// <summary>
    /// Stops the Docker daemon (SIGTERM: it stops the containers, as a host shutdown or a package upgrade does),
    /// starts it again as `make docker` does (scripts/bootstrap-docker.sh), and waits until every container of the
    /// stack is running and healthy again, started by the daemon from their restart policy alone.
    /// </summary>
    private static async Task<FaultResult> RestartDaemonAsync(Stack stack, TimeSpan within)
    {
        var dockerd = HostProcess.Find("dockerd") ?? throw new InvalidOperationException("No dockerd process found.");
        var services = new[] { "api-v1", "api-v2", "gateway", "gateway-exporter", "prometheus", "postgres" };
        var containers = new List<string>();
        foreach (var service in services)
            containers.AddRange((await stack.ContainersAsync(service)).Select(c => c.Id));
        List<Sent> sent;
        double seconds;
        var recovered = false;
        await using (var client = new SteadyClient(stack))
        {
            await Task.Delay(Settle);
            var stopped = Stopwatch.StartNew();
            (await ProcessRunner.RunAsync("kill", ["-TERM", dockerd.Pid.ToString(CultureInfo.InvariantCulture)], Docker.Timeout)).EnsureSuccess();
            while (Directory.Exists($"/proc/{dockerd.Pid}") && stopped.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(200);
            (await ProcessRunner.RunAsync(Path.Combine(stack.RepoRoot, "scripts", "bootstrap-docker.sh"), [], TimeSpan.FromMinutes(3))).EnsureSuccess();
            Console.WriteLine($"  dockerd stopped and started again in {stopped.Elapsed.TotalSeconds:F1} s");
            while (stopped.Elapsed < within + TimeSpan.FromSeconds(60) && !recovered)
            {
                await Task.Delay(500);
                var states = await ProcessRunner.RunAsync("docker",
                    ["inspect", "--format", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", .. containers], Docker.Timeout);
                recovered = states.ExitCode == 0 && states.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(s => s.Trim() == "running healthy");
            }
            seconds = stopped.Elapsed.TotalSeconds;
            await Task.Delay(Settle);
            sent = [.. client.Sent];
        }
        return Result("Docker daemon restart", seconds, recovered, sent, debug: false);
    }

    private static async Task WaitAllHealthyAsync(Stack stack, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ps = await stack.Compose("ps", "--all", "--format", "{{.Service}} {{.State}} {{.Health}}");
            var lines = ps.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (lines.Length > 0 && lines.All(l => l.EndsWith(" running healthy", StringComparison.Ordinal))) return;
            if (deadline.Elapsed > within)
                throw new InvalidOperationException($"The stack is not healthy:\n{ps}");
            await Task.Delay(500);
        }
    }

    private static FaultResult Result(string kind, double seconds, bool recovered, List<Sent> sent, bool debug) =>
        new(kind, Math.Round(seconds, 1), recovered, sent.Count,
            Lost: sent.Count(s => !s.Ok),
            Slow: sent.Count(s => s.Ok && s.Ms > SlowRequest.TotalMilliseconds),
            Fallbacks: debug ? sent.Count(s => s.Ok && s.Version == "v1") : 0,
            Outcomes: sent.GroupBy(s => s.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()));

    private static async Task<string> InspectAsync(string container, string format) =>
        (await Docker.RunAsync("inspect", "--format", format, container)).Trim();

    private static void Print(FaultResult r) =>
        Console.WriteLine($"  {r.Kind,-24} {(r.Recovered ? "healthy again after" : "NOT healthy after")} {r.SecondsUntilHealthy,5:F1} s; "
                          + $"{r.Requests} requests, {r.Lost} lost, {r.Slow} slower than 1 s"
                          + (r.Fallbacks > 0 ? $", {r.Fallbacks} answered by v1 (fallback)" : "")
                          + $"  [{string.Join(", ", r.Outcomes.Select(o => $"{o.Value} x {o.Key}"))}]");

    public static string Table(ChaosReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"make chaos, {report.At:yyyy-MM-dd HH:mm} UTC, {report.Cpus} CPUs ({report.Machine})");
        text.AppendLine();
        text.AppendLine("| fault (SIGKILL of the main process) | healthy again after | requests | lost | slower than 1 s | answered by the v1 fallback |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in report.Faults)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Kind} | {(r.Recovered ? $"{r.SecondsUntilHealthy:F1} s" : $"not within {r.SecondsUntilHealthy:F0} s")} | {r.Requests} | {r.Lost} | {r.Slow} | {r.Fallbacks} |");
        return text.ToString();
    }

    private static void Draw(ChaosReport report, string path)
    {
        var kinds = report.Faults.Select(f => f.Kind.Replace(" (", "\n(", StringComparison.Ordinal).Replace("Docker daemon restart", "dockerd\nrestart", StringComparison.Ordinal)).ToList();
        var healthy = Charts.Bars(new BarPanel("Seconds until healthy again", "s", kinds,
            [new BarSeries("s", [.. report.Faults.Select(f => new BarValue(f.SecondsUntilHealthy, Label: $"{f.SecondsUntilHealthy:F1}"))])]));
        var requests = Charts.Bars(new BarPanel("Requests of the steady client", "requests", kinds,
        [
            new BarSeries("lost", [.. report.Faults.Select(f => new BarValue(f.Lost, Label: $"{f.Lost}"))]),
            new BarSeries("slower than 1 s", [.. report.Faults.Select(f => new BarValue(f.Slow, Label: $"{f.Slow}"))]),
            new BarSeries("v1 fallback", [.. report.Faults.Select(f => new BarValue(f.Fallbacks, Label: $"{f.Fallbacks}"))]),
        ])
        { YMax = Math.Max(5, report.Faults.Max(f => Math.Max(f.Lost, Math.Max(f.Slow, f.Fallbacks))) * 1.4) });
        Charts.SavePng(path,
        [
            $"make chaos: each kind of container's main process SIGKILLed under a steady client ({report.Cpus} CPUs, {report.Machine})",
            "Docker's restart policy (restart: unless-stopped) brings each back; the gateway retries a request on another replica,",
            "and sends debug requests to v1 while v2 is away.",
        ], [healthy, requests], columns: 2, panelWidth: 760, panelHeight: 440);
    }
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
