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

    /// <summary>
    /// Challenger (issue 12): three logistic regressions that all read negation-marked text, one of
    /// them also the VADER lexicon view, logits averaged; trained on SST-2 train plus negation
    /// counterfactuals of its short phrases. Chosen on SST-2 dev, uci-sls and the capability table
    /// (docs/model-card.md); the previous v2 (ensemble3-lr) is candidate "ens-lr+clause+nb".
    /// </summary>
    public static readonly ModelVariant V2 = new(
        "v2", "ensemble3-neg-lex",
        "Average of the logits of three logistic regressions (L-BFGS, L2=1, 1 thread), all on the negation-marked sentence " +
        "(words after not/n't/no/never... up to the end of the clause prefixed not_): " +
        "(a) TF-IDF word 1-3-grams + char 4-grams; " +
        "(b) word 1-3-grams + char 4-grams + word 1-3-grams of the VADER lexicon view ('not not_lexneg') + word 1-2-grams of the clause after 'but'/'yet'/'however'; " +
        "(c) word 1-2-grams + char 5-grams scaled by naive-Bayes log-count ratios (NBSVM-style). " +
        $"Training data: SST-2 train plus, for each phrase of at most {NegationAugmentation.MaxTokens} tokens with one VADER word of |valence| >= {NegationAugmentation.MinValence} agreeing with its label, " +
        "the phrase after 'not', 'never' and 'no' with the opposite label.",
        (ml, train) => Ensemble.Fit(ml, train,
            Members.NegatedNgramLr("lr", words: 3, chars: 4),
            Members.LexLr("lex", words: 3, chars: 4, lexGrams: 3, contrastWords: 2, negatedChars: true),
            Members.NbLr("nb", words: 2, chars: 5, negated: true)))
    {
        Augment = NegationAugmentation.Apply,
        ExternalData =
        [
            new("VADER lexicon (word valences)", "npm vader-sentiment@1.1.3, package/vader_lexicon.txt (tarball sha256 de3c50aee6ffe2bc7929f50a69b0a3905d7b63f6fb103c2397517aff799851d2)",
                "Apache-2.0", "c926d8f3d7c50364cfe6b7d160918292b80773b657f328086dbb02c37c9cd8c2",
                "MlopsExam.Model/Resources/vader-lexicon.tsv: prior polarity of words in the lexicon view and in choosing the negation counterfactuals"),
        ],
    };

    public static IReadOnlyList<ModelVariant> All => [V1, V2];

    public static IReadOnlyList<ModelVariant> Select(string which) => which switch
    {
        "all" => All,
        _ => All.Where(v => v.Name == which).ToList() is { Count: > 0 } found
            ? found
            : throw new ArgumentException($"Unknown variant '{which}': expected {string.Join(", ", All.Select(v => v.Name))} or all."),
    };
}
