using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Gateway;

/// <summary>nginx's stub_status in Prometheus format: the gateway image's exporter stage.</summary>
public static class GatewayExporterResourceBuilderExtensions
{
    /// <summary>The exporter of <paramref name="gateway"/>'s stub_status, serving /metrics on its "metrics" endpoint.</summary>
    public static IResourceBuilder<ContainerResource> AddGatewayExporter(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ContainerResource> gateway) =>
        builder.AddDockerfile(name, builder.Deployments("."), "nginx/Dockerfile", stage: "exporter")
            .WithHttpEndpoint(targetPort: GatewayPorts.Exporter, name: "metrics")
            .WithHttpHealthCheck("/", endpointName: "metrics")
            .WithHardening()
            .WithEnvironment("NGINX_STATUS_URI", ReferenceExpression.Create($"{gateway.GetEndpoint("status")}/stub_status"))
            .PublishAsComposeService((_, service) => service.Comment =
                $"nginx's stub_status (internal port {GatewayPorts.Status}) in Prometheus format on :{GatewayPorts.Exporter}.");
}
