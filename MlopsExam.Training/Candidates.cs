using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>Pipelines compared on dev by the explore command; the winners became <see cref="Variants"/>.</summary>
internal static class Candidates
{
    private static ModelVariant Linear(string id, int words, int chars, bool tfIdf, string trainer, float? l2 = null) => new(
        "x", id, id,
        (ml, train) => Pipelines.Featurize(ml, words, chars, tfIdf)
            .Append(trainer == "sdca" ? Pipelines.Sdca(ml, l2) : Pipelines.Lbfgs(ml, l2 ?? 1f))
            .Fit(train));

    public static IReadOnlyList<ModelVariant> All =>
    [
        Linear("w2c4-tfidf-sdca-l2=1e-3", 2, 4, true, "sdca", 1e-3f),
        Linear("w2c4-tfidf-sdca-l2=1e-4", 2, 4, true, "sdca", 1e-4f),
        Linear("w2c4-tfidf-sdca-l2=1e-5", 2, 4, true, "sdca", 1e-5f),
        Linear("w2c4-tfidf-lbfgs-l2=3", 2, 4, true, "lbfgs", 3f),
        Linear("w2c3-tfidf-lbfgs-l2=1", 2, 3, true, "lbfgs", 1f),
        Linear("w2c5-tfidf-lbfgs-l2=1", 2, 5, true, "lbfgs", 1f),
        Linear("w3c4-tfidf-lbfgs-l2=1", 3, 4, true, "lbfgs", 1f),
    ];
}
