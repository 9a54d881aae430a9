using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Publishing;

/// <summary>
/// docker-compose.yml, which `aspire publish` (make publish) writes at the repository root: the services
/// come from the app model and each resource's PublishAsComposeService; this adds what the file has
/// beyond them, the header people read first and the shared healthcheck settings.
/// </summary>
public static class ComposeDeliverable
{
    public const string ProjectName = "mlopsexam";
    public const string FileName = "docker-compose.yml";

    public static IDistributedApplicationBuilder AddComposeDeliverable(this IDistributedApplicationBuilder builder) =>
        builder.AddDockerComposePublishing(ProjectName, FileName, file =>
        {
            file.Header = Header;
            file.HealthcheckDefaults = HealthcheckDefaults();
        }, Reliability.ApplyToEveryService);

    private const string Header = """
        The sentiment API stack with Docker Compose: the architecture of the AppHost
        (MlopsExam.AppHost/AppHost.cs; the diagram is in README.md), without Aspire.

        GENERATED from the AppHost's app model by `make publish` (aspire publish): do not
        edit. Change MlopsExam.AppHost (AppHost.cs, a resource's folder, Publishing/)
        and run `make publish`; MlopsExam.Tests/Compose fails while this file differs.

          make up     (./scripts/bootstrap-docker.sh, ./scripts/generate-env.sh, then
                       docker compose up --build --detach --wait --wait-timeout 600)
          make down

        Variables: from the environment or the git-ignored .env (scripts/generate-env.sh):
        {variables}
          BASIC_AUTH_PASSWORD        the password of /predict: `make env` writes it (generated, or
                                     from the environment) into the secret file the gateway reads,
                                     never into a container's environment

        Only the gateway publishes ports to the network; Prometheus and the dashboard
        (`make dashboard` prints its login URL) publish on 127.0.0.1 alone; the others are
        reached on the compose network by service name. Every service has a healthcheck
        (its image's HEALTHCHECK), and each starts once what it needs is healthy, so
        `up --wait` returns a working stack. Images built here are tagged :local.

        Every service restarts by itself (restart: unless-stopped: after a crash, an OOM kill
        or a daemon restart, not after `docker compose stop`), rotates its logs (json-file,
        LOG_MAX_SIZE x LOG_MAX_FILE per container) and has a memory limit measured under load
        (docs/reliability.md).
        """;

    /// <summary>Healthcheck settings every service with a health check refers to, in both files.</summary>
    internal static ComposeHealthcheck HealthcheckDefaults() => new()
    {
        Interval = "2s",
        StartPeriod = "120s",
        Comment = """
            Every service keeps its image's HEALTHCHECK command and timeout, with a shorter
            interval: Docker runs the first probe one interval after start, and start-up is
            a chain of four waits (api -> gateway -> exporter -> prometheus), each up to one
            interval long. Failed probes in the first 120 s do not count (a model that loads
            slowly on a busy machine is not marked unhealthy); the first passing one counts.
            """,
    };
}
