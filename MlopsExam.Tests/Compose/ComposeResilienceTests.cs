using System.Text.Json;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// A replica that goes away while traffic flows costs no request: nginx takes it out of rotation and
/// re-sends what it had in flight to another replica (deployments/nginx/snippets/proxy-api.conf).
/// Its own compose stack, because it stops a replica that the feature tests count on.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class ComposeResilienceTests(ComposeStack stack) : IClassFixture<ComposeStack>
{
    [Fact]
    public async Task Stopping_a_v1_replica_under_traffic_loses_no_request()
    {
        using var client = stack.CreateClient();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var served = new List<(int Status, string? Instance)>();
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var response = await stack.SendPacedAsync(client,
                    stack.PredictRequest(GatewayStack.SentenceBody($"request {served.Count} under failure")), deadline.Token);
                var instance = response.IsSuccessStatusCode
                    ? JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token)).RootElement.GetProperty("instance").GetString()
                    : null;
                served.Add(((int)response.StatusCode, instance));
            }
        }

        await SendAsync(6);
        var victim = served.Select(s => s.Instance).First(i => i is not null)!;
        // Requests keep flowing while the replica shuts down (docker stop: SIGTERM, then up to 10 s).
        var stopping = stack.StopReplicaAsync(victim, deadline.Token);
        await SendAsync(12);
        await stopping;
        var afterStop = served.Count;
        await SendAsync(12);

        Assert.All(served, s => Assert.Equal(200, s.Status));
        // Once stopped, the replica answers nothing more, and the other two share the traffic.
        var lastRound = served.Skip(afterStop).Select(s => s.Instance).ToList();
        Assert.DoesNotContain(victim, lastRound);
        Assert.Equal(2, lastRound.Distinct().Count());
    }
}
