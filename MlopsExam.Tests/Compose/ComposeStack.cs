using System.Collections.Concurrent;
using System.Globalization;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Starts docker-compose.yml once per test class, as `make up` does (images built from the working
/// tree, every service healthy), and stops it afterwards; images and the certificate folder stay.
/// </summary>
public sealed class ComposeStack : GatewayStack
{
    /// <summary>`up --wait-timeout` (a fresh machine builds four images first); the process
    /// deadline is longer, so compose reports which service is not healthy.</summary>
    private const int WaitTimeoutSeconds = 600;
    private static readonly TimeSpan UpTimeout = TimeSpan.FromSeconds(WaitTimeoutSeconds + 60);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, string> _containerOfInstance = new();

    public override async Task InitializeAsync()
    {
        DockerPrerequisite.EnsureRunning();
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "generate-env.sh"), [], TimeSpan.FromSeconds(30));
        if (code != 0)
            throw new InvalidOperationException($"scripts/generate-env.sh failed ({code}): {output}");

        var up = await DockerCli.RunAsync(
            ["compose", "up", "--build", "--detach", "--wait", "--wait-timeout", WaitTimeoutSeconds.ToString(CultureInfo.InvariantCulture)],
            UpTimeout);
        if (up.ExitCode != 0)
        {
            var ps = await DockerCli.RunAsync(["compose", "ps", "--all"], CommandTimeout);
            var logs = await DockerCli.RunAsync(["compose", "logs", "--no-color", "--tail", "20"], CommandTimeout);
            await DisposeAsync();
            throw new InvalidOperationException(
                $"'docker compose up' exited with {up.ExitCode} (offline machine without the .NET base images? run 'make docker'; " +
                $"ports 80/443 taken by the Aspire stack?):\n{up.Stderr.Trim()}\n\n{ps.Output.Trim()}\n\n{logs.Output.Trim()}");
        }

        UseDotEnvSettings();
    }

    public override async Task<string> GetReplicaLogsAsync(string instanceId, CancellationToken ct)
    {
        var container = await ContainerOfInstanceAsync(instanceId, ct);
        var logs = await DockerCli.RunCheckedAsync(["logs", container], CommandTimeout, ct);
        // The API logs to stdout; whatever went to stderr belongs to the replica too.
        return logs.Stdout + logs.Stderr;
    }

    /// <summary>Under compose an instance id is the replica's hostname, which Docker sets to the
    /// first 12 characters of the container id; inspect says it rather than assuming it.</summary>
    public async Task<string> ContainerOfInstanceAsync(string instanceId, CancellationToken ct)
    {
        if (_containerOfInstance.TryGetValue(instanceId, out var known)) return known;

        var ids = (await DockerCli.RunCheckedAsync(["compose", "ps", "--quiet", "api-v1", "api-v2"], CommandTimeout, ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
            throw new InvalidOperationException("No api-v1/api-v2 container is running.");
        var inspected = (await DockerCli.RunCheckedAsync(["inspect", "--format", "{{.Config.Hostname}} {{.Id}}", .. ids], CommandTimeout, ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2));
        foreach (var pair in inspected)
            _containerOfInstance[pair[0]] = pair[1];

        return _containerOfInstance.TryGetValue(instanceId, out var container) ? container
            : throw new InvalidOperationException(
                $"No api container has hostname '{instanceId}'; the replicas are {string.Join(", ", _containerOfInstance.Keys)}.");
    }

    /// <summary>Stops one replica's container (SIGTERM, as an orchestrator would) or starts it again.</summary>
    public async Task StopReplicaAsync(string instanceId, CancellationToken ct) =>
        await DockerCli.RunCheckedAsync(["stop", await ContainerOfInstanceAsync(instanceId, ct)], CommandTimeout, ct);

    public async Task StartReplicaAsync(string instanceId, CancellationToken ct) =>
        await DockerCli.RunCheckedAsync(["start", await ContainerOfInstanceAsync(instanceId, ct)], CommandTimeout, ct);

    public override async Task<IReadOnlyDictionary<string, string>> ContainerIdsAsync(CancellationToken ct)
    {
        var found = new Dictionary<string, string>();
        foreach (var service in new[] { "gateway", "gateway-exporter", "prometheus", "api-v1", "api-v2" })
        {
            var ids = (await DockerCli.RunCheckedAsync(["compose", "ps", "--quiet", service], CommandTimeout, ct)).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 0) found[service] = ids[0];
        }
        return found;
    }

    /// <summary>Prometheus, asked from inside its container (it is also on 127.0.0.1:9090).</summary>
    public override async Task<string> QueryPrometheusAsync(string pathAndQuery, CancellationToken ct)
    {
        var url = "http://localhost:9090" + pathAndQuery;
        var result = await DockerCli.RunAsync(["compose", "exec", "-T", "prometheus", "wget", "-qO-", url], CommandTimeout, ct);
        return result.ExitCode == 0 ? result.Stdout
            : throw new HttpRequestException($"GET {url} in the prometheus container failed (wget exit {result.ExitCode}): {result.Output.Trim()}");
    }

    public override async Task DisposeAsync() =>
        // --volumes: the next class starts from nothing; Prometheus would otherwise keep, for five minutes,
        // the series of replicas this class scaled away or replaced (up == 0, no staleness marker).
        await DockerCli.RunCheckedAsync(["compose", "down", "--remove-orphans", "--volumes"], DownTimeout);
}
