using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MlopsExam.Tests.Gateway;
using MlopsExam.Tooling;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Self-healing (docs/reliability.md): every running container has the restart policy, log rotation and
/// memory limit docker-compose.yml gives it; a container whose main process is killed (SIGKILL from the
/// host, as the kernel's OOM killer or a crash ends it, which Docker restarts, unlike `docker kill`)
/// comes back by itself, healthy, under a steady client.
/// </summary>
public sealed partial class ComposeOperationsTests
{
    private static readonly TimeSpan InspectTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_running_container_restarts_unless_stopped_rotates_its_logs_and_has_its_memory_limit()
    {
        var file = ComposeFile.Load(RepoLayout.Path("docker-compose.yml"));
        var checkedServices = new HashSet<string>();
        foreach (var (name, service) in file.Services)
        {
            var ids = await ContainersOfAsync(name);
            Assert.Equal(service.Replicas, ids.Count);
            foreach (var id in ids)
            {
                var fields = (await DockerCli.RunCheckedAsync(["inspect", "--format",
                        "{{.HostConfig.RestartPolicy.Name}}|{{.HostConfig.LogConfig.Type}}|{{index .HostConfig.LogConfig.Config \"max-size\"}}|"
                        + "{{index .HostConfig.LogConfig.Config \"max-file\"}}|{{.HostConfig.Memory}}", id], InspectTimeout)).Stdout.Trim().Split('|');
                Assert.Equal(["unless-stopped", service.LogDriver!, service.LogOptions["max-size"], service.LogOptions["max-file"]], fields[..4]);
                Assert.Equal(PublishedReliabilityTests.Bytes(service.Limits["memory"]), long.Parse(fields[4], CultureInfo.InvariantCulture));
            }
            checkedServices.Add(name);
        }
        Assert.Equal(["api-v1", "api-v2", "dashboard", "gateway", "gateway-exporter", "postgres", "prometheus"], checkedServices.Order());
    }

    [Fact]
    public async Task A_v1_replica_killed_by_sigkill_comes_back_healthy_and_no_request_is_lost()
    {
        var victim = (await ContainersOfAsync("api-v1"))[0];
        var (results, back) = await KillUnderSteadyTrafficAsync(victim, TimeSpan.FromSeconds(30));
        Console.WriteLine($"api-v1 replica SIGKILLed: healthy again after {back.TotalSeconds:F1} s; "
                          + $"{results.Count} requests: {string.Join(", ", results.GroupBy(r => r).Select(g => $"{g.Count()} x {g.Key}"))}");
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, r => Assert.Equal("200", r));
    }

    [Fact]
    public async Task The_gateway_killed_by_sigkill_is_back_within_10_seconds_and_the_refused_requests_are_counted()
    {
        var victim = (await ContainersOfAsync("gateway"))[0];
        var (results, back) = await KillUnderSteadyTrafficAsync(victim, TimeSpan.FromSeconds(10));
        var refused = results.Count(r => r != "200");
        Console.WriteLine($"gateway SIGKILLed: healthy again after {back.TotalSeconds:F1} s; {results.Count} requests, {refused} not answered: "
                          + string.Join(", ", results.GroupBy(r => r).Select(g => $"{g.Count()} x {g.Key}")));
        // Once it is back, every request is answered again.
        Assert.Equal("200", results[^1]);
    }

    [Fact]
    public async Task A_frozen_v1_replica_costs_a_request_five_seconds_and_another_replica_answers_it()
    {
        // `docker pause` freezes every process: the replica's kernel still holds its connections, so nothing refuses or
        // resets, and nothing answers (as with a replica whose node died). The gateway's read timeout for /predict (5 s,
        // sites/api-https.conf) ends the wait, and proxy_next_upstream sends the request to another replica.
        var victim = (await ContainersOfAsync("api-v1"))[0];
        var address = await InspectAsync(victim, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var answers = new List<(int Status, string Upstreams, TimeSpan Took)>();
        await DockerCli.RunCheckedAsync(["pause", victim], InspectTimeout);
        try
        {
            // Round robin over three servers: one of the first three requests goes to the frozen one, unless the gateway
            // still leaves it alone after a failure of an earlier test (fail_timeout, 10 s): then until one has, 30 s at most.
            var sending = Stopwatch.StartNew();
            for (var i = 0; i < 9 || (!answers.Any(a => a.Upstreams.StartsWith($"{address}:", StringComparison.Ordinal)) && sending.Elapsed < TimeSpan.FromSeconds(30)); i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await stack.SendPacedAsync(client, stack.PredictRequest(GatewayStack.SentenceBody($"request {i} while a replica is frozen")), deadline.Token);
                answers.Add(((int)response.StatusCode, response.Headers.TryGetValues("X-Upstream-Addr", out var values) ? string.Join(", ", values) : "", clock.Elapsed));
            }
        }
        finally
        {
            await DockerCli.RunAsync(["unpause", victim], InspectTimeout);
            // Its healthcheck failed while it was frozen (`compose up --wait` gives up on an unhealthy container at
            // once): healthy again before the next test, a minute at most.
            var back = Stopwatch.StartNew();
            while (await InspectAsync(victim, "{{.State.Health.Status}}") != "healthy" && back.Elapsed < TimeSpan.FromMinutes(1))
                await Task.Delay(500);
        }

        Console.WriteLine($"api-v1 replica {address} frozen: " + string.Join("; ", answers.Select(a => $"{a.Status} in {a.Took.TotalSeconds:F2} s from {a.Upstreams}")));
        Assert.Equal("healthy", await InspectAsync(victim, "{{.State.Health.Status}}"));
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        var tried = answers.Where(a => a.Upstreams.StartsWith($"{address}:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(tried);
        // Tried on the frozen replica first, answered by another one.
        Assert.All(tried, a => Assert.Equal(2, a.Upstreams.Split(", ").Length));
        Assert.DoesNotContain(answers, a => a.Upstreams.Split(", ")[^1].StartsWith($"{address}:", StringComparison.Ordinal));
    }

    /// <summary>
    /// SIGKILLs the main process of <paramref name="container"/> from the host while one client sends requests,
    /// one at a time, paced under the rate limit; waits until Docker has restarted it (RestartCount up by one)
    /// and its healthcheck passes, within <paramref name="within"/>, then a few seconds more of traffic.
    /// Returns each request's status ("200", "502", or the error's name) and the time until healthy.
    /// </summary>
    private async Task<(List<string> Results, TimeSpan Back)> KillUnderSteadyTrafficAsync(string container, TimeSpan within)
    {
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var results = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var steady = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var served = await SendAsync(client, $"steady request {results.Count} while a container crashes", deadline.Token);
                    results.Enqueue(served.Status.ToString(CultureInfo.InvariantCulture));
                }
                catch (HttpRequestException e)
                {
                    results.Enqueue(e.HttpRequestError.ToString());
                    await Task.Delay(GatewayStack.PredictPace, deadline.Token);
                }
            }
        });

        var restartsBefore = int.Parse(await InspectAsync(container, "{{.RestartCount}}"), CultureInfo.InvariantCulture);
        await Task.Delay(2000);
        var pid = await InspectAsync(container, "{{.State.Pid}}");
        (await ProcessRunner.RunAsync("kill", ["-KILL", pid], InspectTimeout)).EnsureSuccess();
        var killed = Stopwatch.StartNew();

        string state;
        do
        {
            await Task.Delay(250);
            state = await InspectAsync(container, "{{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{end}}");
        }
        while (state != $"{restartsBefore + 1} healthy" && killed.Elapsed < within);
        var back = killed.Elapsed;
        // Traffic once it is back, then the client stops.
        await Task.Delay(3000);
        await stop.CancelAsync();
        await steady;

        Assert.True(state == $"{restartsBefore + 1} healthy",
            $"{container[..12]} not restarted and healthy {within.TotalSeconds} s after SIGKILL: restarts and health '{state}' (before: {restartsBefore})");
        return (results.ToList(), back);
    }

    private static async Task<string> InspectAsync(string container, string format) =>
        (await DockerCli.RunCheckedAsync(["inspect", "--format", format, container], InspectTimeout)).Stdout.Trim();

    private static async Task<List<string>> ContainersOfAsync(string service) =>
        (await DockerCli.RunCheckedAsync(["compose", "ps", "--quiet", service], InspectTimeout)).Stdout
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
}
