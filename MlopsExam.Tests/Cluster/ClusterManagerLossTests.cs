using System.Diagnostics;

namespace MlopsExam.Tests.Cluster;

/// <summary>One of the three managers lost (`docker kill` of node3's container): the other two still make a quorum, so
/// the swarm takes orders (`docker service scale` converges); the node started again rejoins as a reachable manager.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterManagerLossTests
{
    private const string Lost = "node3";
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    private static async Task<string> ManagerStatusAsync(string node, CancellationToken ct) =>
        (await ClusterStack.AskManagerAsync(["node", "inspect", node, "--format", "{{.Status.State}} {{.ManagerStatus.Reachability}}"], ct)).Trim();

    [Fact]
    public async Task With_one_of_three_managers_lost_docker_service_scale_still_works()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var ct = deadline.Token;
        var managers = (await ClusterStack.ManagerAsync(["node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}"], ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, managers.Count(m => m.EndsWith(" Leader", StringComparison.Ordinal) || m.EndsWith(" Reachable", StringComparison.Ordinal)));
        Assert.Equal("ready reachable", await ManagerStatusAsync(Lost, ct));

        var clock = Stopwatch.StartNew();
        TimeSpan down, scaledUp, rejoined = TimeSpan.Zero;
        string replicas;
        int live;
        try
        {
            await DockerCli.RunCheckedAsync(["kill", $"mlopsexam-{Lost}"], TimeSpan.FromSeconds(30), ct);
            // Seen as lost: its heartbeats stopped (down), and raft no longer reaches it (unreachable).
            while (await ManagerStatusAsync(Lost, ct) != "down unreachable")
                await Task.Delay(500, ct);
            down = clock.Elapsed;

            // Without --detach, scale returns once the new task runs: an order the two remaining managers carried out.
            clock.Restart();
            await ClusterStack.ManagerAsync(["service", "scale", $"{ClusterStack.Stack}_api-v2=2"], ct, TimeSpan.FromMinutes(3));
            scaledUp = clock.Elapsed;
            replicas = (await ClusterStack.ReplicasAsync(ct))[$"{ClusterStack.Stack}_api-v2"];
            // Running tasks on the live nodes: `service ls` still counts a task of the lost node as running ("3/2"), since
            // no node reports it otherwise.
            live = (await ClusterStack.ManagerAsync(["service", "ps", $"{ClusterStack.Stack}_api-v2", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"], ct)).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Count(line => line.Contains(" Running", StringComparison.Ordinal) && !line.StartsWith(Lost + " ", StringComparison.Ordinal));
            await ClusterStack.ManagerAsync(["service", "scale", $"{ClusterStack.Stack}_api-v2=1"], ct, TimeSpan.FromMinutes(3));
        }
        finally
        {
            await DockerCli.RunAsync(["start", $"mlopsexam-{Lost}"], TimeSpan.FromSeconds(30), CancellationToken.None);
            clock.Restart();
            while (await ManagerStatusAsync(Lost, CancellationToken.None) != "ready reachable" && clock.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(500, CancellationToken.None);
            rejoined = clock.Elapsed;
        }

        Console.WriteLine($"{Lost} killed: down and unreachable after {down.TotalSeconds:F1} s; `docker service scale api-v2=2` with two managers "
            + $"returned after {scaledUp.TotalSeconds:F1} s ({live} running on the live nodes; service ls: {replicas}); {Lost} ready and reachable {rejoined.TotalSeconds:F1} s after its start");
        Assert.Equal(2, live);
        Assert.Equal("ready reachable", await ManagerStatusAsync(Lost, ct));
    }
}
