using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Models;
using MlopsExam.Api.PayloadLog;
using MlopsExam.Api.Serving;
using MlopsExam.Api.Shadow;
using MlopsExam.Model;

namespace MlopsExam.Api.Predict;

public static partial class PredictEndpoints
{
    /// <summary>Header through which the gateway passes its <c>$request_id</c>.</summary>
    public const string RequestIdHeader = "X-Request-Id";
    /// <summary>Response header naming the replica that answered.</summary>
    public const string InstanceHeader = "X-Instance-Id";
    /// <summary>Response header naming the variant that answered; the gateway returns it as X-Routed-To.</summary>
    public const string VariantHeader = "X-Variant";
    /// <summary>Request header with the variant the gateway routed to (deployments/nginx/conf.d/ab-routing.conf).</summary>
    public const string RequestedVariantHeader = "X-Requested-Variant";

    public static IEndpointRouteBuilder MapPredictEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/predict", PredictAsync)
            .WithName("Predict")
            .WithTags("Prediction")
            .WithSummary("Sentiment of one sentence")
            // No .Accepts<T>(): routing would then answer other content types with a bare 415
            // before the handler, whose 415 says what to send instead. The OpenAPI document gets
            // the request body from PredictOpenApi.
            .ProducesValidationProblem()
            // 401 and 429 come from the gateway, in the same problem format.
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        return app;
    }

    internal static async Task<Results<Ok<PredictResponse>, ProblemHttpResult>> PredictAsync(
        HttpContext http,
        ServingModel servingModel,
        IOptions<ServingOptions> options,
        PredictionMetrics metrics,
        ShadowQueue shadow,
        PayloadLogQueue payloadLog,
        ILogger<PredictRequest> logger,
        CancellationToken ct)
    {
        metrics.TagRequest(http);
        var serving = options.Value;
        var requestId = RequestId(http);
        http.Response.Headers[InstanceHeader] = serving.InstanceId;
        http.Response.Headers[VariantHeader] = serving.Variant;
        // Routed to another variant and answered here: nginx's backup servers, v1 standing in for a down v2.
        if (http.Request.Headers[RequestedVariantHeader] is [{ Length: > 0 } requested] && requested != serving.Variant)
        {
            metrics.Fallback(requested);
            LogFallback(logger, requested, serving.Variant, serving.InstanceId, requestId);
        }

        var outcome = await PredictRequestReader.ReadAsync(http.Request, serving.MaxSentenceLength, ct);
        if (outcome.Request is null)
        {
            metrics.Rejected(outcome.Reason!);
            LogRejected(logger, outcome.Reason!, serving.Variant, serving.InstanceId, requestId);
            return outcome.Problem!;
        }

        // Fault injection (tests and demos): configured, never asked for by a request.
        if (serving.FaultDelayMs > 0)
            await Task.Delay(serving.FaultDelayMs, ct);
        if (serving.FaultPercent > 0 && Random.Shared.Next(100) < serving.FaultPercent)
        {
            LogFault(logger, serving.Variant, serving.InstanceId, requestId);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status500InternalServerError,
                title: "Injected fault",
                detail: $"Fault injection is on for this replica (Serving:FaultPercent={serving.FaultPercent}).");
        }

        // One model for the whole answer, even if a switch happens meanwhile (Models/ServingModel.cs).
        var model = servingModel.Current;
        var started = Stopwatch.GetTimestamp();
        // Normalised once: the model reads it, and the debug variant returns it.
        var normalized = TextNormalizer.Normalize(outcome.Request.Sentence);
        var prediction = model.PredictNormalized(normalized);
        var elapsed = Stopwatch.GetElapsedTime(started);
        metrics.Predicted(prediction.Label, elapsed);
        LogPredicted(logger, prediction.Label, prediction.Confidence, serving.Variant, serving.InstanceId, requestId, elapsed.TotalMilliseconds);
        // The payload log: a row queued (never waited for), written in batches by PayloadLogWriter.
        if (payloadLog.Enabled)
            payloadLog.Offer(Record(outcome.Request.Sentence, requestId, shadow: false, serving, model, prediction, elapsed,
                http.Request.Headers[ClientKeyHeader].FirstOrDefault()));
        // Marked by the gateway (X-Shadow: 1): a copy for the challenger, sent in the background.
        // Nothing is allocated for the requests the gateway did not mark.
        if (ShadowQueue.IsMarked(http.Request))
            shadow.Offer(new ShadowCopy(outcome.Request.Sentence, requestId, prediction.Label, prediction.PositiveProbability));

        // Debug variant only: both probabilities, in debug and (the same object) in prediction_proba_dict.
        var probabilities = serving.IncludeDebugFields
            ? new ClassProbabilities(1f - prediction.PositiveProbability, prediction.PositiveProbability)
            : null;
        return TypedResults.Ok(new PredictResponse(
            prediction.Label,
            prediction.Confidence,
            serving.Variant,
            serving.InstanceId,
            model.ModelId,
            requestId)
        {
            Debug = probabilities is null
                ? null
                : new PredictDebug(
                    probabilities,
                    model.ModelId,
                    model.Sha256,
                    normalized,
                    elapsed.TotalMilliseconds),
            PredictionProbaDict = probabilities,
        });
    }

    /// <summary>Request header with the key the canary split hashed (X-Client-Id, else the client address).</summary>
    public const string ClientKeyHeader = "X-Client-Key";

    /// <summary>A payload-log row for an answer (<paramref name="shadow"/>: a prediction on a shadow copy).</summary>
    internal static PredictionRecord Record(string sentence, string requestId, bool shadow, ServingOptions serving,
        SentimentModel model, SentimentPrediction prediction, TimeSpan elapsed, string? clientKey) =>
        new(requestId, DateTime.UtcNow, shadow, serving.Variant, model.ModelId, model.Sha256,
            sentence, serving.LogSentences,
            prediction.Label, prediction.PositiveProbability, elapsed.TotalMilliseconds, clientKey);

    /// <summary>The gateway's <c>$request_id</c> when there is one, else ASP.NET's own trace id.</summary>
    public static string RequestId(HttpContext http) =>
        http.Request.Headers[RequestIdHeader].FirstOrDefault() is { Length: > 0 } id ? id : http.TraceIdentifier;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "predict label={Label} confidence={Confidence:F3} variant={Variant} instance={InstanceId} request_id={RequestId} inference_ms={InferenceMs:F3}")]
    private static partial void LogPredicted(ILogger logger, string label, float confidence, string variant, string instanceId, string requestId, double inferenceMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "fallback requested_variant={Requested} served_variant={Variant} instance={InstanceId} request_id={RequestId}")]
    private static partial void LogFallback(ILogger logger, string requested, string variant, string instanceId, string requestId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "injected fault variant={Variant} instance={InstanceId} request_id={RequestId}")]
    private static partial void LogFault(ILogger logger, string variant, string instanceId, string requestId);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "rejected reason={Reason} variant={Variant} instance={InstanceId} request_id={RequestId}")]
    private static partial void LogRejected(ILogger logger, string reason, string variant, string instanceId, string requestId);
}
