using Microsoft.ML.Data;

namespace MlopsExam.Model;

/// <summary>One row of SST-2 (<c>sentence&lt;TAB&gt;label</c>) and the model's input.</summary>
public sealed class SentimentInput
{
    [LoadColumn(0)]
    public string Sentence { get; set; } = string.Empty;

    [LoadColumn(1)]
    public bool Label { get; set; }
}

/// <summary>What an ML.NET binary classifier adds to a row.</summary>
public sealed class SentimentOutput
{
    [ColumnName("PredictedLabel")]
    public bool PredictedLabel { get; set; }

    /// <summary>Calibrated probability of the positive class.</summary>
    public float Probability { get; set; }

    public float Score { get; set; }
}

/// <summary>A served prediction.</summary>
public readonly record struct SentimentPrediction(bool IsPositive, float PositiveProbability)
{
    public string Label => IsPositive ? "positive" : "negative";

    /// <summary>Probability of the predicted label.</summary>
    public float Confidence => IsPositive ? PositiveProbability : 1f - PositiveProbability;
}
