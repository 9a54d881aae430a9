using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using MlopsExam.Api.Predict;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.Feedback;

/// <summary>
/// Reads a <c>/feedback</c> body by hand, as <see cref="PredictRequestReader"/> reads /predict's: whatever a client
/// sends, the request or the problem (4xx) to answer, never an exception. Same content-type and size rules.
/// </summary>
public static class FeedbackRequestReader
{
    /// <summary>Longest request id accepted (the gateway's are 32 hex digits; ASP.NET's trace ids are shorter).</summary>
    public const int MaxRequestIdLength = 128;

    public readonly record struct Outcome(FeedbackRequest? Request, ProblemHttpResult? Problem);

    public static async Task<Outcome> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (PredictRequestReader.ContentTypeProblem(request.ContentType) is { } refused)
            return new(null, refused.Problem);
        if (request.ContentLength > ServingExtensions.MaxRequestBodyBytes)
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large",
                detail: $"The body has {request.ContentLength} bytes; the maximum is {ServingExtensions.MaxRequestBodyBytes}."));

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large",
                detail: $"The body exceeds the maximum of {ServingExtensions.MaxRequestBodyBytes} bytes."));
        }
        catch (JsonException ex)
        {
            return new(null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed JSON",
                detail: $"The body is not valid JSON: {ex.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Invalid("body", "The body must be a JSON object like {\"requestId\": \"...\", \"label\": \"positive\"}.");
            if (!TryGetString(root, "requestId", out var requestId, out var problem))
                return problem;
            if (!TryGetString(root, "label", out var label, out problem))
                return problem;
            if (string.IsNullOrWhiteSpace(requestId) || requestId.Length > MaxRequestIdLength || requestId.Any(char.IsControl))
                return Invalid("requestId", $"The field 'requestId' must be the requestId of an answer (1 to {MaxRequestIdLength} printable characters).");
            if (label is not ("positive" or "negative"))
                return Invalid("label", "The field 'label' must be 'positive' or 'negative'.");
            return new(new FeedbackRequest(requestId, label), null);
        }
    }

    /// <summary>A required string member, once, valid Unicode (a lone surrogate escape or non-UTF-8 bytes are a 400).</summary>
    private static bool TryGetString(JsonElement root, string name, out string value, out Outcome problem)
    {
        value = "";
        problem = default;
        var count = 0;
        var element = default(JsonElement);
        foreach (var member in root.EnumerateObject())
        {
            bool matches;
            try { matches = member.NameEquals(name); }
            catch (InvalidOperationException) { matches = false; } // a name that is not valid Unicode is no known member
            if (matches) { element = member.Value; count++; }
        }
        if (count != 1)
        {
            problem = Invalid(name, count == 0 ? $"The field '{name}' is required." : $"The field '{name}' appears {count} times; send it once.");
            return false;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            problem = Invalid(name, $"The field '{name}' must be a string, not {element.ValueKind.ToString().ToLowerInvariant()}.");
            return false;
        }
        try
        {
            value = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            problem = Invalid(name, $"The field '{name}' is not valid Unicode text.");
            return false;
        }
        return true;
    }

    private static Outcome Invalid(string field, string message) =>
        new(null, TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid request",
            Detail = message,
        }));
}
