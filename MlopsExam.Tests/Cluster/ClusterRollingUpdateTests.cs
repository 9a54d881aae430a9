namespace MlopsExam.Tests.Cluster;

/// <summary>A new image of api-v1, pushed to the cluster's registry under a new tag, rolled out under a steady client.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterRollingUpdateTests(ClusterStack cluster)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_rolling_update_of_api_v1_to_a_new_tag_from_the_registry_loses_no_request()
    {
        using var deadline = new CancellationTokenSource(OperationTimeout);
        var ct = deadline.Token;
        // mlopsexam-registry:5000/mlopsexam-api:TAG@sha256:... -> the host pushes as 127.0.0.1:PORT/mlopsexam-api.
        var current = (await ClusterStack.ManagerAsync(["service", "inspect", $"{ClusterStack.Stack}_api-v1", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}"], ct)).Stdout.Trim();
        var tag = current.Split('@')[0].Split(':')[^1];
        var registryPort = Environment.GetEnvironmentVariable("CLUSTER_REGISTRY_PORT") is { Length: > 0 } port ? port : "5000";
        var newTag = $"{tag}-update-{DateTime.UtcNow:HHmmss}";
        var context = Directory.CreateTempSubdirectory("mlopsexam-update-");
        try
        {
            // A new image (its own config and digest, the same layers): what a release changes, as far as Swarm sees.
            await File.WriteAllTextAsync(Path.Combine(context.FullName, "Dockerfile"),
                $"FROM 127.0.0.1:{registryPort}/mlopsexam-api:{tag}\nLABEL org.mlopsexam.release={newTag}\n", ct);
            await DockerCli.RunCheckedAsync(["build", "-q", "-t", $"127.0.0.1:{registryPort}/mlopsexam-api:{newTag}", context.FullName], OperationTimeout, ct);
            await DockerCli.RunCheckedAsync(["push", "-q", $"127.0.0.1:{registryPort}/mlopsexam-api:{newTag}"], OperationTimeout, ct);
        }
        finally
        {
            context.Delete(recursive: true);
        }

        var before = await ClusterStack.TasksByNodeAsync("api-v1", ct);
        // Without --detach, the command returns once every task runs the new image (start-first, one at a time).
        var results = await cluster.UnderSteadyTrafficAsync(c => ClusterStack.ManagerAsync(
            ["service", "update", "--quiet", "--image", $"mlopsexam-registry:5000/mlopsexam-api:{newTag}", $"{ClusterStack.Stack}_api-v1"], c, OperationTimeout),
            TimeSpan.FromSeconds(3), ct);
        var after = await ClusterStack.TasksByNodeAsync("api-v1", ct);
        var images = (await ClusterStack.ManagerAsync(["service", "ps", $"{ClusterStack.Stack}_api-v1", "--filter", "desired-state=running", "--format", "{{.Image}}"], ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Console.WriteLine(ClusterStack.Summary($"rolling update of api-v1 to :{newTag}", results));
        Assert.True(results.Count > 20, $"only {results.Count} requests were sent");
        Assert.All(results, r => Assert.Equal(200, r.Status));
        // Every task replaced, each running the new tag, on at least two nodes; the new ones answer.
        Assert.Empty(before.Values.SelectMany(ids => ids).Intersect(after.Values.SelectMany(ids => ids)));
        Assert.Equal(3, images.Length);
        Assert.All(images, image => Assert.EndsWith($":{newTag}", image, StringComparison.Ordinal));
        Assert.True(after.Count(t => t.Value.Count > 0) >= 2, "the new tasks run on one node");
        Assert.Contains(results.TakeLast(10), r => ClusterStack.NodeOf(after, r.Instance) is not null);
    }
}
