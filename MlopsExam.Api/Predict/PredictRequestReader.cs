using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.Predict;

/// <summary>
/// Reads and checks a <c>/predict</c> body by hand rather than through model binding, so that each
/// kind of bad input gets its own clear ProblemDetails answer (the framework's binder answers all
/// of them with one generic message). The only reader of the body: whatever a client sends, it
/// returns either a sentence or the problem to answer, never an exception.
/// </summary>
/// <remarks>
/// What it accepts, and why:
/// <list type="bullet">
/// <item>JSON media types (<c>application/json</c>, <c>*/*+json</c>) with no charset or
/// <c>charset=utf-8</c>: JSON between systems is UTF-8 (RFC 8259 §8.1); any other charset is a 415
/// rather than a body decoded as something it is not.</item>
/// <item>A UTF-8 byte order mark is skipped (RFC 8259 lets a parser ignore it; System.Text.Json does).</item>
/// <item>One <c>"sentence"</c> member: a second one is a 400 (parsers disagree on which one wins,
/// RFC 8259 §4), other members are ignored.</item>
/// <item>The sentence must be valid Unicode: an escaped lone surrogate (<c>"\ud800"</c>) or raw bytes
/// that are not UTF-8 pass the JSON parser and only fail when the string is materialised. The
/// noncharacters U+FFFE and U+FFFF are refused too: they are no text, and .NET's Unicode
/// normalisation (the model's first step) throws on U+FFFE.</item>
/// </list>
/// </remarks>
public static class PredictRequestReader
{
    public const string SentenceField = "sentence";

    public readonly record struct Outcome(PredictRequest? Request, ProblemHttpResult? Problem, string? Reason);

    public static async Task<Outcome> ReadAsync(HttpRequest request, int maxSentenceLength, CancellationToken ct)
    {
        if (ContentTypeProblem(request.ContentType) is { } refused)
            return refused;

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

            // One pass over the members (a struct enumerator: no allocation) that also counts them.
            // Names are compared raw: a member named with invalid Unicode is ignored like any unknown one.
            var sentence = default(JsonElement);
            var occurrences = 0;
            foreach (var member in root.EnumerateObject())
            {
                if (IsSentenceField(JsonMarshal.GetRawUtf8PropertyName(member)))
                {
                    sentence = member.Value;
                    occurrences++;
                }
            }

            if (occurrences == 0)
                return Invalid("missing_field", $"The field '{SentenceField}' is required.");

            if (occurrences > 1)
                return Invalid("duplicate_field", $"The field '{SentenceField}' appears {occurrences} times; send it once.");

            if (sentence.ValueKind != JsonValueKind.String)
                return Invalid("wrong_type", $"The field '{SentenceField}' must be a string, not a {Describe(sentence.ValueKind)}.");

            if (!TryGetText(sentence, out var text))
                return Invalid("invalid_unicode",
                    $"The field '{SentenceField}' is not valid Unicode text: it holds an unpaired surrogate escape (such as \\ud800) or bytes that are not UTF-8.");

            // Vectorised, and nothing to do on ordinary text.
            if (text.AsSpan().IndexOfAny('\uFFFE', '\uFFFF') >= 0)
                return Invalid("invalid_unicode",
                    $"The field '{SentenceField}' holds U+FFFE or U+FFFF, which are not characters (U+FFFE is a byte order mark read backwards: UTF-16 decoded in the wrong byte order?).");

            if (string.IsNullOrWhiteSpace(text))
                return Invalid("empty", $"The field '{SentenceField}' must not be empty or blank.");

            if (text.Length > maxSentenceLength)
                return Invalid("too_long", $"The field '{SentenceField}' has {text.Length} characters; the maximum is {maxSentenceLength}.");

            return new Outcome(new PredictRequest(text), null, null);
        }
    }

    /// <summary>
    /// Whether a member's raw (still escaped) UTF-8 name is <c>sentence</c>, each letter written as
    /// itself or as a <c>\uXXXX</c> escape. Done by hand because <see cref="JsonProperty.NameEquals(string)"/>
    /// unescapes and transcodes, and throws for a name holding a lone surrogate escape: such a name is
    /// simply not "sentence", like any other unknown member. No allocation, no exception.
    /// </summary>
    internal static bool IsSentenceField(ReadOnlySpan<byte> raw)
    {
        var expected = SentenceUtf8;
        var i = 0;
        foreach (var letter in expected)
        {
            if (i < raw.Length && raw[i] == letter)
            {
                i++;
                continue;
            }
            // \uXXXX whose value is this letter (hex digits in either case).
            if (i + 6 > raw.Length || raw[i] != (byte)'\\' || raw[i + 1] != (byte)'u'
                || !Utf8Parser.TryParse(raw.Slice(i + 2, 4), out ushort value, out var consumed, 'x')
                || consumed != 4 || value != letter)
                return false;
            i += 6;
        }
        return i == raw.Length;
    }

    private static ReadOnlySpan<byte> SentenceUtf8 => "sentence"u8;

    /// <summary>
    /// The parser checks a string's syntax, not its content: System.Text.Json transcodes it (and
    /// unescapes it) only here, and throws <see cref="InvalidOperationException"/> when the result is
    /// not valid UTF-16 (a lone surrogate escape) or the raw bytes are not UTF-8. That is the client's
    /// error, the one way a well-formed JSON string cannot become text; a valid string costs nothing more.
    /// </summary>
    private static bool TryGetText(JsonElement value, [NotNullWhen(true)] out string? text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>
    /// JSON in UTF-8, or the 415 that says what to send. The two spellings every client uses are
    /// matched without parsing the header; anything else is parsed once.
    /// </summary>
    internal static Outcome? ContentTypeProblem(string? contentType)
    {
        if (string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(contentType, "application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
            return null;

        // Matches what HttpRequest.HasJsonContentType() accepts: application/json and any +json type.
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !(media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                 || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
            return Fail("unsupported_media_type", TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the body as JSON with 'Content-Type: application/json', e.g. {\"sentence\": \"I loved it\"}."));

        var charset = HeaderUtilities.RemoveQuotes(media.Charset);
        if (media.Charset.HasValue
            && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return Fail("unsupported_charset", TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported charset",
                detail: $"JSON is read as UTF-8 only (RFC 8259), not '{charset}': send 'Content-Type: application/json' and a UTF-8 body."));

        return null;
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
