using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Models;
using MlopsExam.Api.PayloadLog;
using MlopsExam.Api.Predict;
using MlopsExam.Api.Serving;
using MlopsExam.Model;

namespace MlopsExam.Api.Shadow;

/// <summary>
/// <c>POST /shadow</c>, internal (the gateway never routes it): the challenger predicts a copy of
/// a request another variant served, logs both labels with the request id and counts
/// <c>sentiment_shadow_predictions_total{label, agreement}</c>. Its own /predict counters are
/// untouched, so they keep describing the traffic it served.
/// </summary>
public static partial class ShadowEndpoints
{
    public const string Route = "/shadow";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapShadowEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ShadowAsync)
            .WithName("Shadow")
            .ExcludeFromDescription() // internal: not part of the public contract
            .ProducesValidationProblem();
        return app;
    }

    internal static async Task<Results<Ok<ShadowResponse>, ProblemHttpResult>> ShadowAsync(
        HttpContext http,
        ServingModel servingModel,
        IOptions<ServingOptions> options,
        PredictionMetrics metrics,
        PayloadLogQueue payloadLog,
        ILogger<ShadowRequest> logger,
        CancellationToken ct)
    {
        var serving = options.Value;
        var requestId = PredictEndpoints.RequestId(http);
        http.Response.Headers[PredictEndpoints.InstanceHeader] = serving.InstanceId;

        // The sentence is checked by /predict's own reader (same rules, same answers); the body is
        // buffered so that the copy's other fields can be read after it.
        http.Request.EnableBuffering();
        var outcome = await PredictRequestReader.ReadAsync(http.Request, serving.MaxSentenceLength, ct);
        if (outcome.Request is null)
        {
            LogRejected(logger, outcome.Reason!, serving.Variant, serving.InstanceId, requestId);
            return outcome.Problem!;
        }

        http.Request.Body.Position = 0;
        ShadowRequest? copy;
        try
        {
            copy = await JsonSerializer.DeserializeAsync<ShadowRequest>(http.Request.Body, Json, ct);
        }
        catch (JsonException ex)
        {
            return Invalid(serving, logger, requestId, "wrong_type", $"The shadow copy has a field of the wrong type: {ex.Message}");
        }
        if (copy?.ServedLabel is not ("positive" or "negative"))
            return Invalid(serving, logger, requestId, "served_label", "The field 'servedLabel' must be 'positive' or 'negative'.");

        var model = servingModel.Current;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var prediction = model.Predict(outcome.Request.Sentence);
        if (payloadLog.Enabled)
            payloadLog.Offer(PredictEndpoints.Record(outcome.Request.Sentence, requestId, shadow: true, serving, model, prediction,
                System.Diagnostics.Stopwatch.GetElapsedTime(started), clientKey: null));
        var agrees = prediction.Label == copy.ServedLabel;
        metrics.ShadowPredicted(prediction.Label, agrees);
        LogShadow(logger, requestId, copy.ServedLabel, prediction.Label, agrees,
            copy.ServedVariant, copy.ServedPositiveProbability, prediction.PositiveProbability, serving.Variant, serving.InstanceId);

        return TypedResults.Ok(new ShadowResponse(
            prediction.Label, prediction.PositiveProbability, agrees, serving.Variant, serving.InstanceId, model.ModelId, requestId));
    }

    private static ProblemHttpResult Invalid(ServingOptions serving, ILogger logger, string requestId, string reason, string message)
    {
        LogRejected(logger, reason, serving.Variant, serving.InstanceId, requestId);
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid shadow copy", detail: message);
    }

    // "v1"/"v2" in the keys: the served variant and this one, as the stack deploys them
    // (served_by and variant say which they really are).
    [LoggerMessage(Level = LogLevel.Information,
        Message = "shadow request_id={RequestId} v1_label={ServedLabel} v2_label={Label} agree={Agree} served_by={ServedVariant} v1_positive={ServedPositive:F3} v2_positive={Positive:F3} variant={Variant} instance={InstanceId}")]
    private static partial void LogShadow(ILogger logger, string requestId, string servedLabel, string label, bool agree,
        string servedVariant, float servedPositive, float positive, string variant, string instanceId);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "shadow rejected reason={Reason} variant={Variant} instance={InstanceId} request_id={RequestId}")]
    private static partial void LogRejected(ILogger logger, string reason, string variant, string instanceId, string requestId);
}
