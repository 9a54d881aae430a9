using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MlopsExam.Model;

namespace MlopsExam.Api;

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
            context.ProblemDetails.Extensions["requestId"] =
                http.Request.Headers[PredictEndpoints.RequestIdHeader].FirstOrDefault() ?? http.TraceIdentifier;
            context.ProblemDetails.Extensions["instance"] =
                http.RequestServices.GetRequiredService<IOptions<ServingOptions>>().Value.InstanceId;
        });

        // Loaded once, verified against its recorded sha256 (SentimentModel.Load throws otherwise).
        builder.Services.AddSingleton(sp =>
        {
            var serving = sp.GetRequiredService<IOptions<ServingOptions>>().Value;
            var path = Path.IsPathRooted(serving.ModelPath)
                ? serving.ModelPath
                : Path.Combine(builder.Environment.ContentRootPath, serving.ModelPath);
            return SentimentModel.Load(path, serving.ModelSha256);
        });
        builder.Services.AddSingleton<PredictionMetrics>();
        // Loads the model before the server accepts requests: a missing or tampered model stops start-up.
        builder.Services.AddHostedService<ModelLoader>();
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");
        return builder;
    }

    private sealed class ModelLoader(IServiceProvider services, IOptions<ServingOptions> options, ILogger<ModelLoader> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            SentimentModel model;
            try
            {
                model = services.GetRequiredService<SentimentModel>();
            }
            catch (ModelIntegrityException ex)
            {
                logger.LogCritical("Refusing to start: {Reason}", ex.Message);
                throw;
            }
            // Warm-up: the first prediction pays for JIT and pipeline set-up, not a user.
            model.Predict("warm up");
            logger.LogInformation(
                "Serving model {ModelId} (sha256 {Sha256}) from {Path} as variant {Variant}, instance {InstanceId}",
                model.ModelId, model.Sha256, model.Path, options.Value.Variant, options.Value.InstanceId);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ModelHealthCheck(SentimentModel model, IOptions<ServingOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(HealthCheckResult.Healthy("model loaded", new Dictionary<string, object>
            {
                ["variant"] = options.Value.Variant,
                ["modelId"] = model.ModelId,
                ["sha256"] = model.Sha256,
            }));
    }
}
