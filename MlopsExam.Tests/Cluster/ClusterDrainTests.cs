namespace MlopsExam.Tests.Cluster;

/// <summary>A worker drained (its tasks move to the other nodes) and made active again, under a steady client.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterDrainTests(ClusterStack cluster)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Draining_a_worker_and_back_to_active_loses_no_request()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var ct = deadline.Token;
        // A node other than the edge (the gateway's) that runs an api-v1 task.
        var worker = (await ClusterStack.TasksByNodeAsync("api-v1", ct, ClusterStack.Nodes.Skip(1))).First(t => t.Value.Count > 0).Key;
        var drained = TimeSpan.Zero;
        try
        {
            var results = await cluster.UnderSteadyTrafficAsync(async c =>
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await ClusterStack.ManagerAsync(["node", "update", "--availability", "drain", worker], c);
                // Drained: no task of the stack left on the worker, and api-v1 back to three tasks elsewhere.
                while ((await ClusterStack.OnNodeAsync(worker, ["ps", "-q", "--filter", $"label=com.docker.stack.namespace={ClusterStack.Stack}"], c)).Stdout.Trim().Length > 0
                       || (await ClusterStack.ReplicasAsync(c))[$"{ClusterStack.Stack}_api-v1"] != "3/3")
                    await Task.Delay(500, c);
                drained = clock.Elapsed;
                await ClusterStack.ManagerAsync(["node", "update", "--availability", "active", worker], c);
            }, TimeSpan.FromSeconds(3), ct);

            Console.WriteLine(ClusterStack.Summary($"drain of {worker} (empty after {drained.TotalSeconds:F1} s) and back to active", results));
            Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
            Assert.All(results, r => Assert.Equal(200, r.Status));
        }
        finally
        {
            await ClusterStack.ManagerAsync(["node", "update", "--availability", "active", worker], CancellationToken.None);
        }
        var availability = (await ClusterStack.ManagerAsync(["node", "inspect", worker, "--format", "{{.Spec.Availability}}"], ct)).Stdout.Trim();
        Assert.Equal("active", availability);
    }
}
