using System.Text.Json;

namespace MlopsExam.Tests.Cluster;

/// <summary>The basic-auth password on the cluster: a Swarm secret, on the gateway's node a file of mode 0400 owned by the
/// uid the gateway runs as, and in no container's environment (the node containers and the registry on the host, every
/// service's spec, every task's container on every node, and what its first process was started with).</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Stack"), Trait("Stack", "Cluster")]
public sealed class ClusterSecretTests(ClusterStack cluster)
{
    private const string SecretPath = "/run/secrets/basic_auth_password";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_password_is_a_0400_file_of_the_gateways_uid_and_in_no_containers_environment()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = deadline.Token;
        var gateway = Assert.Single((await ClusterStack.TasksByNodeAsync("gateway", ct, ["node1"]))["node1"]);

        // `docker exec` runs as the container's user: the gateway's uid, which alone may read the file.
        var uid = (await ClusterStack.OnNodeAsync("node1", ["exec", gateway, "id", "-u"], ct)).Stdout.Trim();
        var file = (await ClusterStack.OnNodeAsync("node1", ["exec", gateway, "stat", "-L", "-c", "%a %u %F", SecretPath], ct)).Stdout.Trim();
        Console.WriteLine($"gateway {gateway} on node1 runs as uid {uid}; {SecretPath}: {file}");
        Assert.Equal("10101", uid);
        Assert.Equal($"400 {uid} regular file", file);
        Assert.Equal(cluster.Password, (await ClusterStack.OnNodeAsync("node1", ["exec", gateway, "cat", SecretPath], ct)).Stdout);

        // The service specs the managers hold (what every task of a service is started with).
        var services = (await ClusterStack.ManagerAsync(["service", "ls", "--format", "{{.Name}}"], ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(services);
        foreach (var service in services)
        {
            var env = (await ClusterStack.ManagerAsync(["service", "inspect", service, "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Env}}"], ct)).Stdout;
            AssertHoldsNoPassword($"service {service}'s spec", JsonStrings(env));
        }

        // The host's containers of the cluster (nodes, registry), then every container on every node, running or not.
        var hostContainers = (await DockerCli.RunCheckedAsync(["ps", "-aq", "--filter", "label=org.mlopsexam.cluster=1"], CommandTimeout, ct)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(4, hostContainers.Length);
        foreach (var id in hostContainers)
            AssertHoldsNoPassword($"host container {id}", JsonStrings((await DockerCli.RunCheckedAsync(["inspect", "--format", "{{json .Config.Env}}", id], CommandTimeout, ct)).Stdout));

        var checkedContainers = 0;
        foreach (var node in ClusterStack.Nodes)
        {
            var containers = (await ClusterStack.OnNodeAsync(node, ["ps", "-q"], ct)).Stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var id in containers)
            {
                var inspect = JsonDocument.Parse((await ClusterStack.OnNodeAsync(node, ["inspect", id], ct)).Stdout).RootElement[0];
                var name = inspect.GetProperty("Name").GetString();
                AssertHoldsNoPassword($"{name} on {node}", inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString() ?? ""));
                // The environment its first process really has (an entrypoint could export what the config does not hold).
                var environ = await DockerCli.RunAsync(["-H", $"unix://{ClusterStack.RunDir}/{node}/docker.sock", "exec", id, "cat", "/proc/1/environ"], CommandTimeout, ct);
                Assert.True(environ.ExitCode == 0, $"{name} on {node}: {environ.Output}");
                AssertHoldsNoPassword($"{name} on {node} (/proc/1/environ)", environ.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries));
                checkedContainers++;
            }
        }
        Console.WriteLine($"{services.Length} service specs, {hostContainers.Length} host containers, {checkedContainers} task containers on 3 nodes: no password in any environment");
        Assert.True(checkedContainers >= services.Length, $"only {checkedContainers} containers on the nodes");
    }

    private static IEnumerable<string> JsonStrings(string json) =>
        json.Trim() is "" or "null" ? [] : JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();

    private void AssertHoldsNoPassword(string where, IEnumerable<string> environment)
    {
        var variables = environment.ToList();
        Assert.DoesNotContain(variables, v => v.StartsWith("BASIC_AUTH_PASSWORD=", StringComparison.Ordinal));
        Assert.False(variables.Any(v => v.Contains(cluster.Password, StringComparison.Ordinal)), $"{where}'s environment holds the password");
    }
}
