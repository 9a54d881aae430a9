using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlopsExam.AppHost.Compose;
using MlopsExam.AppHost.Gateway;

namespace MlopsExam.AppHost.Publishing;

/// <summary>
/// docker-stack.cluster.yml, deployed on top of docker-stack.yml on a swarm of several nodes (`make cluster-deploy`:
/// <c>docker stack deploy -c docker-stack.yml -c docker-stack.cluster.yml</c>). Derived from the Swarm stack's own
/// model (<see cref="ForCluster"/>), so it follows the app model: what several nodes change, and nothing else.
/// </summary>
public static class ClusterDeliverable
{
    public const string FileName = "docker-stack.cluster.yml";

    /// <summary>Name of the pipeline step that writes the file.</summary>
    public const string StepName = "publish-swarm-cluster";

    /// <summary>Node labels: where clients arrive (the gateway publishes its ports there, in mode host), and where the
    /// services that keep data on a node-local volume run.</summary>
    public const string EdgeConstraint = "node.labels.edge == true";
    public const string StateConstraint = "node.labels.state == true";

    public static readonly ComposeVariable Registry = new("CLUSTER_REGISTRY", "mlopsexam-registry:5000", null,
        "registry every node pulls the images from");

    // docker stack deploy (docker CLI 20.10) cuts a :? message at its first space: one word.
    public static readonly ComposeVariable Tag = new("CLUSTER_TAG", null, "CLUSTER_TAG_unset",
        "the images' version tag (make cluster-deploy: the commit)");

    /// <summary>The secrets holding the gateway's certificate pair on a cluster (the bind mount of its folder is gone).</summary>
    public const string CertificateSecret = "gateway_certificate";
    public const string KeySecret = "gateway_key";

    public static IDistributedApplicationBuilder AddClusterDeliverable(this IDistributedApplicationBuilder builder)
    {
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var text = await RenderAsync(context.Services.GetRequiredKeyedService<ComposePublisher>("swarm"), context.Model,
                context.ExecutionContext, output, context.CancellationToken);
            var path = Path.Combine(output, FileName);
            Directory.CreateDirectory(output);
            if (!File.Exists(path) || await File.ReadAllTextAsync(path, context.CancellationToken) != text)
                await File.WriteAllTextAsync(path, text, new System.Text.UTF8Encoding(false), context.CancellationToken);
            context.Logger.LogInformation("Wrote {Path} from the app model", path);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>The file's text, paths relative to <paramref name="baseDirectory"/>.</summary>
    public static async Task<string> RenderAsync(ComposePublisher swarm, DistributedApplicationModel model,
        DistributedApplicationExecutionContext context, string baseDirectory, CancellationToken ct = default) =>
        ComposeYamlWriter.Write(ForCluster(await swarm.BuildAsync(model, context, ct)), baseDirectory);

    /// <summary>
    /// What each service of the Swarm stack needs on several nodes:
    /// <list type="bullet">
    /// <item>an image built here (<c>:local</c>) comes from the registry, tagged with the version pushed;</item>
    /// <item>a service publishing ports in mode host (the gateway) runs on the edge nodes, where clients arrive;</item>
    /// <item>another keeping data on a named volume (Prometheus, PostgreSQL) is pinned to the state node: a volume is local
    /// to its node, and a task moved elsewhere would start empty;</item>
    /// <item>a service of n &gt; 1 replicas runs at most ceil(n/2) on one node: at least two nodes serve it, and a
    /// start-first rolling update or a drained node still finds room;</item>
    /// <item>the gateway's certificate folder, a bind mount of a folder only this host has, becomes an anonymous volume
    /// with the pair mounted into it from two Swarm secrets (the key readable by the gateway's uid alone).</item>
    /// </list>
    /// A read-only bind mount (the model store) stays: each node must have that folder at the same path.
    /// </summary>
    public static ComposeFileModel ForCluster(ComposeFileModel stack)
    {
        var file = new ComposeFileModel { Name = stack.Name, StackFormatVersion = stack.StackFormatVersion, Header = Header };
        file.Variables[Registry.Name] = Registry;
        file.Variables[Tag.Name] = Tag;
        foreach (var service in stack.Services.Values)
        {
            var cluster = new ComposeService(service.Name);
            if (service.Image is { } image && image.EndsWith(":local", StringComparison.Ordinal))
                cluster.Image = $"{Registry.Interpolation}/{image[..^":local".Length]}:{Tag.Interpolation}";

            var placement = new ComposePlacement();
            if (service.Ports.Any(p => p.Mode == "host"))
                placement.Constraints.Add(EdgeConstraint);
            else if (service.Volumes.Any(v => v is { IsBind: false, IsAnonymous: false }))
                placement.Constraints.Add(StateConstraint);
            if (service.Deploy?.Replicas is int replicas and > 1)
                placement.MaxReplicasPerNode = (replicas + 1) / 2;
            if (!placement.IsEmpty)
                cluster.Deploy = new ComposeDeploy { Placement = placement };

            if (service.Volumes.FirstOrDefault(v => v is { IsBind: true, ReadOnly: false, Target: GatewayResourceBuilderExtensions.CertificateFolder }) is { } certs)
            {
                cluster.Volumes.Add(new ComposeVolume("", certs.Target));
                var uid = $"{GatewayResourceBuilderExtensions.Uid}";
                cluster.Secrets.Add(new ComposeServiceSecret(CertificateSecret, $"{certs.Target}/{GatewayResourceBuilderExtensions.CertificateFile}", uid, uid, "0444"));
                cluster.Secrets.Add(new ComposeServiceSecret(KeySecret, $"{certs.Target}/{GatewayResourceBuilderExtensions.KeyFile}", uid, uid, "0400"));
                file.Secrets[CertificateSecret] = new ComposeSecret(File: Path.Combine(certs.Source, GatewayResourceBuilderExtensions.CertificateFile),
                    Comment: "The gateway's certificate and key, from the folder the other stacks bind-mount (make cluster-deploy makes a pair when none).");
                file.Secrets[KeySecret] = new ComposeSecret(File: Path.Combine(certs.Source, GatewayResourceBuilderExtensions.KeyFile));
            }

            if (cluster.Image is not null || cluster.Deploy is not null || cluster.Volumes.Count > 0)
                file.Services[service.Name] = cluster;
        }
        return file;
    }

    private const string Header = """
        The stack on a swarm of several nodes: deployed ON TOP OF docker-stack.yml
        (`make cluster-deploy`: docker stack deploy -c docker-stack.yml -c docker-stack.cluster.yml),
        which it completes with what several nodes change; docs/swarm.md tells the steps.

        GENERATED from the AppHost's app model by `make publish` (aspire publish), from the
        Swarm stack's services (MlopsExam.AppHost/Publishing/ClusterDeliverable.cs): do not edit.

          - every image built here comes from a registry all nodes reach, with a version tag;
          - the gateway (ports in mode host) runs on the nodes labelled edge=true;
          - Prometheus and PostgreSQL (node-local volumes) on the node labelled state=true;
          - api-v1's replicas: at most ceil(n/2) per node, so at least two nodes serve it;
          - the gateway's certificate and key are Swarm secrets, mounted into its certificate
            folder (an anonymous volume), instead of the bind mount of deployments/nginx/certs;
          - models/ stays a read-only bind mount: every node needs it at the same path.

        Variables: from the environment (make cluster-deploy sets them):
        {variables}
        """;
}
