using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlopsExam.Reports;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Operations on the running compose stack: replicas that stop, scale up and down, a challenger
/// that goes away, experiments switched on. Its own compose stack, because these tests change it;
/// each test puts the stack back as it found it (3 x api-v1, api-v2 up, the gateway's defaults).
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed partial class ComposeOperationsTests(ComposeStack stack) : IClassFixture<ComposeStack>
{
    private static readonly TimeSpan ComposeTimeout = TimeSpan.FromMinutes(3);

    private sealed record Served(int Status, string? Instance, string? Version, string? RoutedTo, string? RequestId);

    private async Task<Served> SendAsync(HttpClient client, string sentence, CancellationToken ct, string? group = null,
        string? clientId = null, bool paced = true)
    {
        using var request = stack.PredictRequest(GatewayStack.SentenceBody(sentence), experimentGroup: group);
        if (clientId is not null) request.Headers.TryAddWithoutValidation("X-Client-Id", clientId);
        using var response = paced ? await stack.SendPacedAsync(client, request, ct) : await client.SendAsync(request, ct);
        var body = response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement : default;
        return new Served((int)response.StatusCode,
            response.IsSuccessStatusCode ? body.GetProperty("instance").GetString() : null,
            response.IsSuccessStatusCode ? body.GetProperty("version").GetString() : null,
            response.Headers.TryGetValues("X-Routed-To", out var routed) ? routed.Single() : null,
            response.Headers.TryGetValues("X-Request-Id", out var id) ? id.Single() : null);
    }

    private static Task ComposeAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] args) =>
        DockerCli.RunCheckedAsync(["compose", .. args], ComposeTimeout, environment: environment);

    /// <summary>Recreates the gateway with these settings (the others as in .env), waits until healthy.</summary>
    private static Task RecreateGatewayAsync(IReadOnlyDictionary<string, string>? settings = null) =>
        ComposeAsync(settings, "up", "--detach", "--no-deps", "--wait", "--wait-timeout", "120", "--force-recreate", "gateway");

    [Fact]
    public async Task Stopping_a_v1_replica_under_traffic_loses_no_request()
    {
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var served = new List<Served>();
        async Task SendManyAsync(int count)
        {
            for (var i = 0; i < count; i++)
                served.Add(await SendAsync(client, $"request {served.Count} under failure", deadline.Token));
        }

        await SendManyAsync(6);
        var victim = served.Select(s => s.Instance).First(i => i is not null)!;
        // Requests keep flowing while the replica shuts down (docker stop: SIGTERM, then up to 10 s).
        var stopping = stack.StopReplicaAsync(victim, deadline.Token);
        await SendManyAsync(12);
        await stopping;
        var afterStop = served.Count;
        await SendManyAsync(12);
        await stack.StartReplicaAsync(victim, deadline.Token);
        // The stack as the other tests expect it: three healthy v1 replicas.
        await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "api-v1");

        Assert.All(served, s => Assert.Equal(200, s.Status));
        // Once stopped, the replica answers nothing more, and the other two share the traffic.
        var lastRound = served.Skip(afterStop).Select(s => s.Instance).ToList();
        Assert.DoesNotContain(victim, lastRound);
        Assert.Equal(2, lastRound.Distinct().Count());
    }

    [Fact]
    public async Task Replicas_added_by_scale_get_traffic_and_scaling_down_and_reloading_cost_no_request()
    {
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            // Up to 5: the gateway's watcher sees the new addresses within seconds.
            await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "--scale", "api-v1=5", "api-v1");
            var scaled = System.Diagnostics.Stopwatch.StartNew();
            var instances = new HashSet<string>();
            while (instances.Count < 5)
            {
                var served = await SendAsync(client, "who answers after scaling up?", deadline.Token);
                Assert.Equal(200, served.Status);
                instances.Add(served.Instance!);
                Assert.False(deadline.IsCancellationRequested, $"only {instances.Count} replicas answered");
            }
            Console.WriteLine($"5 distinct replicas answered {scaled.Elapsed.TotalSeconds:F1} s after `up --scale api-v1=5` returned");

            // A steady client while the set shrinks to 2, grows back to 3, and nginx reloads.
            var results = new ConcurrentQueue<Served>();
            using var stop = new CancellationTokenSource();
            var steady = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                    results.Enqueue(await SendAsync(client, $"steady request {results.Count}", deadline.Token));
            });
            await Task.Delay(1000);
            await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "--scale", "api-v1=2", "api-v1");
            await Task.Delay(3000);
            await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "--scale", "api-v1=3", "api-v1");
            await Task.Delay(3000);
            await DockerCli.RunCheckedAsync(["compose", "exec", "-T", "gateway", "nginx", "-e", "stderr", "-s", "reload"], ComposeTimeout);
            await Task.Delay(3000);
            await stop.CancelAsync();
            await steady;

            var statuses = results.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
            Console.WriteLine($"steady client during 5 -> 2 -> 3 and a reload: {string.Join(", ", statuses.Select(s => $"{s.Value} x {s.Key}"))}");
            Assert.True(results.Count > 50, $"only {results.Count} requests were sent");
            Assert.All(results, r => Assert.Equal(200, r.Status));
            // After the operations, three replicas answer.
            var last = results.Reverse().Take(15).Select(r => r.Instance).Distinct().Count();
            Assert.Equal(3, last);
        }
        finally
        {
            await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "--scale", "api-v1=3", "api-v1");
        }
    }

    [Fact]
    public async Task A_debug_request_is_answered_by_v1_when_v2_is_down_and_the_fallback_is_counted()
    {
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // Per replica: a sum over all replicas would move when Prometheus drops a replica removed by
        // another test, and compose's replicas stay the same during this one.
        var before = await FallbacksByReplicaAsync(deadline.Token);
        try
        {
            await ComposeAsync(null, "stop", "api-v2");
            var answers = new List<Served>();
            for (var i = 0; i < 5; i++)
                answers.Add(await SendAsync(client, "v2 is away", deadline.Token, group: "debug"));
            Assert.All(answers, a =>
            {
                Assert.Equal(200, a.Status);
                Assert.Equal("v1", a.Version);
                Assert.Equal("v1", a.RoutedTo);
            });

            // Each v1 replica logged and counted what it answered for v2 (Prometheus scrapes every 5 s).
            foreach (var group in answers.GroupBy(a => a.Instance!))
            {
                await stack.WaitForReplicaLogAsync(group.Key,
                    group.Select(a => $"fallback requested_variant=v2 served_variant=v1 instance={group.Key} request_id={a.RequestId}"), deadline.Token);
                while ((await FallbacksByReplicaAsync(deadline.Token)).GetValueOrDefault(group.Key) < before.GetValueOrDefault(group.Key) + group.Count())
                    await Task.Delay(1000, deadline.Token);
                Assert.Equal(before.GetValueOrDefault(group.Key) + group.Count(), (await FallbacksByReplicaAsync(deadline.Token))[group.Key]);
            }
        }
        finally
        {
            await ComposeAsync(null, "start", "api-v2");
            await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "api-v2");
        }

        // v2 back: the watcher puts it back in its pool.
        Served back;
        do back = await SendAsync(client, "v2 is back", deadline.Token, group: "debug");
        while (back.Version != "v2" && !deadline.IsCancellationRequested);
        Assert.Equal("v2", back.RoutedTo);
    }

    private async Task<Dictionary<string, double>> FallbacksByReplicaAsync(CancellationToken ct) =>
        JsonDocument.Parse(await stack.QueryPrometheusAsync(
                "/api/v1/query?query=" + Uri.EscapeDataString("sum by (replica) (sentiment_variant_fallbacks_total{requested_variant=\"v2\"})"), ct))
            .RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .ToDictionary(r => r.GetProperty("metric").GetProperty("replica").GetString()!,
                r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));

    [Fact]
    public void The_generated_env_file_and_the_password_secret_are_private()
    {
        static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(RepoLayout.Path(".env")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(RepoLayout.Path(".secrets")));
        var secret = Mode(RepoLayout.Path(".secrets", "basic_auth_password"));
        // 0400 for the gateway's uid (as root), 0444 in the 0700 folder otherwise.
        Assert.True(Environment.IsPrivilegedProcess
            ? secret == UnixFileMode.UserRead
            : secret == (UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead), $"secret file mode {secret}");
        Assert.Equal(stack.Password, File.ReadAllText(RepoLayout.Path(".secrets", "basic_auth_password")));
    }
}
