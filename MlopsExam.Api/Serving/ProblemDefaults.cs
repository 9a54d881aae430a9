using Microsoft.AspNetCore.WebUtilities;

namespace MlopsExam.Api.Serving;

/// <summary>
/// A <c>detail</c> for the problems the framework writes without one: status code pages (404, 405)
/// and the exception handler (Kestrel's refusals, a 500). Every error then names its problem with
/// status, title and detail, as the ones <see cref="PredictRequestReader"/> writes do.
/// </summary>
public static class ProblemDefaults
{
    public static string Detail(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        return (context.ProblemDetails.Status ?? http.Response.StatusCode, context.Exception) switch
        {
            // Kestrel's own refusals (body too large, malformed chunked encoding, ...): safe messages.
            (_, BadHttpRequestException bad) => $"The request could not be read: {bad.Message}",
            (StatusCodes.Status404NotFound, _) => "There is nothing at this path: the API answers POST /predict.",
            (StatusCodes.Status405MethodNotAllowed, _) => $"{http.Request.Method} is not allowed here: send POST with a JSON body like {{\"sentence\": \"I loved it\"}}.",
            // No exception text leaves the process; the request id finds it in the log.
            ( >= 500, _) => "The server failed to answer this request; it is logged under the request id.",
            (var status, _) => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "The request failed.",
        };
    }
}
