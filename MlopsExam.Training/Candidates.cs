namespace MlopsExam.Training;

/// <summary>
/// What the explore command compares on dev (never on test). Kept so the choice of
/// <see cref="Variants"/> can be re-run and checked; results are in docs/model-card.md.
/// </summary>
internal static class Candidates
{
    private static ModelVariant Of(string id, params Member[] members) =>
        new("x", id, id, (ml, train) => Ensemble.Fit(ml, train, members));

    private static ModelVariant Augmented(string id, params Member[] members) =>
        Of(id, members) with { Augment = NegationAugmentation.Apply };

    public static IReadOnlyList<ModelVariant> All =>
    [
        Of("lr-w2c0", Members.NgramLr("a", 2, 0)),
        Of("lr-w2c4", Members.NgramLr("a", 2, 4)),
        Of("lr-w2c4-l2=0.1", Members.NgramLr("a", 2, 4, 0.1f)),
        Of("lr-w2c4-l2=3", Members.NgramLr("a", 2, 4, 3f)),
        Of("lr-w3c4", Members.NgramLr("a", 3, 4)),
        Of("lr-w2c5", Members.NgramLr("a", 2, 5)),
        Of("clause-w3c4cw2", Members.ClauseLr("b", 3, 4, 2)),
        Of("nb-w2c5", Members.NbLr("c", 2, 5)),
        Of("ffm-w2c4-k4-it5", Members.Ffm("d", 2, 4, 4, 5)),
        Of("ens-lr+clause", Members.NgramLr("a", 3, 4), Members.ClauseLr("b", 3, 4, 2)),
        Of("ens-lr+clause+nb", Members.NgramLr("a", 3, 4), Members.ClauseLr("b", 3, 4, 2), Members.NbLr("c", 2, 5)),
        Of("ens-lr+clause+nb+ffm", Members.NgramLr("a", 3, 4), Members.ClauseLr("b", 3, 4, 2), Members.NbLr("c", 2, 5), Members.Ffm("d", 2, 4, 4, 5)),
        // Issue 12: negation, contrast and out-of-domain vocabulary (chosen on dev + uci-sls).
        Of("lex-w3c4l3cw2", Members.LexLr("e", 3, 4, 3, 2, negatedChars: false)),
        Of("lex-w3c4nl3cw2", Members.LexLr("e", 3, 4, 3, 2, negatedChars: true)),
        Of("ens-lr+lex+nb", Members.NgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5)),
        Of("ens-lr+clause+nb+lex", Members.NgramLr("a", 3, 4), Members.ClauseLr("b", 3, 4, 2), Members.NbLr("c", 2, 5), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true)),
        Of("neg-lr-w3c4", Members.NegatedNgramLr("a", 3, 4)),
        Of("ens-neg-lr+lex+neg-nb", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5, negated: true)),
        Augmented("aug-neg-lr-w3c4", Members.NegatedNgramLr("a", 3, 4)),
        Augmented("aug-ens-neg-lr+lex+neg-nb", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5, negated: true)),
        Of("aug4v1-ens-neg-lr+lex+neg-nb", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5, negated: true))
            with { Augment = t => NegationAugmentation.Apply(t, 4, 1.0f) },
        Of("aug1-ens-neg-lr+lex+neg-nb", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5, negated: true))
            with { Augment = t => NegationAugmentation.Apply(t, 1, 1.0f) },
        // Issue 12, second pass: dense VADER-style lexicon score (LexiconScore), member weights.
        Augmented("lexonly-l3", Members.LexiconOnlyLr("f", 3)),
        Augmented("v2-scorex1", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true, scoreScale: 1f), Members.NbLr("c", 2, 5, negated: true)),
        Augmented("v2-scorex4", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true, scoreScale: 4f), Members.NbLr("c", 2, 5, negated: true)),
        Variants.V2 with { Name = "x", IdSuffix = "gated4-l2=3" },
        Variants.V2 with
        {
            Name = "x", IdSuffix = "gated5-l2=3",
            FitRows = (ml, rows) => GatedEnsemble.Fit(ml, Sst2Dataset.ToDataView(ml, rows), Sst2Dataset.ToDataView(ml, NegationAugmentation.ApplyFrames(rows)),
                (Members.NegatedNgramLr("lr", words: 3, chars: 4, l2: 3f), false, 2f, 0f),
                (Members.LexLr("lex", words: 3, chars: 4, lexGrams: 3, contrastWords: 2, negatedChars: true, l2: 3f), false, 3f, 0f),
                (Members.NbLr("nb", words: 2, chars: 5, l2: 3f, negated: true), false, 3f, 1f),
                (Members.LexLr("lexneg", words: 3, chars: 4, lexGrams: 3, contrastWords: 2, negatedChars: true, l2: 3f), true, 0f, 2f),
                (Members.NbLr("nbneg", words: 2, chars: 5, l2: 3f, negated: true), true, 0f, 1f)),
        },
        Augmented("v2+lexonly", Members.NegatedNgramLr("a", 3, 4), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true), Members.NbLr("c", 2, 5, negated: true), Members.LexiconOnlyLr("f", 3)),
    ];
}
