using System.Globalization;
using MlopsExam.AppHost;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// What keeps the published stacks running and bounded (docs/reliability.md), read from the committed
/// docker-compose.yml and docker-stack.yml: every service restarts by itself, rotates its logs and has a
/// memory limit, and the logs of the whole stack stay under 1 GiB at the defaults. No container runs.
/// </summary>
public sealed class PublishedReliabilityTests
{
    public static TheoryData<string> Files => new() { "docker-compose.yml", "docker-stack.yml" };

    private static ComposeFile Load(string fileName) => ComposeFile.Load(RepoLayout.Path(fileName));

    [Fact]
    public void Every_compose_service_restarts_unless_stopped() =>
        Assert.All(Load("docker-compose.yml").Services.Values, s => Assert.True(s.Restart == "unless-stopped",
            $"{s.Name}: restart is '{s.Restart}', not unless-stopped: a crash or an OOM kill would be a lasting outage"));

    [Fact]
    public void Every_swarm_service_has_a_restart_policy_with_a_delay_and_a_bounded_number_of_attempts() =>
        Assert.All(Load("docker-stack.yml").Services.Values, s =>
        {
            Assert.True(s.RestartPolicy.TryGetValue("condition", out var condition) && condition is "any" or "on-failure",
                $"{s.Name}: deploy.restart_policy.condition is '{condition}'");
            Assert.True(s.RestartPolicy.ContainsKey("delay"), $"{s.Name}: no restart delay");
            Assert.True(s.RestartPolicy.TryGetValue("max_attempts", out var attempts) && int.Parse(attempts, CultureInfo.InvariantCulture) > 0,
                $"{s.Name}: max_attempts '{attempts}'");
            Assert.True(s.RestartPolicy.ContainsKey("window"), $"{s.Name}: no restart window");
            // docker stack deploy ignores it and says so: not written.
            Assert.Null(s.Restart);
        });

    [Theory, MemberData(nameof(Files))]
    public void Every_service_rotates_its_logs_and_the_whole_stack_keeps_under_1_GiB_of_them(string fileName)
    {
        var services = Load(fileName).Services.Values;
        long total = 0;
        foreach (var s in services)
        {
            Assert.True(s.LogDriver is "json-file" or "local", $"{s.Name} ({fileName}): log driver '{s.LogDriver}' does not rotate by size");
            Assert.True(s.LogOptions.TryGetValue("max-size", out var size), $"{s.Name} ({fileName}): no logging max-size");
            Assert.True(s.LogOptions.TryGetValue("max-file", out var files), $"{s.Name} ({fileName}): no logging max-file");
            total += s.Replicas * Bytes(size!) * int.Parse(files!, CultureInfo.InvariantCulture);
        }
        Assert.True(total < 1L << 30, $"{fileName}: up to {total / (1 << 20)} MiB of logs at the defaults");
        // Both settings are variables with their defaults, listed in the header.
        var text = File.ReadAllText(RepoLayout.Path(fileName));
        Assert.Contains("max-size: \"${LOG_MAX_SIZE:-", text);
        Assert.Contains("max-file: \"${LOG_MAX_FILE:-", text);
        Assert.Contains("#   LOG_MAX_SIZE ", text);
    }

    [Theory, MemberData(nameof(Files))]
    public void Every_service_has_a_memory_limit(string fileName) =>
        Assert.All(Load(fileName).Services.Values, s =>
        {
            Assert.True(s.Limits.TryGetValue("memory", out var memory), $"{s.Name} ({fileName}): no deploy.resources.limits.memory");
            Assert.InRange(Bytes(memory!), 32L << 20, 2L << 30);
        });

    [Theory, MemberData(nameof(Files))]
    public void Prometheus_keeps_its_samples_for_a_time_and_within_a_size(string fileName)
    {
        var environment = Load(fileName).Services["prometheus"].Environment;
        Assert.Equal("15d", ComposeFile.WithDefaults(environment["RETENTION_TIME"]!));
        Assert.Equal("512MB", ComposeFile.WithDefaults(environment["RETENTION_SIZE"]!));
        var entrypoint = File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "docker-entrypoint.sh"));
        Assert.Contains("--storage.tsdb.retention.time=\"${RETENTION_TIME:-15d}\"", entrypoint);
        Assert.Contains("--storage.tsdb.retention.size=\"${RETENTION_SIZE:-512MB}\"", entrypoint);
    }

    [Fact]
    public void Publishing_refuses_a_service_without_a_memory_limit()
    {
        var file = new ComposeFileModel { Name = "test" };
        file.Services["unbounded"] = new ComposeService("unbounded") { Image = "x" };
        var error = Assert.Throws<InvalidOperationException>(() => Reliability.ApplyToEveryService(file));
        Assert.Contains("unbounded has no memory limit", error.Message);
    }

    /// <summary>A compose byte value ("10m", "512M", "1g", "64k") in bytes.</summary>
    internal static long Bytes(string value)
    {
        var unit = char.ToLowerInvariant(value[^1]);
        var number = char.IsDigit(unit) ? value : value[..^1].TrimEnd('b', 'B');
        if (char.IsLetter(number[^1])) (unit, number) = (char.ToLowerInvariant(number[^1]), number[..^1]);
        var n = long.Parse(number, CultureInfo.InvariantCulture);
        return unit switch { 'k' => n << 10, 'm' => n << 20, 'g' => n << 30, _ => n };
    }
}
