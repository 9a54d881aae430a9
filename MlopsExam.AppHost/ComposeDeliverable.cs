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
        });
}
