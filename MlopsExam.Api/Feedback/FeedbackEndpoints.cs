using Microsoft.AspNetCore.Http.HttpResults;
using MlopsExam.Api.Predict;
using Npgsql;

namespace MlopsExam.Api.Feedback;

/// <summary>
/// <c>POST /feedback</c>: the true label of an answered request (Seldon Core's feedback endpoint, in
/// spirit). 202 once the label is committed, never before; the same label again is 202 too (idempotent,
/// so a client may resend after a lost answer); another label is 409; an unknown request id 404; the
/// database unreachable 503 with Retry-After, so the client resends and nothing acknowledged is lost.
/// </summary>
public static partial class FeedbackEndpoints
{
    public const string Route = "/feedback";

    /// <summary>Seconds a client should wait before resending after a 503.</summary>
    public const int RetryAfterSeconds = 5;

    public static IEndpointRouteBuilder MapFeedbackEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, FeedbackAsync)
            .WithName("Feedback")
            .WithTags("Feedback")
            .WithSummary("The true label of an answered request")
            .Produces<FeedbackAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static async Task<Results<Accepted<FeedbackAccepted>, ProblemHttpResult>> FeedbackAsync(
        HttpContext http, FeedbackStore store, ILogger<FeedbackRequest> logger, CancellationToken ct)
    {
        var outcome = await FeedbackRequestReader.ReadAsync(http.Request, ct);
        if (outcome.Request is not { } request)
            return outcome.Problem!;
        if (!store.Enabled)
            return Unavailable(http, "Feedback is not configured on this replica (no database).");

        FeedbackOutcome stored;
        try
        {
            stored = await store.StoreAsync(request.RequestId, request.Label, ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException && !ct.IsCancellationRequested)
        {
            LogUnavailable(logger, request.RequestId, ex.Message);
            return Unavailable(http, "The feedback database is unreachable; the label was not stored. Send it again later.");
        }
        LogFeedback(logger, request.RequestId, request.Label, stored);
        return stored switch
        {
            FeedbackOutcome.Stored => TypedResults.Accepted((string?)null, new FeedbackAccepted(request.RequestId, request.Label, false)),
            FeedbackOutcome.Duplicate => TypedResults.Accepted((string?)null, new FeedbackAccepted(request.RequestId, request.Label, true)),
            FeedbackOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflicting label",
                detail: $"Another label is already stored for request '{request.RequestId}'; a label is never replaced."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown request",
                detail: $"No answer with requestId '{request.RequestId}' is known (use the requestId of a /predict answer)."),
        };
    }

    private static ProblemHttpResult Unavailable(HttpContext http, string detail)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Feedback unavailable", detail: detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "feedback request_id={RequestId} label={Label} outcome={Outcome}")]
    private static partial void LogFeedback(ILogger logger, string requestId, string label, FeedbackOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "feedback unavailable request_id={RequestId}: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string requestId, string error);
}
