using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

// Adds common Aspire services: service discovery, resilience, health checks, and OpenTelemetry.
// The shape is Aspire's template (https://aka.ms/aspire/service-defaults); what this product adds:
//  - a Prometheus scraping endpoint (/metrics) next to the OTLP exporter, because Prometheus
//    scrapes every replica directly (the dashboard still gets OTLP);
//  - the service's own meters, named in the call (AddServiceDefaults(PredictionMetrics.MeterName) in the API);
//  - health endpoints mapped in every environment: compose and Aspire probe them on the internal
//    network, and the gateway never routes them to the outside.
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string MetricsEndpointPath = "/metrics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, params string[] meters)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry(meters);

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Turn on resilience by default
            http.AddStandardResilienceHandler();

            // Turn on service discovery by default
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, params string[] meters)
        where TBuilder : IHostApplicationBuilder
    {
        // Traces and OpenTelemetry log records are only worth making when something receives them:
        // the AppHost's dashboard (OTLP). Under compose nothing does, and an Activity and a log record
        // per request cost allocations and CPU at thousands of requests per second (make loadtest).
        // Metrics stay on everywhere: Prometheus scrapes them.
        var exportOtlp = UseOtlpExporter(builder);
        if (exportOtlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            });
            // The service's own records follow its trace's sampling (the gateway samples; conf.d/tracing.conf):
            // a request whose trace is not recorded exports no per-request record either, so the dashboard shows
            // the records of the traces it has. The console keeps every record.
            builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(OwnCategoriesPrefix, ExportLogRecord);
        }

        var telemetry = builder.Services.AddOpenTelemetry();
        // Under compose the replicas of a service share one environment (OTEL_SERVICE_NAME=api-v1): each is an
        // instance of it by its hostname (the container id, as the instance id it reports elsewhere). The
        // AppHost sets service.instance.id itself (OTEL_RESOURCE_ATTRIBUTES), which is then kept.
        if (exportOtlp && builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"]?.Contains("service.instance.id=", StringComparison.Ordinal) != true)
        {
            telemetry.ConfigureResource(resource =>
                resource.AddAttributes([new KeyValuePair<string, object>("service.instance.id", Environment.MachineName)]));
        }

        telemetry
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(meters)
                    // Pull model for Prometheus; see MapDefaultEndpoints.
                    .AddPrometheusExporter();
            });
        if (exportOtlp)
        {
            // The gateway's sampled share, within a budget of traces per second (TraceBudgetSampler). Set in
            // code, the sampler overrides OTEL_TRACES_SAMPLER (Aspire's always_on under the AppHost).
            var budget = double.TryParse(builder.Configuration[TraceBudgetSampler.ConfigurationKey], System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var perSecond) && perSecond > 0 ? perSecond : TraceBudgetSampler.DefaultPerSecond;
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(TraceBudgetSampler.Create(budget))
                    .AddSource(builder.Environment.ApplicationName)
                    .AddAspNetCoreInstrumentation(tracing =>
                        // Exclude health check and scrape requests from tracing
                        tracing.Filter = context =>
                            !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                            && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                            && !context.Request.Path.StartsWithSegments(MetricsEndpointPath)
                    )
                    .AddHttpClientInstrumentation();
            });
        }

        builder.AddOpenTelemetryExporters();

        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (UseOtlpExporter(builder))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>The categories <see cref="ExportLogRecord"/> decides for: this product's own (per request).</summary>
    public const string OwnCategoriesPrefix = "MlopsExam";

    /// <summary>Whether a record of the product's own categories goes to OTLP: from Information up, unless it is
    /// written under an activity that is not recorded (an unsampled request); warnings and errors always.
    /// The rule replaces the configuration's level for these categories on the OpenTelemetry provider, hence
    /// the Information floor (appsettings.json's default).</summary>
    public static bool ExportLogRecord(LogLevel level) =>
        level >= LogLevel.Warning || (level >= LogLevel.Information && Activity.Current is not { Recorded: false });

    private static bool UseOtlpExporter(IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // Add a default liveness check to ensure app is responsive
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // All health checks must pass for app to be considered ready to accept traffic after starting
        // (the model check is one of them).
        app.MapHealthChecks(HealthEndpointPath);

        // Only health checks tagged with the "live" tag must pass for app to be considered alive
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live")
        });

        // Prometheus text format. Reached by Prometheus on the internal network only:
        // the gateway routes /predict alone to the API.
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);

        return app;
    }
}
