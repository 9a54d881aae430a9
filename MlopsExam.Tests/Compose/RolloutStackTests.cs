using System.Collections.Concurrent;
using System.CommandLine;
using System.Text.Json;
using MlopsExam.Reports.Rollout;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// make rollout on the compose stack (issue 16): a healthy challenger is stepped to 100 % and
/// promoted while a steady client (a new X-Client-Id per request) sees no failure, then make
/// rollback brings the champion back; a challenger with injected faults is rolled back (exit 3).
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

    [Fact]
    public async Task A_healthy_challenger_is_promoted_without_a_failed_request_and_rollback_restores_the_champion()
    {
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
        Assert.Equal(RolloutCommand.Promoted, exit);
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
            Assert.Equal(RolloutCommand.RolledBack, exit);
            // Every failure is one of the requests the weight sent to v2.
            Assert.All(failed, a => Assert.Equal((500, "v2"), (a.Status, a.RoutedTo)));

            Assert.All(await SampleAsync(20), a => Assert.Equal((200, "v1", ModelIdOf("v1")), (a.Status, a.Version, a.ModelId)));
        }
        finally
        {
            await RecreateApiV2Async(new Dictionary<string, string>());
        }
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
