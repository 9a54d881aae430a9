using MlopsExam.Model;

namespace MlopsExam.Api.Models;

/// <summary>
/// The model this replica serves now. A request reads <see cref="Current"/> once and uses that
/// model to the end, so a switch never mixes two models in one answer; a switch replaces the
/// reference in one atomic write, after the new model has passed its checks.
/// </summary>
public sealed class ServingModel(SentimentModel initial)
{
    /// <summary>Sentences every candidate must score (a finite probability) before it serves anyone.</summary>
    internal static readonly string[] SmokeSentences =
        ["A gripping, beautifully acted film.", "Dull, lifeless and far too long.", "it 's not bad at all", "ok"];

    private SentimentModel _current = initial;

    public SentimentModel Current => Volatile.Read(ref _current);

    /// <summary>
    /// Loads <paramref name="modelPath"/> (sha256 checked against its .metrics.json), scores the
    /// smoke sentences, and only then makes it <see cref="Current"/>. Throws
    /// <see cref="ModelIntegrityException"/> when any check fails; the model served is then unchanged.
    /// Returns the model replaced.
    /// </summary>
    public SentimentModel SwitchTo(string modelPath)
    {
        SentimentModel candidate;
        try
        {
            candidate = SentimentModel.Load(modelPath);
        }
        catch (Exception ex) when (ex is not ModelIntegrityException and not OutOfMemoryException)
        {
            // A zip whose sha256 matches but that ML.NET cannot read (or a metrics file written for another file).
            throw new ModelIntegrityException($"Model file '{modelPath}' could not be loaded: {ex.Message}");
        }

        foreach (var sentence in SmokeSentences)
        {
            var p = candidate.Predict(sentence).PositiveProbability;
            if (!float.IsFinite(p) || p is < 0f or > 1f)
                throw new ModelIntegrityException($"Model file '{modelPath}' answered probability {p} for '{sentence}'; refusing to serve it.");
        }

        return Interlocked.Exchange(ref _current, candidate);
    }
}
