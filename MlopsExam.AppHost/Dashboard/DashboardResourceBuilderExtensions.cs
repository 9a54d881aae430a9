using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Dashboard;

/// <summary>
/// The Aspire dashboard of the published stacks (deployments/dashboard: the standalone dashboard of the NuGet
/// package Aspire.Dashboard.Sdk.linux-x64, the one the AppHost runs under `make run`). The API replicas export
/// their traces, metrics and structured logs to it over OTLP on the internal network; its UI is on
/// 127.0.0.1:18888 behind a browser token (`make dashboard` prints the login URL). Under `make run` the
/// AppHost's own dashboard does all this, so the resource exists in the published files only.
/// </summary>
public static class DashboardResourceBuilderExtensions
{
    /// <summary>The UI's port (the image's ASPNETCORE_URLS), published on 127.0.0.1 as DASHBOARD_PORT.</summary>
    public const int UiPort = 18888;

    /// <summary>OTLP over gRPC, what the replicas' exporter speaks (its default protocol).</summary>
    public const int OtlpGrpcPort = 18889;

    /// <summary>The dashboard's user in its image (app, as in the .NET images).</summary>
    public const int Uid = 1654;

    /// <summary>The compose and Swarm secret holding the browser token, which `make env` writes.</summary>
    public const string TokenSecret = "dashboard_token";

    /// <summary>
    /// The dashboard container: UI and OTLP endpoints, hardened, the browser token as a secret file (its
    /// entrypoint reads it; never in the environment). In run mode the returned builder's resource is not in
    /// the model: the AppHost's own dashboard receives the replicas' telemetry.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddStackDashboard(this IDistributedApplicationBuilder builder, string name)
    {
        if (!builder.ExecutionContext.IsPublishMode)
            return builder.CreateResourceBuilder(new ContainerResource(name));
        return builder.AddDockerfile(name, builder.Deployments("dashboard"))
            .WithHttpEndpoint(port: UiPort, targetPort: UiPort, name: "http")
            .WithEndpoint(targetPort: OtlpGrpcPort, name: "otlp-grpc", scheme: "http")
            .WithHttpHealthCheck("/health")
            // .NET's diagnostics socket; the dashboard keeps its telemetry in memory.
            .WithHardening("/tmp:size=16m")
            .WithEnvironment("DASHBOARD_TOKEN_FILE", $"/run/secrets/{TokenSecret}")
            .PublishWithComposeSecret(TokenSecret, Path.Combine(builder.RepositoryRoot(), ".secrets", TokenSecret), """
                Written by `make env` (scripts/generate-env.sh) when absent: the dashboard's browser token,
                random, mode 0444 in the 0700 folder .secrets/; `make dashboard` prints the login URL with it.
                """)
            .PublishPortAsComposeVariable("http", "DASHBOARD_PORT", "the dashboard's UI on 127.0.0.1 only (make dashboard)")
            .PublishAsComposeService((_, service) => service.Comment = $"""
                The Aspire dashboard (deployments/dashboard, from the NuGet package): traces, metrics and
                structured logs of every api replica, which export them over OTLP to :{OtlpGrpcPort} on the
                compose network (not published). Its UI is on 127.0.0.1:{UiPort} only, behind the browser
                token of .secrets/{TokenSecret} (`make dashboard` prints the login URL).
                """)
            // Swarm cannot bind a published port to 127.0.0.1 alone: not published there (as Prometheus).
            .PublishAsSwarmService((_, service) =>
            {
                service.Ports.Clear();
                service.Comment = $"""
                    The Aspire dashboard: traces, metrics and structured logs of every api task, exported
                    over OTLP to :{OtlpGrpcPort}. Not published: Swarm cannot bind a port to 127.0.0.1 alone
                    (`make dashboard` says how to reach it).
                    """;
            });
    }

    /// <summary>
    /// The replicas export traces, metrics and logs to <paramref name="dashboard"/> over OTLP/gRPC, as the
    /// service of their compose service's name (api-v1, api-v2); each replica is an instance of it
    /// (service.instance.id: its hostname, ServiceDefaults). The SDK's batch processors do the exporting, off
    /// the request path. Under `make run` Aspire sets the same variables for its own dashboard.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> WithTelemetryTo(
        this IReadOnlyList<IResourceBuilder<ProjectResource>> replicas, IResourceBuilder<ContainerResource> dashboard)
    {
        var endpoint = $"http://{dashboard.Resource.Name}:{OtlpGrpcPort}";
        // Aspire sets OTEL_TRACES_SAMPLER=always_on under `make run`; the replicas' sampler, set in code
        // (ServiceDefaults, TraceBudgetSampler), overrides it, so the gateway's sampled flag decides here
        // as on the published stacks (TraceBudgetSamplerTests).
        return replicas.PublishAsComposeService((_, service) =>
        {
            service.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = new ComposeValue(endpoint, $"""
                Traces, metrics and structured logs to the dashboard (OTLP/gRPC, batched by the SDK), as
                service {service.Name}; each replica is an instance (its hostname).
                """);
            service.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            service.Environment["OTEL_SERVICE_NAME"] = service.Name;
            // Metrics every 10 s rather than the SDK's 60 s, so a chart follows a test or a demo.
            service.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "10000";
        });
    }
}
