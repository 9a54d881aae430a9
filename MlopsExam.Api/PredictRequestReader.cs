using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MlopsExam.Api;

/// <summary>
/// Reads and checks a <c>/predict</c> body by hand rather than through model binding, so that each
/// kind of bad input gets its own clear ProblemDetails answer (the framework's binder answers all
/// of them with one generic message).
/// </summary>
public static class PredictRequestReader
{
    public const string SentenceField = "sentence";

    public readonly record struct Outcome(PredictRequest? Request, ProblemHttpResult? Problem, string? Reason);

    public static async Task<Outcome> ReadAsync(HttpRequest request, int maxSentenceLength, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
            return Fail("unsupported_media_type", TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the body as JSON with 'Content-Type: application/json', e.g. {\"sentence\": \"I loved it\"}."));

        // Kestrel enforces the same cap on bodies of unknown length (answered 413 by the exception
        // handler); a declared length is refused here without reading it.
        if (request.ContentLength > ServingExtensions.MaxRequestBodyBytes)
            return Fail("body_too_large", TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Payload too large",
                detail: $"The body has {request.ContentLength} bytes; the maximum is {ServingExtensions.MaxRequestBodyBytes}."));

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A body of undeclared length (chunked) that outgrew Kestrel's limit while being read.
            return Fail("body_too_large", TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Payload too large",
                detail: $"The body exceeds the maximum of {ServingExtensions.MaxRequestBodyBytes} bytes."));
        }
        catch (JsonException ex)
        {
            return Fail("malformed_json", TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Malformed JSON",
                detail: $"The body is not valid JSON: {ex.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Invalid("body_not_object", $"The body must be a JSON object like {{\"{SentenceField}\": \"...\"}}, not a {Describe(root.ValueKind)}.");

            if (!root.TryGetProperty(SentenceField, out var sentence))
                return Invalid("missing_field", $"The field '{SentenceField}' is required.");

            if (sentence.ValueKind != JsonValueKind.String)
                return Invalid("wrong_type", $"The field '{SentenceField}' must be a string, not a {Describe(sentence.ValueKind)}.");

            var text = sentence.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
                return Invalid("empty", $"The field '{SentenceField}' must not be empty or blank.");

            if (text.Length > maxSentenceLength)
                return Invalid("too_long", $"The field '{SentenceField}' has {text.Length} characters; the maximum is {maxSentenceLength}.");

            return new Outcome(new PredictRequest(text), null, null);
        }
    }

    private static Outcome Invalid(string reason, string message) =>
        // A validation problem (RFC 9457 with an "errors" member naming the field), status 400.
        Fail(reason, TypedResults.Problem(new HttpValidationProblemDetails(
            new Dictionary<string, string[]> { [SentenceField] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid request",
            Detail = message,
        }));

    private static Outcome Fail(string reason, ProblemHttpResult problem) => new(null, problem, reason);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "object",
        _ => "string",
    };
}
