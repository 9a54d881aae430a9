using System.Collections.Concurrent;
using System.CommandLine;
using System.Text.Json;
using MlopsExam.Model;
using MlopsExam.Reports.Rollout;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// make rollout on the compose stack (issue 16): a healthy challenger is stepped to 100 % and
/// promoted while a steady client (a new X-Client-Id per request) sees no failure, then make
/// rollback brings the champion back; a challenger with injected faults or injected latency is rolled
/// back (exit 3); a corrupt or altered model offered for promotion is refused (exit 4).
/// Short steps (--steps 50,100 --interval 5s --min-requests 20) keep it to a few minutes.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class RolloutStackTests(ComposeStack stack) : IClassFixture<ComposeStack>, IDisposable
{
    private static readonly string Serving = RepoLayout.Path("models", "serving");
    private static readonly string[] ShortSteps = ["--steps", "50,100", "--interval", "5s", "--min-requests", "20", "--max-wait", "60s", "--out", RepoLayout.Path(".artifacts", "rollout")];

    private static string ModelIdOf(string variant) =>
        JsonDocument.Parse(File.ReadAllText(RepoLayout.Path("models", $"sentiment-{variant}.metrics.json"))).RootElement.GetProperty("modelId").GetString()!;

    private sealed record Answer(int Status, string? Version, string? ModelId, string? RoutedTo);

    /// <summary>Paced requests (under the gateway's rate limit), each with a new X-Client-Id, until stopped.</summary>
    private sealed class SteadyClient : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        public ConcurrentQueue<Answer> Answers { get; } = new();

        public SteadyClient(ComposeStack stack, string name)
        {
            var client = stack.CreateClient(resendOnKeepAliveRace: true);
            _loop = Task.Run(async () =>
            {
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    using var request = stack.PredictRequest(GatewayStack.SentenceBody("A gripping, beautifully acted film."));
                    request.Headers.TryAddWithoutValidation("X-Client-Id", $"{name}-{i}");
                    try
                    {
                        using var response = await stack.SendPacedAsync(client, request, _stop.Token);
                        var body = response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : default;
                        Answers.Enqueue(new((int)response.StatusCode,
                            response.IsSuccessStatusCode ? body.GetProperty("version").GetString() : null,
                            response.IsSuccessStatusCode ? body.GetProperty("modelId").GetString() : null,
                            response.Headers.TryGetValues("X-Routed-To", out var routed) ? routed.Single() : null));
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
                    catch (HttpRequestException ex)
                    {
                        Console.WriteLine($"steady client: {ex.Message}");
                        Answers.Enqueue(new(0, null, null, null));
                    }
                }
                client.Dispose();
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    /// <summary>The checks rollout.json recorded, one line each: the rollout's reasons in a failed assertion's message.</summary>
    private static List<JsonElement> Checks() =>
        [.. JsonDocument.Parse(File.ReadAllText(RepoLayout.Path(".artifacts", "rollout", "rollout.json"))).RootElement
            .GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("check").ValueKind == JsonValueKind.Object).Select(e => e.GetProperty("check"))];

    private static string Describe(IEnumerable<JsonElement> checks) => string.Join("\n", checks.Select(c =>
        $"check at {c.GetProperty("weight").GetInt32()} %: {c.GetProperty("verdict").GetString()}, " +
        $"v1 {c.GetProperty("v1").GetProperty("requests")} req p99 {c.GetProperty("v1").GetProperty("p99Ms")} ms, " +
        $"v2 {c.GetProperty("v2").GetProperty("requests")} req p99 {c.GetProperty("v2").GetProperty("p99Ms")} ms ({c.GetProperty("reason").GetString()})"));

    private static async Task<int> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in RolloutCommand.Create()) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync();
    }

    private async Task<List<Answer>> SampleAsync(int count)
    {
        await using var client = new SteadyClient(stack, $"after-{Guid.NewGuid():N}");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (client.Answers.Count < count && DateTime.UtcNow < deadline) await Task.Delay(100);
        return [.. client.Answers];
    }

    /// <summary>
    /// A challenger rolled out has been deployed for a while and served debug and shadow traffic. Freshly
    /// (re)created by an earlier test, its first requests pay the JIT and the building of its scorers (three
    /// ML.NET engines each): one such request is the p99 of a 5 s window of a few dozen, twice v1's, and a
    /// healthy challenger is rolled back. Both variants get paced requests first, and the window moves past them.
    /// </summary>
    private async Task WarmBothVariantsAsync()
    {
        using var client = stack.CreateClient(resendOnKeepAliveRace: true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 20; i++)
            foreach (var group in new[] { "debug", (string?)null })
            {
                using var request = stack.PredictRequest(GatewayStack.SentenceBody($"warming request {i}"), experimentGroup: group);
                using var response = await stack.SendPacedAsync(client, request, deadline.Token);
                Assert.Equal(200, (int)response.StatusCode);
            }
        await Task.Delay(TimeSpan.FromSeconds(10), deadline.Token); // the first checks look back 10 s (RolloutCommand.CheckAsync)
    }

    [Fact]
    public async Task A_healthy_challenger_is_promoted_without_a_failed_request_and_rollback_restores_the_champion()
    {
        await WarmBothVariantsAsync();
        int exit;
        List<Answer> during;
        await using (var client = new SteadyClient(stack, "steady"))
        {
            exit = await RunAsync(["rollout", .. ShortSteps]);
            await Task.Delay(1000);
            during = [.. client.Answers];
        }
        Console.WriteLine($"rollout exit {exit}: {during.Count} requests, {during.Count(a => a.Status != 200)} non-2xx, " +
            $"{during.Count(a => a.RoutedTo == "v2")} routed to v2");
        Assert.True(exit == RolloutCommand.Promoted, $"rollout exit {exit}, not promoted:\n{Describe(Checks())}");
        Assert.All(during, a => Assert.Equal(200, a.Status));
        Assert.Contains(during, a => a.Version == "v2");

        var promoted = await SampleAsync(20);
        Assert.All(promoted, a => Assert.Equal((200, "v1", ModelIdOf("v2")), (a.Status, a.Version, a.ModelId)));

        List<Answer> rollingBack;
        await using (var client = new SteadyClient(stack, "rollback"))
        {
            exit = await RunAsync("rollback");
            await Task.Delay(1000);
            rollingBack = [.. client.Answers];
        }
        Console.WriteLine($"rollback exit {exit}: {rollingBack.Count} requests, {rollingBack.Count(a => a.Status != 200)} non-2xx");
        Assert.Equal(RolloutCommand.Promoted, exit);
        Assert.All(rollingBack, a => Assert.Equal(200, a.Status));
        Assert.All(await SampleAsync(20), a => Assert.Equal((200, ModelIdOf("v1")), (a.Status, a.ModelId)));
    }

    [Fact]
    public async Task A_challenger_failing_a_fifth_of_its_requests_is_rolled_back_and_v1_keeps_its_model()
    {
        await RecreateApiV2Async(new Dictionary<string, string> { ["API_V2_FAULT_PERCENT"] = "20" });
        try
        {
            int exit;
            List<Answer> during;
            await using (var client = new SteadyClient(stack, "faulty"))
            {
                exit = await RunAsync(["rollout", .. ShortSteps]);
                during = [.. client.Answers];
            }
            var failed = during.Where(a => a.Status != 200).ToList();
            var toV2 = during.Count(a => a.RoutedTo == "v2");
            Console.WriteLine($"rollout exit {exit}: {during.Count} requests, {toV2} routed to v2, {failed.Count} non-2xx " +
                $"({(toV2 > 0 ? 100.0 * failed.Count / toV2 : 0):F1} % of v2's)");
            Assert.True(exit == RolloutCommand.RolledBack, $"rollout exit {exit}, not rolled back:\n{Describe(Checks())}");
            // Every failure is one of the requests the weight sent to v2.
            Assert.All(failed, a => Assert.Equal((500, "v2"), (a.Status, a.RoutedTo)));

            Assert.All(await SampleAsync(20), a => Assert.Equal((200, "v1", ModelIdOf("v1")), (a.Status, a.Version, a.ModelId)));
        }
        finally
        {
            await RecreateApiV2Async(new Dictionary<string, string>());
        }
    }

    [Fact]
    public async Task A_challenger_300_ms_slower_is_rolled_back_on_latency_without_a_failed_request()
    {
        await RecreateApiV2Async(new Dictionary<string, string> { ["API_V2_FAULT_DELAY_MS"] = "300" });
        try
        {
            int exit;
            List<Answer> during;
            await using (var client = new SteadyClient(stack, "slow"))
            {
                exit = await RunAsync(["rollout", .. ShortSteps]);
                during = [.. client.Answers];
            }
            var checks = Checks();
            Console.WriteLine(Describe(checks));
            Console.WriteLine($"rollout exit {exit}: {during.Count} requests, {during.Count(a => a.RoutedTo == "v2")} routed to v2, " +
                $"{during.Count(a => a.Status != 200)} non-2xx");
            Assert.True(exit == RolloutCommand.RolledBack, $"rollout exit {exit}, not rolled back:\n{Describe(checks)}");
            // Rolled back on latency: the failed checks say p99, and none says errors.
            var failed = checks.Where(c => c.GetProperty("verdict").GetString() == "fail").ToList();
            Assert.True(failed.Count == 2, Describe(checks));
            Assert.All(failed, c => Assert.Contains("v2 p99", c.GetProperty("reason").GetString()));
            Assert.All(failed, c => Assert.DoesNotContain("error ratio", c.GetProperty("reason").GetString()));
            Assert.All(during, a => Assert.Equal(200, a.Status));

            Assert.All(await SampleAsync(20), a => Assert.Equal((200, "v1", ModelIdOf("v1")), (a.Status, a.Version, a.ModelId)));
        }
        finally
        {
            await RecreateApiV2Async(new Dictionary<string, string>());
        }
    }

    /// <summary>
    /// Two bad challengers offered to make promote while a steady client runs: an altered file (v2's
    /// bytes plus one, under v2's recorded sha256), refused by the command's own check before any
    /// replica sees it; and a truncated zip whose metrics record its true sha256, which passes that
    /// check and is refused by the v1 replicas themselves (their load and smoke check), after which
    /// the command puts the champion's selection back. Either way exit 4, and no answer fails or
    /// carries another model than the champion's.
    /// </summary>
    [Fact]
    public async Task A_corrupt_or_altered_model_offered_for_promotion_is_refused_and_v1_keeps_answering_with_its_model()
    {
        var models = RepoLayout.Path("models");
        var store = new ModelStore(models);
        var v2Zip = Path.Combine(models, "sentiment-v2.zip");
        var v2Metrics = ModelMetrics.Read(Path.Combine(models, "sentiment-v2.metrics.json"));
        var altered = Path.Combine(models, "sentiment-altered.zip");
        var truncated = Path.Combine(models, "sentiment-truncated.zip");
        File.WriteAllBytes(altered, [.. File.ReadAllBytes(v2Zip), 0x0a]);
        (v2Metrics with { ModelId = "sentiment-altered" }).Write(ModelMetrics.PathFor(altered));
        var bytes = File.ReadAllBytes(v2Zip);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        (v2Metrics with { ModelId = "sentiment-truncated", ModelSha256 = SentimentModel.ComputeSha256(truncated) }).Write(ModelMetrics.PathFor(truncated));
        var champion = ModelIdOf("v1");
        try
        {
            // Every request to v1, so that each answer shows the model the champion's replicas serve.
            var (code, output) = Shell.Run(RepoLayout.Path("scripts", "gateway-exec.sh"), ["canary-weight.sh", "0"], TimeSpan.FromSeconds(30));
            Assert.True(code == 0, output);
            var refusedBefore = await RefusedSwitchesAsync("v1");
            var exits = new List<int>();
            List<Answer> during;
            await using (var client = new SteadyClient(stack, "corrupt"))
            {
                foreach (var offered in new[] { altered, truncated })
                {
                    store.Write("v2", Path.GetFileName(offered));
                    exits.Add(await RunAsync("promote"));
                    Assert.Equal("sentiment-v1.zip", store.Selected("v1"));
                }
                await Task.Delay(2000);
                during = [.. client.Answers];
            }
            var refused = await RefusedSwitchesAsync("v1") - refusedBefore;
            Console.WriteLine($"promote exits {string.Join(", ", exits)}: {during.Count} requests, {during.Count(a => a.Status != 200)} non-2xx, " +
                $"model ids {string.Join(", ", during.Select(a => a.ModelId).Distinct())}; v1 replicas' refused switches +{refused}");
            Assert.Equal([RolloutCommand.Refused, RolloutCommand.Refused], exits);
            Assert.NotEmpty(during);
            Assert.All(during, a => Assert.Equal((200, "v1", champion), (a.Status, a.Version, a.ModelId)));
            // The truncated model reached the replicas and they refused it (the altered one never did).
            Assert.True(refused >= 1, $"no v1 replica counted a refused switch (+{refused})");
            Assert.All(await SampleAsync(20), a => Assert.Equal((200, champion), (a.Status, a.ModelId)));
        }
        finally
        {
            store.Write("v2", "");
            foreach (var file in new[] { altered, truncated })
            {
                File.Delete(file);
                File.Delete(ModelMetrics.PathFor(file));
            }
        }
    }

    private async Task<double> RefusedSwitchesAsync(string variant)
    {
        var query = Uri.EscapeDataString($"sum(sentiment_model_switches_total{{variant=\"{variant}\",result=\"refused\"}}) or vector(0)");
        var json = JsonDocument.Parse(await stack.QueryPrometheusAsync($"/api/v1/query?query={query}", CancellationToken.None)).RootElement;
        return double.Parse(json.GetProperty("data").GetProperty("result")[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task RecreateApiV2Async(IReadOnlyDictionary<string, string> settings) =>
        DockerCli.RunCheckedAsync(["compose", "up", "--detach", "--no-deps", "--wait", "--wait-timeout", "180", "--force-recreate", "api-v2"],
            TimeSpan.FromMinutes(4), environment: settings);

    public void Dispose()
    {
        // The selections and history this class wrote: the next stack starts on the default models.
        if (Directory.Exists(Serving)) Directory.Delete(Serving, recursive: true);
    }
}
