using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Cluster;

/// <summary>The cluster's placement (docker-stack.cluster.yml): the gateway on the edge node, and the answers that come
/// through it from api-v1 replicas on at least two nodes.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterSpreadTests(ClusterStack cluster)
{
    [Fact]
    public async Task Answers_through_the_edge_come_from_api_v1_replicas_on_at_least_two_nodes()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var tasks = await ClusterStack.TasksByNodeAsync("api-v1", deadline.Token);
        var gateway = await ClusterStack.TasksByNodeAsync("gateway", deadline.Token);
        Assert.Single(gateway["node1"]);
        Assert.All(ClusterStack.Nodes.Skip(1), node => Assert.Empty(gateway[node]));

        using var client = cluster.CreateClient();
        var answeredOn = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await cluster.SendPacedAsync(client, cluster.PredictRequest(GatewayStack.SentenceBody($"where am I answered? {i}")), deadline.Token);
            Assert.Equal(200, (int)response.StatusCode);
            var instance = response.Headers.GetValues("X-Instance-Id").Single();
            answeredOn.Add(ClusterStack.NodeOf(tasks, instance) ?? throw new InvalidOperationException($"{instance} is no api-v1 task of any node"));
        }
        Console.WriteLine("api-v1 tasks by node: " + string.Join(", ", tasks.Select(t => $"{t.Key} {t.Value.Count}"))
            + "; 12 answers by node: " + string.Join(", ", answeredOn.GroupBy(n => n).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        Assert.True(answeredOn.Distinct().Count() >= 2, $"every answer came from {answeredOn[0]}");
    }
}
