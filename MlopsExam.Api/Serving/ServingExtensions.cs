using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Models;
using MlopsExam.Api.Predict;
using MlopsExam.Model;
using OpenTelemetry.Metrics;

namespace MlopsExam.Api.Serving;

/// <summary>
/// The model service: options bound and validated on start, the sha256-checked model loaded before
/// the server accepts requests, its readiness check, the metrics, a problem details body for every
/// error, Kestrel's body limit.
/// </summary>
public static class ServingExtensions
{
    /// <summary>Largest body Kestrel reads; the gateway's own cap (16 KiB) is lower.</summary>
    public const long MaxRequestBodyBytes = 32 * 1024;

    public static WebApplicationBuilder AddSentimentServing(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServingOptions>()
            .BindConfiguration(ServingOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

        builder.Services.AddProblemDetails(problem => problem.CustomizeProblemDetails = context =>
        {
            var http = context.HttpContext;
            context.ProblemDetails.Detail ??= ProblemDefaults.Detail(context);
            context.ProblemDetails.Extensions["requestId"] = PredictEndpoints.RequestId(http);
            // Not "instance": that member of RFC 9457 is a URI for the occurrence.
            context.ProblemDetails.Extensions["replica"] =
                http.RequestServices.GetRequiredService<IOptions<ServingOptions>>().Value.InstanceId;
        });

        // A relative model path is the content root's.
        builder.Services.PostConfigure<ServingOptions>(serving =>
        {
            if (serving.ModelPath.Length > 0 && !Path.IsPathRooted(serving.ModelPath))
                serving.ModelPath = Path.Combine(builder.Environment.ContentRootPath, serving.ModelPath);
        });
        // The model the selection file names (else the configured one), verified against its recorded
        // sha256 (SentimentModel.Load throws otherwise); Serving:ModelSha256 pins the configured model only.
        builder.Services.AddSingleton(sp =>
        {
            var serving = sp.GetRequiredService<IOptions<ServingOptions>>().Value;
            var path = ModelSelectionWatcher.Selected(serving) ?? Path.GetFullPath(serving.ModelPath);
            var pinned = path == Path.GetFullPath(serving.ModelPath) ? serving.ModelSha256 : null;
            return new ServingModel(SentimentModel.Load(path, pinned));
        });
        builder.Services.AddSingleton<PredictionMetrics>();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => PredictionMetrics.AddRequestDurationBuckets(metrics));
        // Loads the model before the server accepts requests: a missing or tampered model stops start-up.
        builder.Services.AddHostedService<ModelLoader>();
        // Then follows the selection file: another model is checked, then swapped in (Models/).
        builder.Services.AddSingleton<ModelSelectionWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelSelectionWatcher>());
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");
        return builder;
    }

    private sealed class ModelLoader(IServiceProvider services, IOptions<ServingOptions> options, ILogger<ModelLoader> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            // Throws ModelIntegrityException (missing or altered model): Program.cs reports it and exits 1.
            var model = services.GetRequiredService<ServingModel>().Current;
            // Warm-up: the first prediction pays for JIT and pipeline set-up, not a user.
            model.Predict("warm up");
            logger.LogInformation(
                "Serving model {ModelId} (sha256 {Sha256}) from {Path} as variant {Variant}, instance {InstanceId}",
                model.ModelId, model.Sha256, model.Path, options.Value.Variant, options.Value.InstanceId);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Ready when the model answers: one canary prediction per probe (tens of microseconds).</summary>
    private sealed class ModelHealthCheck(ServingModel serving, IOptions<ServingOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var model = serving.Current;
            var data = new Dictionary<string, object>
            {
                ["variant"] = options.Value.Variant,
                ["modelId"] = model.ModelId,
                ["sha256"] = model.Sha256,
            };
            var canary = model.Predict("health check");
            return Task.FromResult(float.IsFinite(canary.PositiveProbability)
                ? HealthCheckResult.Healthy("model answers", data)
                : HealthCheckResult.Unhealthy("model returned no probability", data: data));
        }
    }
}
