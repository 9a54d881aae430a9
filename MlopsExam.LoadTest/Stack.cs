using System.Text;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>One running container of the compose stack, with what the benchmark reads of it.</summary>
internal sealed record Container(string Service, string Id, int Pid)
{
    /// <summary>Short name for tables: "gateway", "api-v1#2".</summary>
    public string Label { get; init; } = Service;

    /// <summary>CPU time the container's processes used so far (cgroup v2 cpu.stat, or v1 cpuacct).</summary>
    public TimeSpan CpuUsed()
    {
        foreach (var path in new[]
                 {
                     $"/sys/fs/cgroup/system.slice/docker-{Id}.scope/cpu.stat",
                     $"/sys/fs/cgroup/docker/{Id}/cpu.stat",
                 })
        {
            if (!File.Exists(path)) continue;
            var line = File.ReadLines(path).First(l => l.StartsWith("usage_usec ", StringComparison.Ordinal));
            return TimeSpan.FromMicroseconds(long.Parse(line["usage_usec ".Length..], System.Globalization.CultureInfo.InvariantCulture));
        }
        var v1 = $"/sys/fs/cgroup/cpuacct/docker/{Id}/cpuacct.usage";
        if (File.Exists(v1))
            return TimeSpan.FromTicks(long.Parse(File.ReadAllText(v1).Trim(), System.Globalization.CultureInfo.InvariantCulture) / 100);
        throw new InvalidOperationException($"no cgroup CPU accounting found for container {Id[..12]}");
    }

    /// <summary>The container's full id and main process, from `docker inspect`.</summary>
    public static async Task<Container> InspectAsync(string service, string idOrName)
    {
        var inspect = (await Docker.RunAsync("inspect", "-f", "{{.Id}} {{.State.Pid}}", idOrName)).Trim().Split(' ');
        return new Container(service, inspect[0], int.Parse(inspect[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>TCP connections this container's network namespace has opened (ActiveOpens).</summary>
    public long TcpActiveOpens() => Snmp.TcpActiveOpens($"/proc/{Pid}/net/snmp");
}

internal static class Snmp
{
    public static long TcpActiveOpens(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "ActiveOpens")], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>CPU time of a host process (the Docker daemon), from /proc/PID/stat.</summary>
internal sealed record HostProcess(string Label, int Pid)
{
    /// <summary>USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture in use.</summary>
    internal const double TicksPerSecond = 100;

    public TimeSpan CpuUsed() => StatTime($"/proc/{Pid}/stat", 14, 15);

    /// <summary>The sum of two clock-tick fields of a /proc/PID/stat file, numbered as proc(5) numbers
    /// them (utime and stime are 14 and 15; cutime and cstime, the waited-for children's, 16 and 17).</summary>
    public static TimeSpan StatTime(string path, int field, int otherField)
    {
        var stat = File.ReadAllText(path);
        // Field 3 is the first after the command name, which may hold spaces and parentheses.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[field - 3], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[otherField - 3], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public static HostProcess? Find(string name)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() == name) return new HostProcess(name, pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }
}

/// <summary>The compose stack the benchmark drives (`make up` starts it).</summary>
internal sealed class Stack(string repoRoot)
{
    public string RepoRoot { get; } = repoRoot;

    public async Task<IReadOnlyList<Container>> ContainersAsync(string service)
    {
        var ids = (await Compose("ps", "-q", service)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<Container>();
        foreach (var (id, index) in ids.Order().Select((id, i) => (id, i)))
        {
            list.Add(await Container.InspectAsync(service, id) with { Label = ids.Length > 1 ? $"{service}#{index + 1}" : service });
        }
        return list;
    }

    /// <summary>The gateway's basic-auth credentials from .env (scripts/generate-env.sh wrote it).</summary>
    public string BasicAuthHeader()
    {
        var env = Path.Combine(RepoRoot, ".env");
        if (!File.Exists(env)) throw new InvalidOperationException("No .env: start the stack with `make up` first.");
        var values = File.ReadAllLines(env)
            .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        var user = Environment.GetEnvironmentVariable("BASIC_AUTH_USER") is { Length: > 0 } u ? u : values.GetValueOrDefault("BASIC_AUTH_USER", "mlops");
        var password = Environment.GetEnvironmentVariable("BASIC_AUTH_PASSWORD") is { Length: > 0 } p ? p : values["BASIC_AUTH_PASSWORD"];
        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
    }

    /// <summary>Recreates the gateway with other environment values (the rate limit) and waits until healthy.</summary>
    public Task RecreateGatewayAsync(IReadOnlyDictionary<string, string?> environment) =>
        ComposeWith(environment, "up", "--detach", "--no-deps", "--no-build", "--wait", "--wait-timeout", "120", "gateway");

    public Task<string> Compose(params string[] args) => ComposeWith(null, args);

    private async Task<string> ComposeWith(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        (await ProcessRunner.RunCheckedAsync("docker", ["compose", "--project-directory", RepoRoot, .. args], Docker.Timeout,
            environment: environment)).Stdout;
}

/// <summary>The docker CLI, for what the benchmark inspects, starts and removes.</summary>
internal static class Docker
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs <c>docker args</c> and returns its stdout, or throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(params string[] args) =>
        (await ProcessRunner.RunCheckedAsync("docker", args, Timeout)).Stdout;
}
