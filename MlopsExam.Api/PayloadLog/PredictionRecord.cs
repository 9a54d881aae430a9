using System.Security.Cryptography;
using System.Text;

namespace MlopsExam.Api.PayloadLog;

/// <summary>One logged answer: a /predict answer or, <see cref="Shadow"/>, a challenger's prediction on a shadow copy.
/// <see cref="Sentence"/> is null when <c>Serving:LogSentences</c> is false; its sha256 is always kept.</summary>
public sealed record PredictionRecord(
    string RequestId,
    DateTime LoggedAt,
    bool Shadow,
    string Variant,
    string ModelId,
    string ModelSha256,
    string? Sentence,
    string SentenceSha256,
    string Label,
    float PositiveProbability,
    double LatencyMs,
    string? ClientKey)
{
    /// <summary>Lower-case hex sha256 of the sentence's UTF-8 bytes.</summary>
    public static string Sha256Hex(string sentence) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sentence)));
}
