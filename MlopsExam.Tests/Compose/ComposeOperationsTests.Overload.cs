using System.Text.Json;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Graceful overload (deployments/nginx/snippets/overload.conf): with GATEWAY_MAX_INFLIGHT requests in
/// flight, the next one is answered at once with a 503 problem and Retry-After, and never reaches a
/// replica; the ones in flight are answered normally. v2 is made slow (API_V2_FAULT_DELAY_MS) so that
/// requests stay in flight long enough to be counted, whatever this machine's speed.
/// </summary>
public sealed partial class ComposeOperationsTests
{
    [Fact]
    public async Task Beyond_its_in_flight_limit_the_gateway_sheds_with_a_503_problem_and_serves_the_rest()
    {
        const int limit = 2, concurrent = 8;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await RecreateApiV2Async(new Dictionary<string, string> { ["API_V2_FAULT_DELAY_MS"] = "3000" });
        await RecreateGatewayAsync(new Dictionary<string, string>
        {
            ["GATEWAY_MAX_INFLIGHT"] = $"{limit}",
            ["RATE_LIMIT_RPS"] = "10000",
            ["RATE_LIMIT_BURST"] = "10000",
        });
        try
        {
            using var client = stack.CreateClient(resendOnKeepAliveRace: true);
            // Each request of its own connection's worth: all sent at once, each held by v2 for 3 s.
            var answers = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(async i =>
            {
                using var request = stack.PredictRequest(GatewayStack.SentenceBody($"held request {i}"), experimentGroup: "debug");
                using var response = await client.SendAsync(request, deadline.Token);
                return (Status: (int)response.StatusCode,
                    ContentType: response.Content.Headers.ContentType?.MediaType,
                    RetryAfter: response.Headers.RetryAfter?.Delta,
                    Body: await response.Content.ReadAsStringAsync(deadline.Token));
            }));

            var served = answers.Count(a => a.Status == 200);
            var shed = answers.Where(a => a.Status == 503).ToList();
            Console.WriteLine($"{concurrent} at once, limit {limit}: {served} served, {shed.Count} shed; statuses {string.Join(",", answers.Select(a => a.Status))}");
            Assert.Equal(concurrent, served + shed.Count);
            Assert.InRange(served, 1, limit);
            Assert.NotEmpty(shed);
            foreach (var answer in shed)
            {
                Assert.Equal("application/problem+json", answer.ContentType);
                Assert.Equal(TimeSpan.FromSeconds(1), answer.RetryAfter);
                var problem = JsonDocument.Parse(answer.Body).RootElement;
                Assert.Equal(503, problem.GetProperty("status").GetInt32());
                Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty("requestId").GetString()!);
            }
        }
        finally
        {
            await RecreateGatewayAsync();
            await RecreateApiV2Async(new Dictionary<string, string>());
        }
    }

    private static Task RecreateApiV2Async(IReadOnlyDictionary<string, string> settings) =>
        ComposeAsync(settings, "up", "--detach", "--no-deps", "--wait", "--wait-timeout", "180", "--force-recreate", "api-v2");
}
