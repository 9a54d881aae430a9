using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using MlopsExam.Api.Predict;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.OpenApi;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>), generated from the endpoints and their types by
/// Microsoft.AspNetCore.OpenApi (descriptions and ranges from attributes in PredictContracts.cs);
/// the transformers add only what the types cannot say: the request body (read by hand, see
/// <see cref="PredictRequestReader"/>), the configured limit, the label's values, the members every
/// problem carries, the gateway's basic auth. <c>Api/OpenApiContractTests</c> checks real
/// answers against it.
/// </summary>
public static class PredictOpenApi
{
    public const string DocumentPath = "/openapi/v1.json";
    private const string RequestSchemaId = nameof(PredictRequest);
    private const string BasicAuthScheme = "basic";

    public static IServiceCollection AddPredictOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribePredict);
            options.AddOperationTransformer(DescribeFeedback);
            options.AddSchemaTransformer(NumbersAsWritten);
            options.AddSchemaTransformer(DescribeContracts);
        });

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "MlopsExam sentiment API",
            Version = "v1",
            Description =
                "Sentiment of one English sentence (SST-2 movie reviews), through the gateway at https://<host>/predict. " +
                "Every error is application/problem+json (RFC 9457) with status, title and detail. " +
                "The header X-Experiment-Group: debug routes to the v2 challenger, which adds 'debug' and 'prediction_proba_dict'.",
        };
        // Relative to where the document was fetched: the gateway (not the replica that wrote it).
        document.Servers = [new OpenApiServer { Url = "/", Description = "the gateway (HTTPS, basic auth)" }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BasicAuthScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "basic",
            Description = "Checked by the gateway (nginx); a missing or wrong password is a 401 problem.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BasicAuthScheme, document)] = [] }];
        return Task.CompletedTask;
    }

    private static async Task DescribePredict(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.RelativePath != "predict") return;

        // The handler reads the body itself (so each bad input gets its own problem) and declares no
        // Accepts<T>(), which would make routing answer a bare 415: the body is described here.
        var schema = await context.GetOrCreateSchemaAsync(typeof(PredictRequest), null, ct);
        context.Document!.AddComponent<IOpenApiSchema>(RequestSchemaId, schema);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "UTF-8 JSON (Content-Type: application/json, any +json type; no charset other than utf-8).",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(RequestSchemaId, context.Document) },
            },
        };

        foreach (var (status, description) in ResponseDescriptions)
            if (operation.Responses?.TryGetValue(status, out var response) == true && response is OpenApiResponse described)
                described.Description = description;
    }

    /// <summary>POST /feedback: its body (read by hand, as /predict's) and what each answer means.</summary>
    private static async Task DescribeFeedback(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.RelativePath != "feedback") return;
        var schema = await context.GetOrCreateSchemaAsync(typeof(Feedback.FeedbackRequest), null, ct);
        context.Document!.AddComponent<IOpenApiSchema>(nameof(Feedback.FeedbackRequest), schema);
        operation.Description = "The true label of a request answered by /predict (its requestId). Stored once per request, " +
            "then used for live accuracy per variant and as training data (make feedback-export).";
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "UTF-8 JSON: {\"requestId\": \"<the answer's requestId>\", \"label\": \"positive\" | \"negative\"}.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = new OpenApiSchemaReference(nameof(Feedback.FeedbackRequest), context.Document) },
            },
        };
        foreach (var (status, description) in FeedbackResponseDescriptions)
            if (operation.Responses?.TryGetValue(status, out var response) == true && response is OpenApiResponse described)
                described.Description = description;
    }

    private static readonly (string Status, string Description)[] FeedbackResponseDescriptions =
    [
        ("202", "The label is committed ('duplicate': it already was, with the same label)."),
        ("400", "Invalid body: malformed JSON, a field missing, twice, not a string, not valid Unicode, or a label other than positive/negative."),
        ("401", "No or wrong basic-auth credentials (from the gateway)."),
        ("404", "No answer with this requestId is known (waited up to 2 s for its log row)."),
        ("409", "Another label is already stored for this request; a label is never replaced."),
        ("413", "The body exceeds the limit (16 KiB at the gateway, 32 KiB at the API)."),
        ("415", "Not JSON, or JSON in a charset other than UTF-8."),
        ("429", "Over the rate limit (shared with /predict); see Retry-After."),
        ("503", "The database is unreachable and nothing was stored: send the same label again after Retry-After seconds."),
    ];

    private static readonly (string Status, string Description)[] ResponseDescriptions =
    [
        ("200", "The prediction. The debug variant (v2) adds 'debug' and 'prediction_proba_dict'."),
        ("400", "Invalid body: malformed JSON, not an object, 'sentence' missing, twice, not a string, empty or blank, " +
                "not valid Unicode, or longer than the maximum. A validation problem ('errors' names the field) or, for malformed JSON, a problem."),
        ("401", "No or wrong basic-auth credentials (from the gateway)."),
        ("413", "The body exceeds the limit (16 KiB at the gateway, 32 KiB at the API)."),
        ("415", "Not JSON, or JSON in a charset other than UTF-8."),
        ("429", "Over the rate limit (10 requests/s per client, bursts of 6, from the gateway); see Retry-After."),
        ("500", "An unexpected failure; the request id finds it in the logs. No stack trace is sent."),
    ];

    /// <summary>
    /// The web serializer defaults read numbers from strings too, so the generated schema of a number
    /// is "number or numeric string". Answers write numbers, and the request has none: document that.
    /// </summary>
    private static Task NumbersAsWritten(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Number | JsonSchemaType.Integer)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        return Task.CompletedTask;
    }

    private static Task DescribeContracts(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (context.JsonPropertyInfo is not null) return Task.CompletedTask; // types, not their uses
        var type = context.JsonTypeInfo.Type;

        if (type == typeof(Feedback.FeedbackRequest))
        {
            schema.Description = "The true label of an answered request.";
            var id = Property(schema, "requestId");
            id.MinLength = 1;
            id.MaxLength = Feedback.FeedbackRequestReader.MaxRequestIdLength;
            id.Description = "The requestId of a /predict answer.";
            var label = Property(schema, "label");
            label.Enum = ["positive", "negative"];
            label.Description = "The true sentiment of the sentence.";
        }

        if (type == typeof(PredictRequest))
        {
            var max = context.ApplicationServices.GetRequiredService<IOptions<ServingOptions>>().Value.MaxSentenceLength;
            schema.Description = "One sentence to classify; members other than 'sentence' are ignored.";
            var sentence = Property(schema, "sentence");
            sentence.MinLength = 1;
            sentence.MaxLength = max;
            sentence.Description = $"The text: valid Unicode, not blank, at most {max} UTF-16 code units.";
        }
        else if (type == typeof(PredictResponse))
        {
            Property(schema, "label").Enum = ["positive", "negative"];
        }
        else if (typeof(ProblemDetails).IsAssignableFrom(type))
        {
            // What every problem of this API (and of the gateway) carries; the framework's type says
            // all members are optional.
            schema.Description = "RFC 9457 problem details.";
            schema.Required = new HashSet<string> { "status", "title", "detail" };
            Property(schema, "status").Type = JsonSchemaType.Integer;
            Property(schema, "title").Type = JsonSchemaType.String;
            Property(schema, "detail").Type = JsonSchemaType.String;
            Property(schema, "detail").Description = "What is wrong, and what to send instead.";
            schema.Properties!["requestId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The gateway's request id, for the logs." };
            schema.Properties["replica"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The API replica that answered (absent from the gateway's own errors)." };
        }
        return Task.CompletedTask;
    }

    private static OpenApiSchema Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema concrete
            ? concrete
            : throw new InvalidOperationException($"The schema of {schema.Title ?? "a contract"} has no property '{name}'.");
}
