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
    public static Member LexLr(string name, int words, int chars, int lexGrams, int contrastWords, bool negatedChars, float l2 = 1f, float scoreScale = 0f, float lexScale = 1f) => new(name, (ml, train, p) =>
    {
        IEstimator<ITransformer> pipeline = Pipelines.MarkNegation(ml)
            .Append(Pipelines.ContrastClause(ml))
            .Append(Pipelines.LexiconView(ml))
            .Append(Pipelines.WordGrams(ml, $"{p}_Words", "NegationMarked", words))
            .Append(Pipelines.CharGrams(ml, $"{p}_Chars", negatedChars ? "NegationMarked" : "Sentence", chars))
            .Append(Pipelines.WordGrams(ml, $"{p}_Lex", "Lexicon", lexGrams))
            .Append(Pipelines.WordGrams(ml, $"{p}_ContrastWords", "Contrast", contrastWords));
        string[] groups = [$"{p}_Words", $"{p}_Chars", $"{p}_Lex", $"{p}_ContrastWords"];
        if (lexScale != 1f)
        {
            // Lexicon-view n-grams scaled up: their weights pay less L2 penalty than SST-2's own words, so the model leans on
            // the domain-general lexicon more (chosen on dev + uci-sls).
            pipeline = pipeline.Append(ml.Transforms.Expression($"{p}_LexScaled", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"x => x * {lexScale:0.###}"), $"{p}_Lex"));
            groups[2] = $"{p}_LexScaled";
        }
        if (scoreScale > 0)
        {
            // The dense lexicon score, multiplied so its weights pay less L2 penalty than n-gram weights.
            pipeline = pipeline.Append(Pipelines.LexiconScore(ml))
                .Append(ml.Transforms.Expression($"{p}_Score", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"x => x * {scoreScale:0.###}"), "LexiconScore"));
            groups = [.. groups, $"{p}_Score"];
        }
        return pipeline
            .Append(ml.Transforms.Concatenate($"{p}_Features", groups))
            .AppendCacheCheckpoint(ml)
            .Append(Pipelines.Lbfgs(ml, l2, features: $"{p}_Features"))
            .Append(Pipelines.KeepScore(ml, $"Score_{p}"))
            .Fit(train);
    });

    /// <summary>
    /// Logistic regression on the dense lexicon score (<see cref="MlopsExam.Model.LexiconScore"/>)
    /// and the lexicon view's n-grams only: no SST-2 word, so it judges any domain by the lexicon.
    /// </summary>
    public static Member LexiconOnlyLr(string name, int lexGrams, float l2 = 1f) => new(name, (ml, train, p) =>
        Pipelines.LexiconView(ml)
            .Append(Pipelines.LexiconScore(ml))
            .Append(Pipelines.WordGrams(ml, $"{p}_Lex", "Lexicon", lexGrams))
            .Append(ml.Transforms.Concatenate($"{p}_Features", $"{p}_Lex", "LexiconScore"))
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
    public static ITransformer Fit(MLContext ml, IDataView train, params Member[] members) => Fit(ml, train, null, members);

    /// <summary>As above, the logits weighted by <paramref name="weights"/> (chosen on dev; null: equal).</summary>
    public static ITransformer Fit(MLContext ml, IDataView train, float[]? weights, params Member[] members)
    {
        if (members.Length == 1)
            return members[0].Fit(ml, train);

        var fitted = members.Select(m => m.Fit(ml, train)).ToList();
        IDataView scored = train;
        foreach (var transformer in fitted) scored = transformer.Transform(scored);
        var average = Pipelines.AverageLogits(ml, members.Select(m => m.ScoreColumn).ToArray(), weights).Fit(scored);
        return new TransformerChain<ITransformer>([.. fitted, average]);
    }
}

/// <summary>
/// Negation-gated ensemble (issue 12, second pass): members fitted on SST-2 alone score the
/// sentences without a negation; sentences with one are scored by a weighted mean that may also
/// use members fitted on SST-2 plus negation counterfactuals. The counterfactuals teach "not dull"
/// but cost accuracy on sentences without any negation (measured on dev and uci-sls); the gate
/// keeps that cost off them.
/// </summary>
internal static class GatedEnsemble
{
    /// <param name="members">each member, whether it is fitted on the augmented rows, and its weight for plain and for negated sentences (0: unused there)</param>
    public static ITransformer Fit(MLContext ml, IDataView plainTrain, IDataView augmentedTrain,
        params (Member Member, bool Augmented, float Plain, float Negated)[] members)
    {
        var fitted = members.Select(m => m.Member.Fit(ml, m.Augmented ? augmentedTrain : plainTrain)).ToList();
        IDataView scored = plainTrain;
        foreach (var transformer in fitted) scored = transformer.Transform(scored);
        var plain = members.Where(m => m.Plain > 0).ToArray();
        var negated = members.Where(m => m.Negated > 0).ToArray();
        var gate = Pipelines.GatedLogits(ml,
            (plain.Select(m => m.Member.ScoreColumn).ToArray(), plain.Select(m => m.Plain).ToArray()),
            (negated.Select(m => m.Member.ScoreColumn).ToArray(), negated.Select(m => m.Negated).ToArray())).Fit(scored);
        return new TransformerChain<ITransformer>([.. fitted, gate]);
    }
}
