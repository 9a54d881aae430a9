using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Api;

/// <summary>The sentiment API (MlopsExam.Api): the replicas of one variant, and the shadow copy of requests.</summary>
public static class ApiResourceBuilderExtensions
{
    /// <summary>Where published replicas see the model store, the repository's models/ mounted read-only.</summary>
    public const string ModelStore = "/models";

    /// <summary>The port the API listens on in its image (ASPNETCORE_HTTP_PORTS of MlopsExam.Api/Dockerfile).</summary>
    public const int ContainerPort = 8080;

    /// <summary>One image for every variant, built from the repository root; it holds no model.</summary>
    public const string Image = "mlopsexam-api:local";

    /// <summary>
    /// Adds <paramref name="replicas"/> API resources of one variant, named <c>{name}-1..n</c>
    /// (or <paramref name="name"/> alone for a single replica), serving the model file configured as
    /// <c>Models:{variant}</c> (appsettings.json).
    /// <para>
    /// Why not <c>WithReplicas(n)</c>: Aspire then puts all replicas behind ONE proxied endpoint
    /// and balances them itself, so nginx would see a single upstream server and the load balancing
    /// the product promises (nginx's, visible per replica) would not exist. Separate resources keep
    /// one endpoint per replica; nginx gets all of them as distinct <c>server</c> lines, and
    /// Prometheus scrapes each as its own target.
    /// </para>
    /// <para>
    /// Published as ONE service <paramref name="name"/> with <c>deploy.replicas</c>
    /// (<see cref="ComposeReplicaOfAnnotation"/>): compose's DNS gives nginx and Prometheus every replica's
    /// address under that name. Run and publish differ where the process differs: under the AppHost a
    /// replica runs from the build output with the model file on the host and its resource name as
    /// instance id; in a container the model store (models/) is mounted at /models, the port is 8080, and each replica
    /// reports its hostname (ServingOptions' default), as the replicas of one service share one environment.
    /// </para>
    /// <para>
    /// The model is not in the image: every replica reads the model store (models/, the folder under
    /// the AppHost, a read-only bind mount under compose and Swarm), and switches to the model that
    /// <c>models/serving/{variant}.model</c> names when that file changes (MlopsExam.Api/Models/).
    /// </para>
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddApiReplicas(
        this IDistributedApplicationBuilder builder,
        string name,
        string variant,
        int replicas,
        bool includeDebugFields = false)
    {
        var model = builder.Configuration[$"Models:{variant}"]
            ?? throw new InvalidOperationException($"No model file configured for variant {variant} (Models:{variant} in appsettings.json).");
        var publishing = builder.ExecutionContext.IsPublishMode;
        var modelPath = publishing
            ? $"{ModelStore}/{model}"
            : Path.Combine(builder.RepositoryRoot(), "models", model);
        // Under `make run`, the dashboard lists the replicas of a variant under it (ApiVariantResource).
        var parent = !publishing && replicas > 1 ? builder.AddApiVariant(name) : null;
        return Enumerable.Range(1, replicas).Select(i =>
        {
            var instance = replicas == 1 ? name : $"{name}-{i}";
            var api = builder.AddProject<Projects.MlopsExam_Api>(instance, options => options.ExcludeLaunchProfile = true)
                .WithHttpEndpoint(name: "http", targetPort: publishing ? ContainerPort : null);
            if (parent is not null)
                api.WithParentRelationship(parent);
            // Plain http behind the gateway: no certificate for Kestrel. Aspire's default (a callback that hands
            // a project the development certificate) would make it look for a trusted one and, finding none,
            // show "No trusted development certificate" on every page of its dashboard.
#pragma warning disable ASPIRECERTIFICATES001 // evaluation API; the one call site to revisit if it changes
            api.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
            if (!publishing)
                api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
            api.WithEnvironment("Serving__Variant", variant);
            if (!publishing)
                api.WithEnvironment("Serving__InstanceId", instance);
            return api.WithEnvironment("Serving__ModelPath", modelPath)
                .WithEnvironment("Serving__IncludeDebugFields", includeDebugFields ? "true" : "false")
                // Each replica's thread pool starts at one worker and grows only when queued work waits
                // (hill climbing off, starvation detection on): this stack runs more API processes than
                // cores, and pools sized per core keep waking idle workers (docs/performance.md). On a host
                // with more cores than replicas, remove both: each replica then uses every core it can get.
                .WithEnvironment("DOTNET_ThreadPool_ForceMinWorkerThreads", "1")
                .WithEnvironment("DOTNET_HillClimbing_Disable", "1")
                .WithHttpHealthCheck("/health")
                .PublishAsComposeReplicaOf(name)
                .PublishAsComposeService((_, service) =>
                {
                    service.Build = new ComposeBuild(builder.RepositoryRoot(), "MlopsExam.Api/Dockerfile");
                    service.Image = Image;
                    // The model store, read-only: a replica can read the selection and the models, never change them.
                    service.Volumes.Add(new ComposeVolume(Path.Combine(builder.RepositoryRoot(), "models"), ModelStore, ReadOnly: true));
                    // .NET's diagnostics socket, and ML.NET unpacks the model zip into /tmp at load.
                    ContainerHardening.Harden(service, "/tmp:size=256m");
                })
                // Rolling updates one task at a time, the new one started (and healthy) before the old one stops;
                // a failed update rolls back by itself.
                .PublishAsSwarmService((_, service) => (service.Deploy ??= new ComposeDeploy()).UpdateConfig =
                    new ComposeUpdateConfig(Parallelism: 1, Order: "start-first", Delay: "2s", FailureAction: "rollback", Monitor: "5s"));
        }).ToList();
    }

    /// <summary>Fault injection for tests and demos (Serving:FaultPercent, Serving:FaultDelayMs): 0 and 0, off.
    /// Configuration only: no request can turn it on.</summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> WithFaults(
        this IReadOnlyList<IResourceBuilder<ProjectResource>> replicas,
        IResourceBuilder<ParameterResource> percent,
        IResourceBuilder<ParameterResource> delayMs)
    {
        foreach (var replica in replicas)
            replica.WithEnvironment("Serving__FaultPercent", percent).WithEnvironment("Serving__FaultDelayMs", delayMs);
        return replicas;
    }

    /// <summary>Requests the gateway marks X-Shadow: 1 on these v1 replicas are copied to
    /// <paramref name="challenger"/> after the answer (MlopsExam.Api's shadow sender).</summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> WithShadowTarget(
        this IReadOnlyList<IResourceBuilder<ProjectResource>> replicas, IReadOnlyList<IResourceBuilder<ProjectResource>> challenger)
    {
        var target = challenger.Count == 1 ? challenger[0]
            : throw new ArgumentException($"The shadow target is one resource; {challenger.Count} given.", nameof(challenger));
        foreach (var replica in replicas)
            replica.WithEnvironment("Serving__ShadowUrl", target.GetEndpoint("http"));
        return replicas;
    }
}
