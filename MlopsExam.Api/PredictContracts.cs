using System.Text.Json.Serialization;

namespace MlopsExam.Api;

/// <summary>Body of <c>POST /predict</c>: <c>{"sentence": "..."}</c>.</summary>
public sealed record PredictRequest(string Sentence);

/// <summary>Answer of <c>POST /predict</c>.</summary>
public sealed record PredictResponse(
    string Label,
    float Probability,
    string Version,
    string Instance,
    string ModelId,
    string RequestId)
{
    /// <summary>Only the debug variant (<c>Serving:IncludeDebugFields</c>) fills this.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PredictDebug? Debug { get; init; }

    /// <summary>Both class probabilities, under the name the exercise's sample v2 uses (its official
    /// test script looks for it): <c>{"negative": p, "positive": q}</c>, equal to
    /// <c>debug.probabilities</c>. Debug variant only.</summary>
    [JsonPropertyName("prediction_proba_dict")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ClassProbabilities? PredictionProbaDict { get; init; }
}

public sealed record PredictDebug(
    ClassProbabilities Probabilities,
    string ModelId,
    string ModelSha256,
    string NormalizedSentence,
    double InferenceMs);

public sealed record ClassProbabilities(float Negative, float Positive);
