using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace MlopsExam.Training;

/// <summary>
/// One scorer of a model: fitted on the normalised training view, it adds its own feature columns
/// (named after <paramref name="Name"/>, so members never collide) and leaves its logit in
/// <c>Score_&lt;Name&gt;</c>. A variant is one member, or several averaged (<see cref="Ensemble"/>).
/// </summary>
internal sealed record Member(string Name, Func<MLContext, IDataView, string, ITransformer> FitWithPrefix)
{
    public string ScoreColumn => $"Score_{Name}";

    public ITransformer Fit(MLContext ml, IDataView train) => FitWithPrefix(ml, train, Name);
}

/// <summary>The members the variants and the explore command are made of.</summary>
internal static class Members
{
    /// <summary>Logistic regression on word 1..n-grams and char m-grams of the sentence.</summary>
    public static Member NgramLr(string name, int words, int chars, float l2 = 1f) => new(name, (ml, train, p) =>
        Pipelines.Featurize(ml, words, chars, output: $"{p}_Features")
            .AppendCacheCheckpoint(ml)
            .Append(Pipelines.Lbfgs(ml, l2, features: $"{p}_Features"))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train));

    /// <summary>
    /// <see cref="NgramLr"/> on the negation-marked sentence: word and char n-grams of "not not_bad",
    /// so the word "bad" under a negation does not count as "bad".
    /// </summary>
    public static Member NegatedNgramLr(string name, int words, int chars, float l2 = 1f) => new(name, (ml, train, p) =>
        Pipelines.MarkNegation(ml)
            .Append(Pipelines.Featurize(ml, words, chars, output: $"{p}_Features", input: "NegationMarked"))
            .AppendCacheCheckpoint(ml)
            .Append(Pipelines.Lbfgs(ml, l2, features: $"{p}_Features"))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train));

    /// <summary>
    /// Logistic regression on the word n-grams of the negation-marked sentence ("not not_good"),
    /// char n-grams of the plain sentence, and word n-grams of the clause after "but".
    /// </summary>
    public static Member ClauseLr(string name, int words, int chars, int contrastWords, float l2 = 1f) => new(name, (ml, train, p) =>
        Pipelines.MarkNegation(ml)
            .Append(Pipelines.ContrastClause(ml))
            .Append(Pipelines.WordGrams(ml, $"{p}_Words", "NegationMarked", words))
            .Append(Pipelines.CharGrams(ml, $"{p}_Chars", "Sentence", chars))
            .Append(Pipelines.WordGrams(ml, $"{p}_ContrastWords", "Contrast", contrastWords))
            .Append(ml.Transforms.Concatenate($"{p}_Features", $"{p}_Words", $"{p}_Chars", $"{p}_ContrastWords"))
            .AppendCacheCheckpoint(ml)
            .Append(Pipelines.Lbfgs(ml, l2, features: $"{p}_Features"))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train));

    /// <summary>
    /// Logistic regression on the negation-marked sentence's word n-grams and char n-grams (so
    /// "bad" in "not bad" is not the word "bad"), the word n-grams of the clause after "but",
    /// and the n-grams of the lexicon view (<see cref="LexiconView"/>: "not not_lexneg"), which
    /// carry SST-2's lessons about negation and polarity to words it never saw.
    /// </summary>
    public static Member LexLr(string name, int words, int chars, int lexGrams, int contrastWords, bool negatedChars, float l2 = 1f) => new(name, (ml, train, p) =>
        Pipelines.MarkNegation(ml)
            .Append(Pipelines.ContrastClause(ml))
            .Append(Pipelines.LexiconView(ml))
            .Append(Pipelines.WordGrams(ml, $"{p}_Words", "NegationMarked", words))
            .Append(Pipelines.CharGrams(ml, $"{p}_Chars", negatedChars ? "NegationMarked" : "Sentence", chars))
            .Append(Pipelines.WordGrams(ml, $"{p}_Lex", "Lexicon", lexGrams))
            .Append(Pipelines.WordGrams(ml, $"{p}_ContrastWords", "Contrast", contrastWords))
            .Append(ml.Transforms.Concatenate($"{p}_Features", $"{p}_Words", $"{p}_Chars", $"{p}_Lex", $"{p}_ContrastWords"))
            .AppendCacheCheckpoint(ml)
            .Append(Pipelines.Lbfgs(ml, l2, features: $"{p}_Features"))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train));

    /// <summary>Logistic regression on n-grams scaled by their naive-Bayes log-count ratios (NBSVM-style).</summary>
    public static Member NbLr(string name, int words, int chars, float l2 = 1f, bool negated = false) => new(name, (ml, train, p) =>
    {
        ITransformer featurizer = negated
            ? Pipelines.MarkNegation(ml).Append(Pipelines.Featurize(ml, words, chars, output: $"{p}_Raw", input: "NegationMarked")).Fit(train)
            : Pipelines.Featurize(ml, words, chars, output: $"{p}_Raw").Fit(train);
        var featurized = ml.Data.Cache(featurizer.Transform(train));
        var scaler = NbScaling.Fit(ml, featurized, $"{p}_Raw", $"{p}_Features");
        var model = Pipelines.Lbfgs(ml, l2, features: $"{p}_Features")
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(scaler.Transform(featurized));
        return new TransformerChain<ITransformer>(featurizer, scaler, model);
    });

    /// <summary>
    /// Field-aware factorisation machine (fields: negation-marked word n-grams, char n-grams):
    /// a linear model plus learned pairwise interactions between the two fields.
    /// </summary>
    public static Member Ffm(string name, int words, int chars, int latent, int iterations) => new(name, (ml, train, p) =>
        Pipelines.MarkNegation(ml)
            .Append(Pipelines.WordGrams(ml, $"{p}_Words", "NegationMarked", words))
            .Append(Pipelines.CharGrams(ml, $"{p}_Chars", "Sentence", chars))
            .AppendCacheCheckpoint(ml)
            .Append(ml.BinaryClassification.Trainers.FieldAwareFactorizationMachine(new FieldAwareFactorizationMachineTrainer.Options
            {
                FeatureColumnName = $"{p}_Words",
                ExtraFeatureColumns = [$"{p}_Chars"],
                LatentDimension = latent,
                NumberOfIterations = iterations,
                Shuffle = true,
            }))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train));
}

/// <summary>Averages the logits of independently fitted members.</summary>
internal static class Ensemble
{
    /// <summary>
    /// Each member is fitted on the training view alone (so no member pays for the others'
    /// features during its passes); at scoring time they run one after another on the same row,
    /// then <see cref="Pipelines.AverageLogits"/> writes Score, Probability and PredictedLabel.
    /// </summary>
    public static ITransformer Fit(MLContext ml, IDataView train, params Member[] members)
    {
        if (members.Length == 1)
            return members[0].Fit(ml, train);

        var fitted = members.Select(m => m.Fit(ml, train)).ToList();
        IDataView scored = train;
        foreach (var transformer in fitted) scored = transformer.Transform(scored);
        var average = Pipelines.AverageLogits(ml, members.Select(m => m.ScoreColumn).ToArray()).Fit(scored);
        return new TransformerChain<ITransformer>([.. fitted, average]);
    }
}
