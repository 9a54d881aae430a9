using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlopsExam.Api.Serving;
using MlopsExam.Model;

namespace MlopsExam.Tests.Api;

/// <summary>The API's own contract, in-process (no gateway): answers, errors, metrics, start-up checks.</summary>
public sealed class PredictApiTests(V1ApiFixture fixture) : IClassFixture<V1ApiFixture>
{
    private HttpClient Client() => fixture.Factory.CreateClient();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Theory]
    [InlineData("What a wonderful, heartfelt movie.", "positive")]
    [InlineData("A boring, clumsy and lifeless film.", "negative")]
    public async Task Predict_returns_label_probability_version_and_instance(string sentence, string expected)
    {
        using var response = await Client().PostAsJsonAsync("/predict", new { sentence });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await BodyAsync(response);
        Assert.Equal(expected, body.GetProperty("label").GetString());
        Assert.InRange(body.GetProperty("probability").GetSingle(), 0.5f, 1f);
        Assert.Equal("v1", body.GetProperty("version").GetString());
        Assert.Equal(ApiFactory.InstanceId, body.GetProperty("instance").GetString());
        Assert.StartsWith("sentiment-v1", body.GetProperty("modelId").GetString());
        Assert.False(body.TryGetProperty("debug", out _));
        Assert.Equal(ApiFactory.InstanceId, response.Headers.GetValues("X-Instance-Id").Single());
    }

    [Fact]
    public async Task Request_id_from_the_gateway_is_echoed_in_the_answer()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = Json("{\"sentence\":\"good\"}") };
        request.Headers.Add("X-Request-Id", "test-request-42");
        using var response = await Client().SendAsync(request);

        Assert.Equal("test-request-42", (await BodyAsync(response)).GetProperty("requestId").GetString());
    }

    [Theory]
    [InlineData("{}", 400, "required")]
    [InlineData("{\"text\": \"good\"}", 400, "required")]
    [InlineData("{\"sentence\": 42}", 400, "must be a string, not a number")]
    [InlineData("{\"sentence\": null}", 400, "must be a string, not a null")]
    [InlineData("{\"sentence\": {\"a\": 1}}", 400, "must be a string, not a object")]
    [InlineData("{\"sentence\": \"\"}", 400, "must not be empty")]
    [InlineData("{\"sentence\": \" \\n\\t \"}", 400, "must not be empty")]
    [InlineData("{\"sentence\": \"good\"", 400, "not valid JSON")]
    [InlineData("", 400, "not valid JSON")]
    [InlineData("\"good\"", 400, "must be a JSON object")]
    [InlineData("{\"sentence\": \"\\ud800\"}", 400, "not valid Unicode")]           // lone high surrogate
    [InlineData("{\"sentence\": \"good \\udc00 film\"}", 400, "not valid Unicode")]  // lone low surrogate
    [InlineData("{\"sentence\": \"good \\ufffe\"}", 400, "U+FFFE or U+FFFF")]       // a byte-swapped BOM
    [InlineData("{\"sentence\": \"a\", \"sentence\": \"b\"}", 400, "appears 2 times")]
    [InlineData("{\"sentence\": \"a\", \"sent\\u0065nce\": 1}", 400, "appears 2 times")]
    public async Task Bad_bodies_get_problem_details_saying_what_is_wrong(string body, int status, string detail)
    {
        using var response = await Client().PostAsync("/predict", Json(body));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await BodyAsync(response);
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
        Assert.Equal(ApiFactory.InstanceId, problem.GetProperty("replica").GetString());
    }

    [Fact]
    public async Task Sentence_that_is_not_utf8_is_a_400_naming_the_problem()
    {
        var body = new ByteArrayContent([.. "{\"sentence\": \"caf"u8, 0xE9, .. "\"}"u8]); // Latin-1 é
        body.Headers.ContentType = new("application/json");
        using var response = await Client().PostAsync("/predict", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid Unicode", (await BodyAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Escaped_surrogate_pair_and_utf8_byte_order_mark_are_accepted()
    {
        using var pair = await Client().PostAsync("/predict", Json("{\"sentence\": \"great film \\ud83c\\udfac\"}"));
        var bom = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. "{\"sentence\": \"great film\"}"u8]);
        bom.Headers.ContentType = new("application/json");
        using var withBom = await Client().PostAsync("/predict", bom);

        Assert.Equal(HttpStatusCode.OK, pair.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withBom.StatusCode);
    }

    [Theory]
    [InlineData("application/json", 200)]
    [InlineData("application/json; charset=utf-8", 200)]
    [InlineData("Application/JSON; Charset=\"UTF-8\"", 200)]
    [InlineData("application/vnd.example+json", 200)]
    [InlineData("application/json; charset=utf-16", 415)]
    [InlineData("application/json; charset=iso-8859-1", 415)]
    [InlineData("text/plain", 415)]
    [InlineData("application/jsonx", 415)]
    public async Task Json_is_read_as_utf8_only_any_other_charset_is_a_415(string contentType, int expected)
    {
        var content = new ByteArrayContent("{\"sentence\": \"good\"}"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await Client().PostAsync("/predict", content);

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 415)
            Assert.False(string.IsNullOrWhiteSpace((await BodyAsync(response)).GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Sentence_length_is_capped_at_the_configured_maximum()
    {
        using var ok = await Client().PostAsJsonAsync("/predict", new { sentence = new string('a', 1000) });
        using var tooLong = await Client().PostAsJsonAsync("/predict", new { sentence = new string('a', 1001) });

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("1001 characters; the maximum is 1000", (await BodyAsync(tooLong)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Wrong_content_type_is_415_and_wrong_method_is_405_both_as_json()
    {
        using var form = await Client().PostAsync("/predict", new StringContent("sentence=good", Encoding.UTF8, "text/plain"));
        using var get = await Client().GetAsync("/predict");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Equal(415, (await BodyAsync(form)).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        var notAllowed = await BodyAsync(get);
        Assert.Equal(405, notAllowed.GetProperty("status").GetInt32());
        Assert.Contains("GET is not allowed", notAllowed.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Body_over_the_api_limit_is_a_json_413_not_a_500()
    {
        var huge = "{\"sentence\": \"" + new string('a', 64 * 1024) + "\"}";
        using var response = await Client().PostAsync("/predict", Json(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", await response.Content.ReadAsStringAsync()); // no stack trace
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_predictions_by_variant_and_model()
    {
        using var predicted = await Client().PostAsJsonAsync("/predict", new { sentence = "a delight" });
        Assert.Equal(HttpStatusCode.OK, predicted.StatusCode);

        var metrics = await Client().GetStringAsync("/metrics");

        Assert.Matches("sentiment_predictions_total\\{[^}]*variant=\"v1\"", metrics);
        Assert.Matches("sentiment_inference_duration_seconds_bucket\\{[^}]*model_id=\"sentiment-v1", metrics);
        // Buckets fine enough for an inference of tens of microseconds (not the default 0, 5, 10, ...).
        var bounds = System.Text.RegularExpressions.Regex.Matches(metrics, "sentiment_inference_duration_seconds_bucket\\{[^}]*le=\"([^\"]+)\"")
            .Select(m => m.Groups[1].Value).Where(le => le != "+Inf").Select(le => double.Parse(le, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        Assert.True(bounds.Count(b => b <= 0.001) >= 5, $"bucket bounds: {string.Join(", ", bounds)}");
    }

    [Fact]
    public async Task Health_reports_the_loaded_model()
    {
        using var response = await Client().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}

public sealed class DebugVariantTests
{
    [Fact]
    public async Task Debug_variant_adds_both_probabilities_and_model_identity()
    {
        using var factory = new ApiFactory("v2", debugFields: true);
        using var response = await factory.CreateClient().PostAsJsonAsync("/predict", new { sentence = "It's NOT good." });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("v2", body.GetProperty("version").GetString());
        var debug = body.GetProperty("debug");
        var p = debug.GetProperty("probabilities");
        Assert.Equal(1f, p.GetProperty("negative").GetSingle() + p.GetProperty("positive").GetSingle(), 3);
        Assert.Equal(SentimentModel.ComputeSha256(RepoLayout.Path("models", "sentiment-v2.zip")), debug.GetProperty("modelSha256").GetString());
        Assert.Equal("it 's not good .", debug.GetProperty("normalizedSentence").GetString());
        // The exercise's name for the same two probabilities.
        var dict = body.GetProperty("prediction_proba_dict");
        Assert.Equal(p.GetProperty("negative").GetSingle(), dict.GetProperty("negative").GetSingle());
        Assert.Equal(p.GetProperty("positive").GetSingle(), dict.GetProperty("positive").GetSingle());
    }

    [Fact]
    public async Task The_champion_carries_neither_debug_fields_nor_the_probability_dict()
    {
        using var factory = new ApiFactory("v1");
        using var response = await factory.CreateClient().PostAsJsonAsync("/predict", new { sentence = "fine" });

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(body.TryGetProperty("debug", out _));
        Assert.False(body.TryGetProperty("prediction_proba_dict", out _));
    }
}

/// <summary>Start-up refusals, seen as an operator sees them: the real process, its exit code and message.</summary>
public sealed class StartupChecksTests
{
    private static (int ExitCode, string Output) StartApi(string variant, string modelPath, string? sha256 = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Serving__Variant"] = variant,
            ["Serving__ModelPath"] = modelPath,
            // Port 0: if start-up wrongly succeeded, it would not clash with anything; the deadline ends it.
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        };
        if (sha256 is not null) environment["Serving__ModelSha256"] = sha256;
        var api = typeof(ServingOptions).Assembly.Location;
        return Shell.Run("dotnet", [api], TimeSpan.FromSeconds(60), environment: environment);
    }

    [Fact]
    public void A_model_that_does_not_match_its_sha256_stops_start_up_with_a_clear_message()
    {
        var (code, output) = StartApi("v1", RepoLayout.Path("models", "sentiment-v1.zip"), new string('0', 64));

        Assert.Equal(1, code);
        Assert.Contains($"Refusing to start: Model file '{RepoLayout.Path("models", "sentiment-v1.zip")}' has sha256", output);
        Assert.Contains($"but {new string('0', 64)} was expected", output);
    }

    [Fact]
    public void A_missing_model_stops_start_up_with_a_clear_message()
    {
        var (code, output) = StartApi("v1", RepoLayout.Path("models", "no-such-model.zip"));

        Assert.Equal(1, code);
        Assert.Contains("no-such-model.zip' does not exist", output);
    }

    [Fact]
    public void An_invalid_setting_stops_start_up_naming_the_setting()
    {
        var (code, output) = StartApi("beta", RepoLayout.Path("models", "sentiment-v1.zip"));

        Assert.Equal(1, code);
        Assert.Contains("Serving:Variant must look like v1, v2", output);
    }
}
