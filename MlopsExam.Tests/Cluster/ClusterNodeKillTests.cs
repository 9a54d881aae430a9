using System.Diagnostics;

namespace MlopsExam.Tests.Cluster;

/// <summary>A worker node killed (`docker kill` of its container: its daemon and every task at once) and started again,
/// under a steady client: a request in flight on the killed node gets no reset, so the gateway's read timeout for
/// /predict (5 s) makes it try another replica; Swarm reschedules the node's tasks on the other two nodes, and the node
/// rejoins. Prints how long the rescheduling took and how many requests took over 1 s.
/// (<see cref="ClusterManagerLossTests"/>: the swarm still takes orders with one manager lost.)</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterNodeKillTests(ClusterStack cluster)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Killing_a_worker_node_and_starting_it_again_loses_no_request()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var ct = deadline.Token;
        var before = await ClusterStack.TasksByNodeAsync("api-v1", ct);
        // The worker with the most api-v1 tasks (two, when the placement put two there): the harder case, a request
        // may meet both dead replicas in turn before a live one.
        var worker = before.Where(t => t.Key != "node1" && t.Value.Count > 0).OrderByDescending(t => t.Value.Count).First().Key;
        TimeSpan rescheduled = TimeSpan.Zero, rejoined = TimeSpan.Zero;
        List<ClusterStack.Answer> results;
        try
        {
            results = await cluster.UnderSteadyTrafficAsync(async c =>
            {
                var clock = Stopwatch.StartNew();
                await DockerCli.RunCheckedAsync(["kill", $"mlopsexam-{worker}"], TimeSpan.FromSeconds(30), c);
                // Rescheduled: three running api-v1 tasks, none on the dead node.
                while (true)
                {
                    var running = (await ClusterStack.AskManagerAsync(["service", "ps", $"{ClusterStack.Stack}_api-v1", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"], c))
                        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (running.Count(line => line.Contains(" Running", StringComparison.Ordinal) && !line.StartsWith(worker + " ", StringComparison.Ordinal)) == 3) break;
                    await Task.Delay(500, c);
                }
                rescheduled = clock.Elapsed;

                clock.Restart();
                await DockerCli.RunCheckedAsync(["start", $"mlopsexam-{worker}"], TimeSpan.FromSeconds(30), c);
                while ((await ClusterStack.AskManagerAsync(["node", "inspect", worker, "--format", "{{.Status.State}} {{.ManagerStatus.Reachability}}"], c)).Trim() != "ready reachable")
                    await Task.Delay(500, c);
                rejoined = clock.Elapsed;
            }, TimeSpan.FromSeconds(3), ct);
        }
        finally
        {
            // A test that failed half-way leaves no node dead for the next one (starting a running container is a no-op).
            await DockerCli.RunAsync(["start", $"mlopsexam-{worker}"], TimeSpan.FromSeconds(30), CancellationToken.None);
        }

        Console.WriteLine(ClusterStack.Summary($"kill of {worker} (api-v1 tasks by node before: {string.Join(", ", before.Select(t => $"{t.Key} {t.Value.Count}"))}): api-v1 rescheduled after {rescheduled.TotalSeconds:F1} s, {worker} ready again {rejoined.TotalSeconds:F1} s after its start", results));
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, r => Assert.Equal(200, r.Status));
    }
}
