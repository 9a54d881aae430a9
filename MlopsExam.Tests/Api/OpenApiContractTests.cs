using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace MlopsExam.Tests.Api;

/// <summary>
/// The OpenAPI document served at /openapi/v1.json, read as a client reads it: its schemas, as JSON
/// Schema 2020-12 (what OpenAPI 3.1 uses), with <c>#/components/schemas/X</c> resolved.
/// </summary>
public sealed class OpenApiContract
{
    /// <summary>Our own answer types: in the tests an answer may carry no member the document does
    /// not declare (problems may: RFC 9457 extensions such as traceId).</summary>
    private static readonly string[] ClosedSchemas = ["PredictResponse", "PredictDebug", "ClassProbabilities"];

    private readonly JsonObject _definitions;

    public JsonElement Document { get; }

    private OpenApiContract(string json)
    {
        Document = JsonDocument.Parse(json).RootElement.Clone();
        _definitions = (JsonObject)Rewrite(JsonNode.Parse(json)!["components"]!["schemas"]!);
        foreach (var name in ClosedSchemas)
            _definitions[name]!["additionalProperties"] = false;
    }

    public static async Task<OpenApiContract> LoadAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return new OpenApiContract(await response.Content.ReadAsStringAsync());
    }

    private JsonElement Predict => Document.GetProperty("paths").GetProperty("/predict").GetProperty("post");

    /// <summary>The schema documented for a status and media type of <c>POST /predict</c>; fails when
    /// the document does not list that answer.</summary>
    public JsonSchema Response(int status, string mediaType)
    {
        Assert.True(Predict.GetProperty("responses").TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response),
            $"POST /predict answers {status}, which the document does not list");
        Assert.True(response.GetProperty("content").TryGetProperty(mediaType, out var content),
            $"the document lists {status} without '{mediaType}'");
        return Build(content.GetProperty("schema"));
    }

    public JsonSchema Request() =>
        Build(Predict.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));

    public JsonSchema Component(string name) =>
        Build(JsonDocument.Parse($"{{\"$ref\": \"#/components/schemas/{name}\"}}").RootElement);

    private JsonSchema Build(JsonElement schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            // Unique: JsonSchema.Net keeps every built schema in a registry by its id.
            ["$id"] = $"https://mlopsexam.test/openapi/{Guid.NewGuid():N}",
            ["$defs"] = _definitions.DeepClone(),
            ["allOf"] = new JsonArray(Rewrite(JsonNode.Parse(schema.GetRawText())!)),
        };
        return JsonSchema.FromText(root.ToJsonString());
    }

    private static JsonNode Rewrite(JsonNode node) =>
        JsonNode.Parse(node.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!;

    /// <summary>Fails naming every place where <paramref name="json"/> breaks <paramref name="schema"/>.</summary>
    public static void AssertValid(JsonSchema schema, string json, string what)
    {
        var results = schema.Evaluate(JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return;
        var errors = (results.Details ?? []).Prepend(results)
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"));
        Assert.Fail($"{what} does not match the OpenAPI document:\n  {string.Join("\n  ", errors)}\n  answer: {json}");
    }

    public static bool IsValid(JsonSchema schema, string json) =>
        schema.Evaluate(JsonDocument.Parse(json).RootElement).IsValid;
}

/// <summary>
/// The API contract: an OpenAPI document generated from the endpoints, and real answers (v1, v2 and
/// every error the API or the gateway writes) checked against its schemas, so the two cannot drift.
/// </summary>
public sealed class OpenApiContractTests(BothVariantsFixture fixture) : IClassFixture<BothVariantsFixture>
{
    private const string Sentence = "A gripping, beautifully acted film.";

    private static StringContent Json(string body, string contentType = "application/json") =>
        new(body, Encoding.UTF8, contentType);

    [Fact]
    public async Task Document_is_openapi_3_1_describing_post_predict()
    {
        var contract = await OpenApiContract.LoadAsync(fixture.Factory("v1").CreateClient());

        Assert.StartsWith("3.1", contract.Document.GetProperty("openapi").GetString());
        var predict = contract.Document.GetProperty("paths").GetProperty("/predict").GetProperty("post");
        Assert.True(predict.GetProperty("requestBody").GetProperty("required").GetBoolean());
        Assert.Equal(["200", "400", "401", "413", "415", "429", "500"],
            predict.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order());
        Assert.True(contract.Document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("basic", out _));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task A_prediction_of_each_variant_matches_the_documented_200(string variant)
    {
        var client = fixture.Factory(variant).CreateClient();
        var contract = await OpenApiContract.LoadAsync(client);

        using var response = await client.PostAsJsonAsync("/predict", new { sentence = Sentence });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        OpenApiContract.AssertValid(contract.Response(200, "application/json"), body, $"the {variant} answer");
        var answer = JsonDocument.Parse(body).RootElement;
        if (variant == "v1")
        {
            Assert.False(answer.TryGetProperty("debug", out _));
            Assert.False(answer.TryGetProperty("prediction_proba_dict", out _));
        }
        else
        {
            // Written only by the debug variant, equal to debug.probabilities.
            var probabilities = answer.GetProperty("debug").GetProperty("probabilities");
            var dict = answer.GetProperty("prediction_proba_dict");
            Assert.Equal(probabilities.GetProperty("negative").GetSingle(), dict.GetProperty("negative").GetSingle());
            Assert.Equal(probabilities.GetProperty("positive").GetSingle(), dict.GetProperty("positive").GetSingle());
            Assert.Equal(["negative", "positive"], dict.EnumerateObject().Select(p => p.Name));
        }
    }

    public static TheoryData<string, string, string, int> ApiErrors => new()
    {
        { "missing field", "{}", "application/json", 400 },
        { "wrong type", "{\"sentence\": 42}", "application/json", 400 },
        { "blank", "{\"sentence\": \"  \"}", "application/json", 400 },
        { "too long", $"{{\"sentence\": \"{new string('a', 1001)}\"}}", "application/json", 400 },
        { "lone surrogate", "{\"sentence\": \"\\ud800\"}", "application/json", 400 },
        { "duplicate field", "{\"sentence\": \"a\", \"sentence\": \"b\"}", "application/json", 400 },
        { "malformed JSON", "{\"sentence\": ", "application/json", 400 },
        { "not an object", "[1]", "application/json", 400 },
        { "over the body limit", $"{{\"sentence\": \"{new string('a', 40 * 1024)}\"}}", "application/json", 413 },
        { "not JSON", "sentence=good", "application/x-www-form-urlencoded", 415 },
        { "not UTF-8", "{\"sentence\": \"good\"}", "application/json; charset=utf-16", 415 },
    };

    [Theory]
    [MemberData(nameof(ApiErrors))]
    public async Task Every_api_error_matches_its_documented_problem(string what, string body, string contentType, int status)
    {
        var client = fixture.Factory("v1").CreateClient();
        var contract = await OpenApiContract.LoadAsync(client);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync("/predict", content);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        OpenApiContract.AssertValid(contract.Response(status, "application/problem+json"), await response.Content.ReadAsStringAsync(), what);
    }

    [Theory]
    [InlineData("GET", "/predict", 405)]
    [InlineData("PUT", "/predict", 405)]
    [InlineData("GET", "/no-such-path", 404)]
    public async Task Errors_outside_the_operation_are_documented_problems_too(string method, string path, int status)
    {
        var client = fixture.Factory("v1").CreateClient();
        var contract = await OpenApiContract.LoadAsync(client);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        OpenApiContract.AssertValid(contract.Component("ProblemDetails"), await response.Content.ReadAsStringAsync(), $"{method} {path}");
    }

    /// <summary>401 and 429 (and the gateway's 413) are written by nginx from deployments/nginx/errors:
    /// those files must match the same document.</summary>
    [Theory]
    [InlineData(401)]
    [InlineData(413)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task The_gateways_own_errors_match_the_documented_problem(int status)
    {
        var contract = await OpenApiContract.LoadAsync(fixture.Factory("v1").CreateClient());
        var file = RepoLayout.Path("deployments", "nginx", "errors", $"{status}.json");
        // nginx fills in the request id with SSI at run time.
        var body = Regex.Replace(File.ReadAllText(file), "<!--#[^>]*-->", "0123456789abcdef0123456789abcdef");

        var schema = contract.Document.GetProperty("paths").GetProperty("/predict").GetProperty("post").GetProperty("responses")
            .TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out _)
            ? contract.Response(status, "application/problem+json")
            : contract.Component("ProblemDetails");
        OpenApiContract.AssertValid(schema, body, file);
        Assert.Equal(status, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Documented_request_schema_has_the_limits_the_api_enforces()
    {
        var contract = await OpenApiContract.LoadAsync(fixture.Factory("v1").CreateClient());
        var request = contract.Request();

        Assert.True(OpenApiContract.IsValid(request, "{\"sentence\": \"good\"}"));
        Assert.True(OpenApiContract.IsValid(request, $"{{\"sentence\": \"{new string('a', 1000)}\"}}"));
        Assert.False(OpenApiContract.IsValid(request, $"{{\"sentence\": \"{new string('a', 1001)}\"}}"));
        Assert.False(OpenApiContract.IsValid(request, "{\"sentence\": \"\"}"));
        Assert.False(OpenApiContract.IsValid(request, "{\"sentence\": 42}"));
        Assert.False(OpenApiContract.IsValid(request, "{}"));
    }
}
