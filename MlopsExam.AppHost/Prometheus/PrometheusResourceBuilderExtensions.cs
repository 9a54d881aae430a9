using MlopsExam.AppHost.Api;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Prometheus;

/// <summary>Prometheus (deployments/prometheus): prometheus.yml and the recording rules are baked into the
/// image; the scrape targets come from the environment, which its entrypoint resolves every 15 s.</summary>
public static class PrometheusResourceBuilderExtensions
{
    /// <summary>Its UI and API port.</summary>
    public const int Port = 9090;

    /// <summary>Prometheus's user in its image (the owner of its data and targets folders).</summary>
    public const int Uid = 10102;

    /// <summary>
    /// Prometheus with its UI and API on 127.0.0.1:9090 only, as the exercise's template publishes it
    /// (Aspire's proxy listens on localhost; compose binds 127.0.0.1): reachable from this machine, never from
    /// others. The TSDB is in a named volume, which takes the image folder's owner.
    /// </summary>
    public static IResourceBuilder<ContainerResource> AddPrometheus(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddDockerfile(name, builder.Deployments("."), "prometheus/Dockerfile")
            .WithHttpEndpoint(port: Port, targetPort: Port, name: "http")
            .WithHttpHealthCheck("/-/ready")
            // The scrape targets its entrypoint writes, in a tmpfs.
            .WithHardening($"/etc/prometheus/targets:uid={Uid},gid={Uid},mode=0755,size=1m")
            .WithVolume("prometheus-data", "/var/lib/prometheus/metrics2")
            .PublishPortAsComposeVariable("http", "PROMETHEUS_PORT", "Prometheus on 127.0.0.1 only")
            .PublishAsComposeService((_, service) => service.Comment = """
                Scrapes every api replica (one target per address of api-v1/api-v2, re-resolved
                every 15 s by its entrypoint) and the exporter; prometheus.yml and the recording
                rules are baked into the image, as under the AppHost. Its UI and API are published
                on the loopback interface only (http://127.0.0.1:9090, as the exercise's template has
                it): reachable from this machine, never from others.
                """)
            // Swarm cannot bind a published port to 127.0.0.1 alone: not published there.
            .PublishAsSwarmService((_, service) =>
            {
                service.Ports.Clear();
                service.Comment = """
                    Scrapes every api task (one target per address of api-v1/api-v2, re-resolved every
                    15 s by its entrypoint) and the exporter, with the recording rules baked into the
                    image. Not published: Swarm cannot bind a port to 127.0.0.1 alone.
                    """;
            });

    /// <summary>Scrapes every replica of <paramref name="v1"/> and <paramref name="v2"/>, and the gateway's
    /// <paramref name="exporter"/>.</summary>
    public static IResourceBuilder<ContainerResource> WithScrapeTargets(this IResourceBuilder<ContainerResource> prometheus,
        IReadOnlyList<IResourceBuilder<ProjectResource>> v1, IReadOnlyList<IResourceBuilder<ProjectResource>> v2,
        IResourceBuilder<ContainerResource> exporter, IResourceBuilder<ContainerResource> gateway) =>
        prometheus
            .WithEnvironment("SCRAPE_API_V1", v1.HostAndPortList())
            .WithEnvironment("SCRAPE_API_V2", v2.HostAndPortList())
            .WithEnvironment("SCRAPE_GATEWAY", exporter.GetEndpoint("metrics").Property(EndpointProperty.HostAndPort))
            // The canary weight in force, served by the gateway on its internal port (job gateway-canary).
            .WithEnvironment("SCRAPE_GATEWAY_CANARY", gateway.GetEndpoint("status").Property(EndpointProperty.HostAndPort));

    /// <summary>The TSDB keeps <paramref name="time"/> of samples and at most <paramref name="size"/> on disk
    /// (--storage.tsdb.retention.time/.size, which its entrypoint passes from RETENTION_TIME/RETENTION_SIZE):
    /// whichever is reached first drops the oldest blocks.</summary>
    public static IResourceBuilder<ContainerResource> WithRetention(this IResourceBuilder<ContainerResource> prometheus,
        IResourceBuilder<ParameterResource> time, IResourceBuilder<ParameterResource> size) =>
        prometheus
            .WithEnvironment("RETENTION_TIME", time)
            .WithEnvironment("RETENTION_SIZE", size);
}
