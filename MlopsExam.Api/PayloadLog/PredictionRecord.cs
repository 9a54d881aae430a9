using System.Security.Cryptography;
using System.Text;

namespace MlopsExam.Api.PayloadLog;

/// <summary>One logged answer: a /predict answer or, <see cref="Shadow"/>, a challenger's prediction on a shadow copy.
/// The row keeps <see cref="Sentence"/> only when <see cref="KeepSentence"/> (<c>Serving:LogSentences</c>), and its
/// sha256 always; the writer hashes it, off the request path.</summary>
public sealed record PredictionRecord(
    string RequestId,
    DateTime LoggedAt,
    bool Shadow,
    string Variant,
    string ModelId,
    string ModelSha256,
    string Sentence,
    bool KeepSentence,
    string Label,
    float PositiveProbability,
    double LatencyMs,
    string? ClientKey)
{
    /// <summary>Lower-case hex sha256 of the sentence's UTF-8 bytes.</summary>
    public static string Sha256Hex(string sentence) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sentence)));
}
