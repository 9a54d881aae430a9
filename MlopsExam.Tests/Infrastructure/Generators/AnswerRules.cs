using System.Text.Json;

namespace MlopsExam.Tests.Infrastructure.Generators;

/// <summary>
/// The promises every answer of <c>/predict</c> keeps, whatever was sent; checked in-process
/// (<c>Api/GeneratedInputTests</c>) and through the gateway. A broken promise throws, naming the
/// request, so CsCheck shrinks it and prints it with the seed that replays it.
/// </summary>
public static class AnswerRules
{
    public sealed record Answer(int Status, string? MediaType, string Body, string Method);

    public static async Task<Answer> ReadAsync(HttpResponseMessage response, string method) =>
        new((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync(), method);

    /// <summary>Promise 1: no input makes a 5xx.</summary>
    public static void NotAServerError(Answer answer, object request)
    {
        if (answer.Status >= 500)
            Fail($"a {answer.Status}", answer, request);
    }

    /// <summary>Promise 2: every error is <c>application/problem+json</c> that names the problem:
    /// its <c>status</c> (equal to the HTTP status), a <c>title</c> and a <c>detail</c>. A success is
    /// a JSON prediction. (A HEAD answer has no body to check.)</summary>
    public static void ErrorIsAProblem(Answer answer, object request)
    {
        if (answer.Method == "HEAD") return;
        if (answer.Status == 200)
        {
            var body = Parse(answer, request, "application/json");
            if (body.TryGetProperty("label", out var label) && label.GetString() is "positive" or "negative") return;
            Fail("a 200 without a label", answer, request);
        }
        if (answer.Status < 400)
            Fail($"an unexpected {answer.Status}", answer, request);

        var problem = Parse(answer, request, "application/problem+json");
        if (!problem.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number || status.GetInt32() != answer.Status)
            Fail("a problem whose 'status' is not the HTTP status", answer, request);
        foreach (var member in new[] { "title", "detail" })
            if (!problem.TryGetProperty(member, out var text) || text.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(text.GetString()))
                Fail($"a problem without a '{member}'", answer, request);
    }

    private static JsonElement Parse(Answer answer, object request, string mediaType)
    {
        if (answer.MediaType != mediaType)
            Fail($"'{answer.MediaType}' instead of {mediaType}", answer, request);
        try
        {
            using var document = JsonDocument.Parse(answer.Body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            Fail($"a body that is not a JSON object ({ex.Message})", answer, request);
            throw; // unreachable
        }
    }

    private static void Fail(string what, Answer answer, object request) =>
        throw new Xunit.Sdk.XunitException(
            $"Got {what} (status {answer.Status}, {answer.MediaType ?? "no content type"}): " +
            $"{(answer.Body.Length > 400 ? answer.Body[..400] + "..." : answer.Body)}\n  for {request}");
}
