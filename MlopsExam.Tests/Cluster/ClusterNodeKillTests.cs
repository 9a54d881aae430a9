using System.Diagnostics;

namespace MlopsExam.Tests.Cluster;

/// <summary>A worker node killed (`docker kill` of its container: its daemon and every task at once) and started again,
/// under a steady client: Swarm reschedules its tasks on the other two nodes, the two remaining managers keep the swarm
/// operable (a `docker service scale` works), and the node rejoins.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterNodeKillTests(ClusterStack cluster)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Killing_a_worker_node_and_starting_it_again_loses_no_request()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var ct = deadline.Token;
        var worker = (await ClusterStack.TasksByNodeAsync("api-v1", ct, ClusterStack.Nodes.Skip(1))).First(t => t.Value.Count > 0).Key;
        TimeSpan rescheduled = TimeSpan.Zero, rejoined = TimeSpan.Zero;
        var scaled = false;
        var results = await cluster.UnderSteadyTrafficAsync(async c =>
        {
            var clock = Stopwatch.StartNew();
            await DockerCli.RunCheckedAsync(["kill", $"mlopsexam-{worker}"], TimeSpan.FromSeconds(30), c);
            // Rescheduled: three running api-v1 tasks, none on the dead node.
            while (true)
            {
                var running = (await ClusterStack.ManagerAsync(["service", "ps", $"{ClusterStack.Stack}_api-v1", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"], c)).Stdout
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (running.Count(line => line.Contains(" Running", StringComparison.Ordinal) && !line.StartsWith(worker + " ", StringComparison.Ordinal)) == 3) break;
                await Task.Delay(500, c);
            }
            rescheduled = clock.Elapsed;
            // Two managers of three: the swarm still takes orders.
            await ClusterStack.ManagerAsync(["service", "scale", $"{ClusterStack.Stack}_api-v2=2"], c, TimeSpan.FromMinutes(2));
            await ClusterStack.ManagerAsync(["service", "scale", "--detach", $"{ClusterStack.Stack}_api-v2=1"], c);
            scaled = true;

            clock.Restart();
            await DockerCli.RunCheckedAsync(["start", $"mlopsexam-{worker}"], TimeSpan.FromSeconds(30), c);
            while ((await ClusterStack.ManagerAsync(["node", "inspect", worker, "--format", "{{.Status.State}} {{.ManagerStatus.Reachability}}"], c)).Stdout.Trim() != "ready reachable")
                await Task.Delay(500, c);
            rejoined = clock.Elapsed;
        }, TimeSpan.FromSeconds(3), ct);

        Console.WriteLine(ClusterStack.Summary($"kill of {worker}: api-v1 rescheduled after {rescheduled.TotalSeconds:F1} s, {worker} ready again {rejoined.TotalSeconds:F1} s after its start", results));
        Assert.True(scaled);
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, r => Assert.Equal(200, r.Status));
    }
}
