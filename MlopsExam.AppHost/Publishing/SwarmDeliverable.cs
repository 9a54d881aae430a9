using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Publishing;

/// <summary>
/// docker-stack.yml, for `docker stack deploy` (make swarm-up): the services of docker-compose.yml, with what
/// Swarm changes for every service (<see cref="AdaptToSwarm"/>) and for some (each resource's PublishAsSwarmService).
/// At the repository root beside docker-compose.yml, so that the relative paths (certificate folder, secret file)
/// mean the same in both.
/// </summary>
public static class SwarmDeliverable
{
    public const string FileName = "docker-stack.yml";

    /// <summary>The format `docker stack deploy` reads (version 3, which has no project name).</summary>
    public const string StackFormatVersion = "3.8";

    public static IDistributedApplicationBuilder AddSwarmDeliverable(this IDistributedApplicationBuilder builder) =>
        builder.AddSwarmStackPublishing(ComposeDeliverable.ProjectName, FileName, file =>
        {
            file.Header = Header;
            file.HealthcheckDefaults = ComposeDeliverable.HealthcheckDefaults();
        }, AdaptToSwarm);

    private const string Header = """
        The sentiment API stack on Docker Swarm (`make swarm-up`, `make swarm-down`): the
        services of docker-compose.yml, adapted to `docker stack deploy`.

        GENERATED from the AppHost's app model by `make publish` (aspire publish): do not
        edit. Change MlopsExam.AppHost (Publishing/SwarmDeliverable.cs and the resources'
        PublishAsSwarmService adapt the compose services) and run `make publish`;
        MlopsExam.Tests/Compose fails while this file differs.

        What Swarm changes, and what this file does about it:
          - a service name resolves to one virtual IP: every service uses endpoint_mode
            dnsrr, so the gateway's watcher (and Prometheus) see every task's address;
          - the routing mesh hides client addresses, which per-client rate limiting needs:
            the gateway publishes 80/443 in mode host (one gateway task per node);
          - published ports cannot be bound to 127.0.0.1: Prometheus and the dashboard
            publish nothing (`docker exec` into a task, or a tunnel, to reach them; `make
            dashboard` prints the dashboard's address on docker_gwbridge, this host's alone);
          - depends_on and build are ignored: `make swarm-up` builds the images first, and
            every service waits for what it needs by itself (the gateway's watcher, the
            exporter's and Prometheus's retries);
          - no-new-privileges cannot be set on a Swarm service (security_opt is ignored);
          - `tmpfs:` is ignored, and tmpfs volumes take no owner nor mode: the gateway and
            Prometheus, whose non-root users must write, run without read_only here;
          - rolling updates start the new task before stopping the old one (order
            start-first), and the secret is mounted with the gateway's uid and mode 0400;
          - `restart:` is ignored: every task has deploy.restart_policy instead (any exit,
            2 s delay, given up after 5 failures within 2 minutes); logs rotate and memory
            is limited as in docker-compose.yml.

        Variables: from the environment (make swarm-up reads .env first):
        {variables}
        """;

    /// <summary>What Swarm needs of every service, after each resource's own Swarm changes.</summary>
    public static void AdaptToSwarm(ComposeFileModel file)
    {
        file.StackFormatVersion = StackFormatVersion;
        Reliability.ApplyToEveryService(file);
        foreach (var service in file.Services.Values)
        {
            Reliability.AdaptToSwarm(service);
            DropWhatStackDeployIgnores(service);
            MountTmpfsAsVolumes(service);
            ResolveEveryTask(service);
        }
    }

    /// <summary>`docker stack deploy` ignores build, pull_policy, depends_on and security_opt: images are built beforehand,
    /// and no comment says "built once, here".</summary>
    private static void DropWhatStackDeployIgnores(ComposeService service)
    {
        service.Build = null;
        service.PullPolicy = null;
        service.KeyComments.Remove("image");
        service.DependsOn.Clear();
        service.SecurityOpt.Clear();
    }

    /// <summary>
    /// `docker stack deploy` ignores `tmpfs:`; a tmpfs volume is honoured, with its size but neither owner
    /// nor mode (root, 0755): fine for a folder the image makes world-writable (/tmp of the API), not for one
    /// a non-root user must own (the gateway's /run/nginx, Prometheus's targets). Those services keep a
    /// writable root file system under Swarm.
    /// </summary>
    private static void MountTmpfsAsVolumes(ComposeService service)
    {
        if (service.Tmpfs.Any(t => t.Contains("uid=", StringComparison.Ordinal)))
        {
            service.ReadOnly = null;
            service.KeyComments["cap_drop"] = "read_only is not set under Swarm: its tmpfs mounts take no owner, and this user must write (docker-compose.yml has both).";
        }
        else
        {
            foreach (var tmpfs in service.Tmpfs)
            {
                var (target, options) = tmpfs.Split(':', 2) is [var path, var rest] ? (path, rest) : (tmpfs, "");
                var size = options.Split(',').Select(o => o.Split('=', 2)).FirstOrDefault(o => o is ["size", _])?[1];
                service.TmpfsVolumes.Add(new ComposeTmpfsVolume(target, SizeInBytes(size ?? "16m")));
            }
        }
        service.Tmpfs.Clear();
    }

    /// <summary>Every name resolves to its tasks' addresses (dnsrr), never to a virtual IP: the gateway's
    /// watcher and Prometheus see each task, and nothing depends on the IPVS load balancing a virtual IP
    /// needs, which not every kernel has.</summary>
    private static void ResolveEveryTask(ComposeService service) =>
        (service.Deploy ??= new ComposeDeploy()).EndpointMode = "dnsrr";

    /// <summary>A tmpfs size as compose writes it ("256m") in bytes, as the volumes' long syntax takes it.</summary>
    private static long SizeInBytes(string size) => size[^1] switch
    {
        'k' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024,
        'm' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024,
        'g' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024 * 1024,
        _ => long.Parse(size, System.Globalization.CultureInfo.InvariantCulture),
    };
}
