using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace MlopsExam.Api.Predict;

// The descriptions and ranges below go into the OpenAPI document (/openapi/v1.json); nothing
// validates them at run time (PredictRequestReader reads the request, the model makes the answer).

/// <summary>Body of <c>POST /predict</c>: <c>{"sentence": "..."}</c>.</summary>
public sealed record PredictRequest(string Sentence);

/// <summary>Answer of <c>POST /predict</c>.</summary>
public sealed record PredictResponse(
    [property: Description("The predicted sentiment: positive or negative.")] string Label,
    [property: Description("Probability of the label (a logistic output, not calibrated)."), Range(0.5, 1.0)] float Probability,
    [property: Description("The variant that answered: v1 (champion) or v2 (challenger).")] string Version,
    [property: Description("The replica that answered (also in the X-Instance-Id header).")] string Instance,
    [property: Description("The served model.")] string ModelId,
    [property: Description("The gateway's request id (X-Request-Id).")] string RequestId)
{
    /// <summary>Only the debug variant (<c>Serving:IncludeDebugFields</c>) fills this.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("Debug variant (v2) only: both probabilities, model identity, normalised sentence, inference time.")]
    public PredictDebug? Debug { get; init; }

    /// <summary>Both class probabilities, as scikit-learn-style clients read them
    /// (<c>{"negative": p, "positive": q}</c>); the same object as <c>debug.probabilities</c>,
    /// written only by the debug variant.</summary>
    [JsonPropertyName("prediction_proba_dict")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("Debug variant (v2) only: both class probabilities, equal to debug.probabilities.")]
    public ClassProbabilities? PredictionProbaDict { get; init; }
}

public sealed record PredictDebug(
    ClassProbabilities Probabilities,
    string ModelId,
    [property: Description("sha256 of the model file, checked at start-up.")] string ModelSha256,
    [property: Description("The sentence as the model saw it (lower case, treebank tokens).")] string NormalizedSentence,
    [property: Description("Time spent in the model, in milliseconds.")] double InferenceMs);

public sealed record ClassProbabilities(
    [property: Range(0.0, 1.0)] float Negative,
    [property: Range(0.0, 1.0)] float Positive);
