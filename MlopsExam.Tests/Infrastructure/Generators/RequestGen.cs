using System.Net.Http.Headers;
using System.Text;
using CsCheck;

namespace MlopsExam.Tests.Infrastructure.Generators;

/// <summary>
/// One generated request to <c>/predict</c>: what a careless, curious or hostile client may send.
/// <see cref="ToString"/> is what a failing property prints (with CsCheck's seed to replay it).
/// </summary>
public sealed record GeneratedRequest(
    string Kind,
    string Method,
    string? ContentType,
    byte[] Body,
    bool Chunked,
    string? ExperimentGroup)
{
    /// <summary>The request as <see cref="HttpRequestMessage"/>; the content type is sent verbatim
    /// (no validation), and a chunked body has no Content-Length.</summary>
    public HttpRequestMessage ToHttpRequest(Uri uri, AuthenticationHeaderValue? auth = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(Method), uri);
        if (Method is not ("GET" or "HEAD"))
        {
            HttpContent content = Chunked
                ? new StreamContent(new MemoryStream(Body, writable: false))
                : new ByteArrayContent(Body);
            if (ContentType is not null)
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            request.Content = content;
            if (Chunked) request.Headers.TransferEncodingChunked = true;
        }
        if (ExperimentGroup is not null)
            request.Headers.TryAddWithoutValidation("X-Experiment-Group", ExperimentGroup);
        if (auth is not null)
            request.Headers.Authorization = auth;
        return request;
    }

    public override string ToString()
    {
        const int preview = 160;
        var shown = Body.Length <= preview ? Body : Body[..preview];
        return $"{Kind}: {Method} content-type={(ContentType is null ? "(none)" : $"'{ContentType}'")} " +
               $"{(Chunked ? "chunked " : "")}group={(ExperimentGroup is null ? "(none)" : $"'{ExperimentGroup}'")} " +
               $"body[{Body.Length}]={Escape(shown)}{(Body.Length > preview ? "..." : "")}";
    }

    /// <summary>Bytes as a C#-like literal: printable ASCII as is, everything else as \xNN.</summary>
    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder("\"");
        foreach (var b in bytes)
            text.Append(b switch
            {
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => $"\\x{b:X2}",
            });
        return text.Append('"').ToString();
    }
}

/// <summary>
/// Generators of requests to <c>/predict</c>, shared by the in-process property tests
/// (<c>Api/GeneratedInputTests</c>) and their bounded live run through the gateway.
/// The nasty cases: random bytes, random and invalid UTF-8, JSON escapes of every UTF-16 code unit
/// (unpaired surrogates included), deep nesting, huge numbers, duplicate keys, byte order marks,
/// every content type and charset, other methods, bodies over the limits.
/// </summary>
public static class RequestGen
{
    // Static fields initialise in text order: each generator is declared after those it uses.
    /// <summary>The API's own body limit is 32 KiB (the gateway's 16 KiB); oversize bodies go past both.</summary>
    public const int OversizeBytes = 40 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static byte[] Bytes(string text) => Utf8.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Ordinary sentences: most valid requests should be answered 200.</summary>
    public static readonly Gen<string> Sentence = Gen.OneOf(
        "A gripping, beautifully acted film.",
        "A boring, clumsy and lifeless film.",
        "it's not good",
        "ok",
        "Ünïcödé çåfé — naïve “quotes” 🎬🍿",
        "日本語の映画はとても良かった",
        "\u00a0\u2003 tabs\tand\nnewlines \u200b zero-width");

    /// <summary>Any UTF-16 code unit, surrogates included: a random <see cref="string"/> may hold
    /// unpaired ones (System.Text.Json then writes them as \uD800-style escapes).</summary>
    public static readonly Gen<string> AnyUtf16 = Gen.Char.Array[0, 64].Select(chars => new string(chars));

    /// <summary>Valid Unicode text: random scalar values (no lone surrogates), astral planes included.</summary>
    public static readonly Gen<string> ValidUnicode = Gen.Frequency(
            (3, Gen.Int[0x20, 0x7E]),
            (2, Gen.Int[0x80, 0xD7FF]),
            (1, Gen.Int[0xE000, 0xFFFF]),
            (1, Gen.Int[0x10000, 0x10FFFF]),
            (1, Gen.Int[0, 0x1F]))
        .Array[0, 64]
        .Select(scalars => string.Concat(scalars.Select(char.ConvertFromUtf32)));

    /// <summary>Code points that break text handling: noncharacters (U+FFFE is a byte-swapped byte
    /// order mark), a BOM inside the text, NUL, the replacement character, direction overrides,
    /// zero-width and unusual spaces, combining marks with no base, the last code point.</summary>
    public static readonly Gen<string> EdgeCodePoints = Gen.OneOf(
            "\uFFFE", "\uFFFF", "\uFEFF", "\u0000", "\uFFFD", "\u202E", "\u200B", "\u200D", "\u3000", "\u0085", "\u00AD",
            "\uFDD0", "\u0301\u0301\u0301", "\U0001FFFE", "\U0010FFFF", "\U0001F3AC", "\u0130", "\uFB03", "\u2026", "\uFF21", "a", " ")
        .Array[1, 16]
        .Select(parts => string.Concat(parts));

    /// <summary>One JSON string escape: \uXXXX for any code unit (lone and paired surrogates), the
    /// short escapes, and invalid ones (\x, \u12, \U0041).</summary>
    public static readonly Gen<string> Escape = Gen.Frequency(
        (6, Gen.Int[0, 0xFFFF].Select(u => $"\\u{u:x4}")),
        (3, Gen.Int[0xD800, 0xDFFF].Select(u => $"\\u{u:X4}")),                      // unpaired surrogate
        (2, Gen.Int[0x10000, 0x10FFFF].Select(cp =>                                    // a valid pair
        {
            var pair = char.ConvertFromUtf32(cp);
            return $"\\u{(int)pair[0]:x4}\\u{(int)pair[1]:x4}";
        })),
        (1, Gen.Int[0xDC00, 0xDFFF].Select(low => $"\\u{low:x4}\\ud800")),           // reversed pair
        (2, Gen.OneOf("\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r")),
        (1, Gen.OneOf("\\x41", "\\u12", "\\U0041", "\\", "\\u", "\\uZZZZ", "\\'", "\\0")));

    /// <summary>A sentence written with escapes (and some plain text between them).</summary>
    public static readonly Gen<string> EscapedSentence = Gen.Frequency(
            (4, Escape),
            (1, Gen.OneOf("a", "good", " ", "film")))
        .Array[1, 24]
        .Select(parts => string.Concat(parts));

    /// <summary>Byte sequences that are not UTF-8: stray continuations, overlongs, encoded
    /// surrogates (CESU-8), truncated sequences, bytes never used by UTF-8, past U+10FFFF.</summary>
    public static readonly Gen<byte[]> InvalidUtf8 = Gen.OneOf<byte[]>(
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x8A], [0xF0, 0x9F, 0x98], [0xE2, 0x82], [0xC3], [0xF5, 0x80, 0x80, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xFE], [0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3, 0x28]);

    /// <summary>Numbers far past double and decimal, long digit strings, odd exponents.</summary>
    public static readonly Gen<string> HugeNumber = Gen.OneOf(
        Gen.Int[1, 4000].Select(n => new string('9', n)),
        Gen.Int[1, 4000].Select(n => "-0." + new string('0', n) + "1"),
        Gen.OneOf("1e999999999", "-1e-999999999", "1E+308", "1.7976931348623157e309", "123456789012345678901234567890",
                  "-0", "0e0", "4.9e-325", "18446744073709551616", "-9223372036854775809"));

    /// <summary>Bodies naming "sentence" more than once, with the same or other types, or written
    /// with escapes.</summary>
    public static readonly Gen<string> DuplicateKeys = Gen.Select(Sentence, Sentence, Gen.Int[0, 4]).Select((a, b, shape) => shape switch
    {
        0 => $"{{\"sentence\":{Json(a)},\"sentence\":{Json(b)}}}",
        1 => $"{{\"sentence\":42,\"sentence\":{Json(b)}}}",
        2 => $"{{\"sentence\":{Json(a)},\"sentence\":null}}",
        3 => $"{{\"sentence\":{Json(a)},\"sent\\u0065nce\":{Json(b)}}}",
        _ => $"{{\"other\":1,\"other\":2,\"sentence\":{Json(a)}}}",
    });

    public sealed record ByteOrderMark(string Name, byte[] Prefix, Encoding Encoding);

    public static readonly Gen<ByteOrderMark> Bom = Gen.OneOf(
        new ByteOrderMark("UTF-8", [0xEF, 0xBB, 0xBF], Utf8),
        new ByteOrderMark("UTF-8 twice", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF], Utf8),
        new ByteOrderMark("UTF-16LE", [0xFF, 0xFE], new UnicodeEncoding(bigEndian: false, byteOrderMark: false)),
        new ByteOrderMark("UTF-16BE", [0xFE, 0xFF], new UnicodeEncoding(bigEndian: true, byteOrderMark: false)),
        new ByteOrderMark("UTF-32LE", [0xFF, 0xFE, 0x00, 0x00], new UTF32Encoding(bigEndian: false, byteOrderMark: false)),
        new ByteOrderMark("none, UTF-16LE", [], new UnicodeEncoding(bigEndian: false, byteOrderMark: false)));

    /// <summary>A JSON body and what kind of nastiness it carries.</summary>
    public static readonly Gen<(string Kind, byte[] Body)> Body = Gen.Frequency(
        // Valid requests, so the generator also walks the happy path.
        (4, Sentence.Select(s => ("valid sentence", Bytes(WellFormedBody(s))))),
        (3, EdgeCodePoints.Select(s => ("edge code points", Bytes(WellFormedBody(s))))),
        (3, ValidUnicode.Select(s => ("random Unicode sentence", Bytes(WellFormedBody(s))))),
        (3, AnyUtf16.Select(s => ("random UTF-16 sentence, escaped (maybe unpaired surrogates)", Bytes($"{{\"sentence\":{Json(s, escapeNonAscii: true)}}}")))),
        (5, EscapedSentence.Select(s => ("JSON escapes", Bytes($"{{\"sentence\":\"{s}\"}}")))),
        (4, Gen.Select(Gen.String[0, 20], InvalidUtf8, Gen.String[0, 20]).Select((before, bad, after) =>
            ("invalid UTF-8 in the sentence", Concat(Bytes("{\"sentence\":\"" + Plain(before)), bad, Bytes(Plain(after) + "\"}"))))),
        (1, Gen.Select(InvalidUtf8, Gen.String[0, 20]).Select((bad, text) =>
            ("invalid UTF-8 in a field name", Concat(Bytes("{\""), bad, Bytes("\":\"x\",\"sentence\":\"" + Plain(text) + "\"}"))))),
        (3, Gen.Byte.Array[0, 512].Select(bytes => ("random bytes", bytes))),
        (2, ValidUnicode.Select(s => ("random text, not JSON", Bytes(s)))),
        (3, Gen.Int[1, 3000].Select(depth => ("deep nesting in the sentence", Bytes($"{{\"sentence\":{new string('[', depth)}\"x\"{new string(']', depth)}}}")))),
        (2, Gen.Int[1, 3000].Select(depth => ("deep nesting beside the sentence",
            Bytes($"{{\"sentence\":\"fine\",\"x\":{string.Concat(Enumerable.Repeat("{\"a\":", depth))}1{new string('}', depth)}}}")))),
        (1, Gen.Int[1, 3000].Select(depth => ("unclosed nesting", Bytes(new string('[', depth))))),
        (3, HugeNumber.Select(n => ("huge number as the sentence", Bytes($"{{\"sentence\":{n}}}")))),
        (1, HugeNumber.Select(n => ("huge number beside the sentence", Bytes($"{{\"sentence\":\"fine\",\"n\":{n}}}")))),
        (4, DuplicateKeys.Select(body => ("duplicate keys", Bytes(body)))),
        (3, Gen.Select(Sentence, Bom).Select((s, bom) => ($"byte order mark {bom.Name}", Concat(bom.Prefix, bom.Encoding.GetBytes(WellFormedBody(s)))))),
        (3, Gen.OneOf(
            "", " ", "null", "true", "1", "\"good\"", "[]", "[\"good\"]", "{}", "{\"sentence\"}", "{\"sentence\":}",
            "{'sentence':'good'}", "{sentence:\"good\"}", "{\"sentence\":\"good\",}", "{\"sentence\":\"good\"} trailing",
            "{\"sentence\":\"good\"}{\"sentence\":\"bad\"}", "/* c */{\"sentence\":\"good\"}", "{\"sentence\":NaN}",
            "{\"sentence\":Infinity}", "{\"sentence\":\"good\u0000\"}", "{\"sentence\":\"tab\tinside\"}", "{\"Sentence\":\"good\"}",
            "{\"sent\\u0065nce\":\"good\"}", "{\"sentence\":\"\\u0000\"}", "{\"sentence\":\"\\ud800\"}", "{\"sentence\":\"\\udfff\\ud800\"}",
            "{\"sentence\":\"\\uDBFF\\uDFFF\"}", "{\"sentence\":[\"a\"]}", "{\"sentence\":{}}", "{\"sentence\":false}",
            "{\"\\ud800\":\"x\",\"sentence\":\"good\"}", "{\"sentence\\udc00\":1,\"sentence\":\"good\"}",
            "\uFEFF{\"sentence\":\"good\"}", "{\"sentence\":\"good\"", "{\"sentence\":\"good")
            .Select(body => ("hand-picked", Bytes(body)))),
        (2, Gen.Select(Sentence, Gen.Int[0, 100]).Select((s, cut) =>
        {
            var whole = Bytes(WellFormedBody(s));
            return ("truncated", whole[..(whole.Length * cut / 100)]);
        })),
        (2, Gen.Select(Sentence, Gen.Int[0, 100], Gen.Byte).Select((s, at, b) =>
        {
            var whole = Bytes(WellFormedBody(s)).ToList();
            whole.Insert(whole.Count * at / 100, b);
            return ("one byte inserted", whole.ToArray());
        })),
        (2, Gen.Int[990, 1010].Select(n => ("sentence around the length limit", Bytes(WellFormedBody(new string('a', n)))))),
        (2, Gen.Int[14 * 1024, OversizeBytes].Select(n => ("oversize sentence", Bytes(WellFormedBody(new string('a', n)))))),
        (1, Gen.Int[1, 2000].Select(n => ("many fields", Bytes("{" + string.Join(',', Enumerable.Range(0, n).Select(i => $"\"f{i}\":{i}")) + ",\"sentence\":\"good\"}")))));

    /// <summary>Content-Type values: JSON with every charset spelling, JSON look-alikes, other
    /// media types, malformed values, and none at all.</summary>
    public static readonly Gen<string?> ContentType = Gen.Frequency(
        (20, Gen.Const<string?>("application/json")),
        (6, Gen.OneOf<string?>(
            "application/json; charset=utf-8", "application/json; charset=UTF-8", "application/json;charset=utf-8",
            "application/json; charset=\"utf-8\"", "APPLICATION/JSON", "Application/Json; Charset=UTF8",
            "application/json; charset=utf-16", "application/json; charset=utf-16le", "application/json; charset=utf-32",
            "application/json; charset=iso-8859-1", "application/json; charset=us-ascii", "application/json; charset=windows-1252",
            "application/json; charset=bogus", "application/json; charset=", "application/json; charset",
            "application/json; foo=bar", "application/json; charset=utf-8; charset=utf-16", "text/json",
            "application/problem+json", "application/vnd.api+json", "application/json-patch+json", "application/ld+json")),
        (3, Gen.OneOf<string?>(
            null, "", " ", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz", "application/xml", "application/octet-stream", "*/*", "application/*",
            "json", "application", "application/", "/json", "application/jsonx", "application/json;;;", "application/json, text/plain",
            "image/png", "application/grpc", "application/x-ndjson", "application/json\t")),
        (1, Gen.String[0, 40].Select(s => (string?)new string(s.Where(c => c is >= ' ' and < '\u007f').ToArray()))));

    public static readonly Gen<string> Method = Gen.Frequency(
        (20, Gen.Const("POST")),
        (1, Gen.OneOf("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")));

    public static readonly Gen<string?> ExperimentGroup = Gen.Frequency(
        (6, Gen.Const(default(string))),
        (2, Gen.OneOf<string?>("debug", "DEBUG", "Debug", "", " ", "control", "debugger", "debug,debug", "v2", "0")),
        (1, Gen.String[0, 64].Select(s => (string?)new string(s.Where(c => c is >= '!' and < '\u007f').ToArray()))));

    /// <summary>Any request to /predict.</summary>
    public static readonly Gen<GeneratedRequest> Request =
        Gen.Select(Body, ContentType, Method, Gen.Int[0, 9], ExperimentGroup)
            .Select((body, contentType, method, chunked, group) =>
                new GeneratedRequest(body.Kind, method, contentType, body.Body, Chunked: chunked == 0, group));

    /// <summary>The body of a well-formed request, as a client library would write it.</summary>
    public static string WellFormedBody(string sentence) => $"{{\"sentence\":{Json(sentence)}}}";

    /// <summary>A JSON string literal. With <paramref name="escapeNonAscii"/>, every code unit past
    /// ASCII is written \uXXXX, unpaired surrogates included (as JavaScript's JSON.stringify does;
    /// System.Text.Json's writer refuses them); otherwise it is left as is (UTF-8 on the wire).</summary>
    public static string Json(string value, bool escapeNonAscii = false)
    {
        var json = new StringBuilder("\"");
        foreach (var c in value)
            json.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' or '\u007f' => $"\\u{(int)c:x4}",
                > '\u007f' when escapeNonAscii => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return json.Append('"').ToString();
    }

    /// <summary>Random text made safe to splice into a JSON string literal (no quote or backslash, no control).</summary>
    private static string Plain(string text) => new(text.Where(c => c >= ' ' && c != '"' && c != '\\' && !char.IsSurrogate(c)).ToArray());
}
