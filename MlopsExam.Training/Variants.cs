namespace MlopsExam.Training;

/// <summary>
/// The committed models. Every choice below was made on the dev split with the explore command
/// (its candidates and dev scores are listed in docs/model-card.md); test is scored once, by train.
/// </summary>
internal static class Variants
{
    /// <summary>Champion: one logistic regression, small and fast.</summary>
    public static readonly ModelVariant V1 = new(
        "v1", "ngram-lr",
        "Logistic regression (L-BFGS, L2=1, 1 thread) on TF-IDF word 1-2-grams + char 4-grams of the normalised sentence.",
        (ml, train) => Ensemble.Fit(ml, train, Members.NgramLr("lr", words: 2, chars: 4)));

    /// <summary>Challenger: three differently featurised logistic regressions, logits averaged.</summary>
    public static readonly ModelVariant V2 = new(
        "v2", "ensemble3-lr",
        "Average of the logits of three logistic regressions (L-BFGS, L2=1, 1 thread): " +
        "(a) TF-IDF word 1-3-grams + char 4-grams; " +
        "(b) word 1-3-grams of the negation-marked sentence + char 4-grams + word 1-2-grams of the clause after 'but'/'yet'/'however'; " +
        "(c) word 1-2-grams + char 5-grams scaled by naive-Bayes log-count ratios (NBSVM-style).",
        (ml, train) => Ensemble.Fit(ml, train,
            Members.NgramLr("lr", words: 3, chars: 4),
            Members.ClauseLr("clause", words: 3, chars: 4, contrastWords: 2),
            Members.NbLr("nb", words: 2, chars: 5)));

    public static IReadOnlyList<ModelVariant> All => [V1, V2];

    public static IReadOnlyList<ModelVariant> Select(string which) => which switch
    {
        "all" => All,
        _ => All.Where(v => v.Name == which).ToList() is { Count: > 0 } found
            ? found
            : throw new ArgumentException($"Unknown variant '{which}': expected {string.Join(", ", All.Select(v => v.Name))} or all."),
    };
}
