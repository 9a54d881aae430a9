using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost;

/// <summary>
/// What keeps every service running and bounded in production (docs/reliability.md): Docker restarts
/// a container whose process dies (crash, OOM kill, daemon restart), each container's logs rotate at
/// a size, and each has a memory limit measured under load. The limits are per resource
/// (<see cref="WithMemoryLimit{T}(IResourceBuilder{T}, string, string?)"/>); the rest is one policy the
/// published files apply to every service (<see cref="ApplyToEveryService"/>, <see cref="AdaptToSwarm"/>).
/// </summary>
public static class Reliability
{
    /// <summary>Compose's restart policy: a container that exits is started again (after a crash, an OOM kill,
    /// a daemon restart), except one a person stopped (`docker stop`, `docker compose stop`).</summary>
    public const string RestartPolicy = "unless-stopped";

    /// <summary>Rotated log file size and count: 8 containers x 10 MB x 5 files = 400 MB of logs at most, at any load.</summary>
    public static readonly ComposeVariable LogMaxSize = new("LOG_MAX_SIZE", "10m", null,
        "size at which a container's log file rotates (json-file driver)");

    public static readonly ComposeVariable LogMaxFile = new("LOG_MAX_FILE", "5", null,
        "log files kept per container, the current one included");

    /// <summary>Swarm's restart policy: any exit restarts the task after 2 s; a task that fails 5 times within
    /// 2 minutes is left down (a crash loop is not hidden), and a task that ran 2 minutes counts as started.</summary>
    public static ComposeRestartPolicy SwarmRestartPolicy() => new("any", Delay: "2s", MaxAttempts: 5, Window: "120s");

    /// <summary>
    /// The container's memory limit (<paramref name="memory"/>, e.g. "384M") and, when given, its CPU share
    /// (<paramref name="cpus"/>, e.g. "0.5"): <c>deploy.resources.limits</c> in both published files, and the
    /// same `docker run` options for a container the AppHost runs. Sized from `docker stats` under load
    /// (docs/reliability.md); the kernel kills the process above it, and the restart policy starts it again.
    /// </summary>
    public static IResourceBuilder<T> WithMemoryLimit<T>(this IResourceBuilder<T> builder, string memory, string? cpus = null)
        where T : IResource
    {
        if (builder is IResourceBuilder<ContainerResource> container)
        {
            container.WithContainerRuntimeArgs($"--memory={memory}");
            if (cpus is not null) container.WithContainerRuntimeArgs($"--cpus={cpus}");
        }
        return builder.PublishAsComposeService((_, service) =>
            ((service.Deploy ??= new ComposeDeploy()).Resources ??= new ComposeResources()).Limits = new ComposeResourceLimits(cpus, memory));
    }

    /// <summary>
    /// Under `make run`: Docker restarts a container of the AppHost whose process dies with an error (a crash,
    /// an OOM kill: exit code 137), at most 5 times; Aspire's orchestrator (DCP) restarts nothing by itself
    /// (dotnet/aspire#1708, #5003), and a project (the API replicas) runs as a process it does not restart
    /// either. on-failure rather than unless-stopped: a container the AppHost left behind is not started again
    /// with the daemon, holding ports 80/443. Measured in docs/reliability.md. Applies to the containers added
    /// so far: call it after the last one.
    /// </summary>
    public static IDistributedApplicationBuilder RestartCrashedContainers(this IDistributedApplicationBuilder builder)
    {
        foreach (var container in builder.Resources.OfType<ContainerResource>())
            container.Annotations.Add(new ContainerRuntimeArgsCallbackAnnotation(args => args.Add(AppHostRestartPolicy)));
        return builder;
    }

    /// <summary>The `docker run` option <see cref="RestartCrashedContainers"/> adds.</summary>
    public const string AppHostRestartPolicy = "--restart=on-failure:5";

    /// <summary>The same limit on every replica of a list.</summary>
    public static IReadOnlyList<IResourceBuilder<T>> WithMemoryLimit<T>(this IReadOnlyList<IResourceBuilder<T>> builders, string memory,
        string? cpus = null) where T : IResource
    {
        foreach (var builder in builders) builder.WithMemoryLimit(memory, cpus);
        return builders;
    }

    /// <summary>
    /// Every service of a published file restarts by itself and rotates its logs; a service without a memory
    /// limit is an error (a resource added without <see cref="WithMemoryLimit{T}(IResourceBuilder{T}, string, string?)"/>).
    /// </summary>
    public static void ApplyToEveryService(ComposeFileModel file)
    {
        file.Variables[LogMaxSize.Name] = LogMaxSize;
        file.Variables[LogMaxFile.Name] = LogMaxFile;
        foreach (var service in file.Services.Values)
        {
            if (service.Deploy?.Resources?.Limits?.Memory is null)
                throw new InvalidOperationException($"Compose service {service.Name} has no memory limit: give its resource WithMemoryLimit.");
            service.Restart = RestartPolicy;
            service.Logging = new ComposeLogging { Driver = "json-file" };
            service.Logging.Options["max-size"] = LogMaxSize.Interpolation;
            service.Logging.Options["max-file"] = LogMaxFile.Interpolation;
        }
    }

    /// <summary>`docker stack deploy` ignores <c>restart:</c>; Swarm reads <c>deploy.restart_policy</c>.</summary>
    public static void AdaptToSwarm(ComposeService service)
    {
        service.Restart = null;
        (service.Deploy ??= new ComposeDeploy()).RestartPolicy = SwarmRestartPolicy();
    }
}
