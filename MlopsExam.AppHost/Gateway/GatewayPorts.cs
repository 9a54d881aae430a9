namespace MlopsExam.AppHost.Gateway;

/// <summary>Container ports of the gateway image (deployments/nginx/Dockerfile).</summary>
public static class GatewayPorts
{
    /// <summary>Unprivileged ports nginx listens on inside its container (it runs as uid 10101);
    /// the host publishes them as 80 and 443.</summary>
    public const int Http = 8080;
    public const int Https = 8443;
    public const int PublicHttp = 80;
    public const int PublicHttps = 443;
    /// <summary>stub_status and /healthz, for the exporter and health checks. Compose publishes it
    /// nowhere; under Aspire it is a localhost-only, non-external endpoint.</summary>
    public const int Status = 8081;
    /// <summary>The exporter's /metrics (the image's exporter stage).</summary>
    public const int Exporter = 9113;
}
