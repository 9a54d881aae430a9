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
    /// Loads <paramref name="modelPath"/> (sha256 checked against its .metrics.json), checks that it
    /// is a classifier for the served input and scores the smoke sentences, and only then makes it
    /// <see cref="Current"/>. Throws
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

        Check(candidate, modelPath);
        return Interlocked.Exchange(ref _current, candidate);
    }

    /// <summary>The smoke check: the candidate is a classifier for the served input and scores every
    /// smoke sentence with a probability in [0, 1]. Any failure is a <see cref="ModelIntegrityException"/>.</summary>
    private static void Check(SentimentModel candidate, string modelPath)
    {
        if (candidate.ScoringProblem() is { } problem)
            throw new ModelIntegrityException($"Model file '{modelPath}' cannot be served: {problem}.");
        foreach (var sentence in SmokeSentences)
        {
            float p;
            try
            {
                p = candidate.Predict(sentence).PositiveProbability;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new ModelIntegrityException($"Model file '{modelPath}' failed to score '{sentence}': {ex.Message}");
            }
            if (!float.IsFinite(p) || p is < 0f or > 1f)
                throw new ModelIntegrityException($"Model file '{modelPath}' answered probability {p} for '{sentence}'; refusing to serve it.");
        }
    }
}
