using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost;

/// <summary>
/// What docker-compose.yml has beyond its services: the header people read first, the shared
/// healthcheck settings, and (when there are some) top-level secrets. The services come from the
/// app model and each resource's PublishAsComposeService.
/// </summary>
public static class ComposeDeliverable
{
    public const string ProjectName = "mlopsexam";
    public const string FileName = "docker-compose.yml";
    /// <summary>The gateway's password, a file secret that `make env` (scripts/generate-env.sh) writes.</summary>
    public const string PasswordSecret = "basic_auth_password";

    public static IDistributedApplicationBuilder AddComposeDeliverable(this IDistributedApplicationBuilder builder) =>
        builder.AddDockerComposePublishing(ProjectName, FileName, file =>
        {
            file.Header = """
                The sentiment API stack with Docker Compose: the architecture of the AppHost
                (MlopsExam.AppHost/AppHost.cs), without Aspire.

                GENERATED from the AppHost's app model by `make publish` (aspire publish): do not
                edit. Change MlopsExam.AppHost (AppHost.cs, AppModelExtensions.cs, ComposeDeliverable.cs)
                and run `make publish`; MlopsExam.Tests/Compose fails while this file differs.

                  client ──https──▶ gateway (nginx) ──▶ api-v1 × 3   (round robin)
                                        │          └──▶ api-v2       (X-Experiment-Group: debug)
                                        └─ stub_status ◀── gateway-exporter ◀── prometheus ──▶ every api replica

                  make up     (./scripts/bootstrap-docker.sh, ./scripts/generate-env.sh, then
                               docker compose up --build --detach --wait --wait-timeout 600)
                  make down

                Variables: from the environment or the git-ignored .env (scripts/generate-env.sh):
                {variables}
                  BASIC_AUTH_PASSWORD        the password of /predict: `make env` writes it (generated, or
                                             from the environment) into the secret file the gateway reads,
                                             never into a container's environment

                Only the gateway publishes ports to the network; Prometheus publishes on 127.0.0.1
                alone; the others are reached on the compose network by service name. Every service
                has a healthcheck (its image's HEALTHCHECK), and each starts once what it needs is
                healthy, so `up --wait` returns a working stack. Images built here are tagged :local.
                """;

            DeclareSecretAndHealthcheck(builder, file);
        });

    /// <summary>The top-level secret and the shared healthcheck settings, in both files.</summary>
    private static void DeclareSecretAndHealthcheck(IDistributedApplicationBuilder builder, ComposeFileModel file)
    {
            file.Secrets[PasswordSecret] = new ComposeSecret(File: Path.Combine(builder.RepositoryRoot(), ".secrets", "basic_auth_password"), Comment: """
                Written by `make env` (scripts/generate-env.sh) from BASIC_AUTH_PASSWORD (environment
                or .env): mode 0400, owned by the gateway's uid 10101, in a 0700 folder.
                """);

            file.HealthcheckDefaults = new ComposeHealthcheck
            {
                Interval = "2s",
                Comment = """
                    Every service keeps its image's HEALTHCHECK command and timeout, with a shorter
                    interval: Docker runs the first probe one interval after start, and start-up is
                    a chain of four waits (api -> gateway -> exporter -> prometheus). With the images'
                    10 s, the containers took about 45 s to be all healthy; with 2 s, about 13 s.
                    """,
            };
    }

    /// <summary>The Swarm stack file, at the repository root beside docker-compose.yml so that the
    /// relative paths (certificate folder, secret file) mean the same in both.</summary>
    public const string StackFileName = "docker-stack.yml";

    /// <summary>
    /// `aspire publish` also writes docker-stack.yml for `docker stack deploy` (make swarm-up): the same
    /// services, images, settings and secret as docker-compose.yml, with what Swarm changes (the header
    /// of the file lists them).
    /// </summary>
    public static IDistributedApplicationBuilder AddSwarmDeliverable(this IDistributedApplicationBuilder builder) =>
        builder.AddSwarmStackPublishing(ProjectName, StackFileName, file =>
        {
            file.Header = """
                The sentiment API stack on Docker Swarm (`make swarm-up`, `make swarm-down`): the
                services of docker-compose.yml, adapted to `docker stack deploy`.

                GENERATED from the AppHost's app model by `make publish` (aspire publish): do not
                edit. Change MlopsExam.AppHost (ComposeDeliverable.cs says what differs from compose)
                and run `make publish`; MlopsExam.Tests/Compose fails while this file differs.

                What Swarm changes, and what this file does about it:
                  - a service name resolves to one virtual IP: every service uses endpoint_mode
                    dnsrr, so the gateway's watcher (and Prometheus) see every task's address;
                  - the routing mesh hides client addresses, which per-client rate limiting needs:
                    the gateway publishes 80/443 in mode host (one gateway task per node);
                  - published ports cannot be bound to 127.0.0.1: Prometheus publishes nothing
                    (`docker exec` into its task, or a tunnel, to reach it);
                  - depends_on and build are ignored: `make swarm-up` builds the images first, and
                    every service waits for what it needs by itself (the gateway's watcher, the
                    exporter's and Prometheus's retries);
                  - no-new-privileges cannot be set on a Swarm service (security_opt is ignored);
                  - `tmpfs:` is ignored, and tmpfs volumes take no owner nor mode: the gateway and
                    Prometheus, whose non-root users must write, run without read_only here;
                  - rolling updates start the new task before stopping the old one (order
                    start-first), and the secret is mounted with the gateway's uid and mode 0400.

                Variables: from the environment (make swarm-up reads .env first):
                {variables}
                """;
            DeclareSecretAndHealthcheck(builder, file);
        }, file =>
        {
            file.StackFormatVersion = "3.8";
            foreach (var service in file.Services.Values)
            {
                service.Build = null;
                service.KeyComments.Remove("image");
                service.DependsOn.Clear();
                service.SecurityOpt.Clear();
                // `docker stack deploy` ignores `tmpfs:`; a tmpfs volume is honoured, with its size but
                // neither owner nor mode (root, 0755): fine for a folder the image makes world-writable
                // (/tmp of the API), not for one a non-root user must own (the gateway's /run/nginx,
                // Prometheus's targets). Those two keep a writable root file system under Swarm.
                var ownedTmpfs = service.Tmpfs.Any(t => t.Contains("uid=", StringComparison.Ordinal));
                if (ownedTmpfs)
                {
                    service.ReadOnly = null;
                    service.KeyComments["cap_drop"] = "read_only is not set under Swarm: its tmpfs mounts take no owner, and this user must write (docker-compose.yml has both).";
                }
                else
                {
                    foreach (var tmpfs in service.Tmpfs)
                    {
                        var parts = tmpfs.Split(':', 2);
                        var size = parts.Length > 1 ? parts[1].Split(',').Select(o => o.Split('=')).FirstOrDefault(o => o[0] == "size")?[1] : null;
                        service.TmpfsVolumes.Add(new ComposeTmpfsVolume(parts[0], SizeInBytes(size ?? "16m")));
                    }
                }
                service.Tmpfs.Clear();
            }
            // Every name resolves to its tasks' addresses (dnsrr), never to a virtual IP: the gateway's
            // watcher and Prometheus see each task, and nothing depends on the IPVS load balancing that
            // a virtual IP needs (not every kernel has it; this machine's did not route through it).
            foreach (var service in file.Services.Values)
                (service.Deploy ??= new ComposeDeploy()).EndpointMode = "dnsrr";
            foreach (var api in new[] { "api-v1", "api-v2" })
                file.Services[api].Deploy!.UpdateConfig = new ComposeUpdateConfig(Parallelism: 1, Order: "start-first", Delay: "2s", FailureAction: "rollback", Monitor: "5s");
            var gateway = file.Services["gateway"];
            var ports = gateway.Ports.Select(p => p with { Mode = "host" }).ToList();
            gateway.Ports.Clear();
            gateway.Ports.AddRange(ports);
            var secrets = gateway.Secrets.Select(s => s with { Uid = "10101", Gid = "10101", Mode = "0400" }).ToList();
            gateway.Secrets.Clear();
            gateway.Secrets.AddRange(secrets);
            var prometheus = file.Services["prometheus"];
            prometheus.Ports.Clear();
            prometheus.Comment = """
                Scrapes every api task (one target per address of api-v1/api-v2, re-resolved every
                15 s by its entrypoint) and the exporter, with the recording rules baked into the
                image. Not published: Swarm cannot bind a port to 127.0.0.1 alone.
                """;
        });

    private static long SizeInBytes(string size) => size[^1] switch
    {
        'k' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024,
        'm' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024,
        'g' => long.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024 * 1024 * 1024,
        _ => long.Parse(size, System.Globalization.CultureInfo.InvariantCulture),
    };
}
