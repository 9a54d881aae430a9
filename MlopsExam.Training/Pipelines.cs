using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Text;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>Building blocks of the pipelines. All take the normalised <c>Sentence</c> column.</summary>
internal static class Pipelines
{
    /// <summary>
    /// Word n-grams (1..<paramref name="wordNgrams"/>) and character n-grams of length
    /// <paramref name="charNgrams"/> (0: none), each TF-IDF or TF weighted and L2-normalised.
    /// The text is already lower-cased and tokenised by TextNormalizer, so ML.NET's own
    /// normalisation is switched off, punctuation ("!", "?", "n't") kept as evidence.
    /// </summary>
    public static IEstimator<ITransformer> Featurize(MLContext ml, int wordNgrams, int charNgrams, bool tfIdf = true,
        string output = "Features", string input = "Sentence")
    {
        var weighting = tfIdf ? NgramExtractingEstimator.WeightingCriteria.TfIdf : NgramExtractingEstimator.WeightingCriteria.Tf;
        var options = new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.None,
            KeepDiacritics = true,
            KeepPunctuations = true,
            KeepNumbers = true,
            StopWordsRemoverOptions = null,
            WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = wordNgrams, UseAllLengths = true, Weighting = weighting },
            CharFeatureExtractor = charNgrams > 0
                ? new WordBagEstimator.Options { NgramLength = charNgrams, UseAllLengths = false, Weighting = weighting }
                : null,
            Norm = TextFeaturizingEstimator.NormFunction.L2,
        };
        return ml.Transforms.Text.FeaturizeText(output, options, input);
    }

    /// <summary>Logistic regression by L-BFGS, one thread for reproducibility.</summary>
    public static IEstimator<ITransformer> Lbfgs(MLContext ml, float l2 = 1f, float l1 = 0f, string features = "Features") =>
        ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            FeatureColumnName = features,
            NumberOfThreads = 1,
            L2Regularization = l2,
            L1Regularization = l1,
        });

    /// <summary>Adds the column NegationMarked: Sentence with the words under a negation prefixed "not_".</summary>
    public static IEstimator<ITransformer> MarkNegation(MLContext ml) =>
        ml.Transforms.CustomMapping(new NegationScopeMapping().GetMapping(), NegationScopeMapping.ContractName);

    /// <summary>Adds the column Contrast: the clause after the last "but"/"yet"/"however", or empty.</summary>
    public static IEstimator<ITransformer> ContrastClause(MLContext ml) =>
        ml.Transforms.CustomMapping(new ContrastClauseMapping().GetMapping(), ContrastClauseMapping.ContractName);

    /// <summary>Adds the column Lexicon: the sentence as prior polarities of VADER words, negation-marked (<see cref="MlopsExam.Model.LexiconView"/>).</summary>
    public static IEstimator<ITransformer> LexiconView(MLContext ml) =>
        ml.Transforms.CustomMapping(new LexiconViewMapping().GetMapping(), LexiconViewMapping.ContractName);

    /// <summary>Adds the column LexiconScore: VADER-style dense valence features (<see cref="MlopsExam.Model.LexiconScore"/>).</summary>
    public static IEstimator<ITransformer> LexiconScore(MLContext ml) =>
        ml.Transforms.CustomMapping(new LexiconScoreMapping().GetMapping(), LexiconScoreMapping.ContractName);

    /// <summary>Adds the column Negated: 1 when a negation scopes over a word of the sentence (<see cref="NegationGateMapping"/>).</summary>
    public static IEstimator<ITransformer> NegationGate(MLContext ml) =>
        ml.Transforms.CustomMapping(new NegationGateMapping().GetMapping(), NegationGateMapping.ContractName);

    /// <summary>Word n-grams only (no char n-grams) of <paramref name="input"/>.</summary>
    public static IEstimator<ITransformer> WordGrams(MLContext ml, string output, string input, int wordNgrams) =>
        Featurize(ml, wordNgrams, 0, tfIdf: true, output, input);

    /// <summary>Char n-grams only of <paramref name="input"/>.</summary>
    public static IEstimator<ITransformer> CharGrams(MLContext ml, string output, string input, int charNgrams) =>
        ml.Transforms.Text.FeaturizeText(output, new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.None,
            KeepDiacritics = true,
            KeepPunctuations = true,
            KeepNumbers = true,
            StopWordsRemoverOptions = null,
            WordFeatureExtractor = null,
            CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = charNgrams, UseAllLengths = false, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
            Norm = TextFeaturizingEstimator.NormFunction.L2,
        }, input);

    /// <summary>
    /// Keeps the score of the model just fitted under <paramref name="scoreColumn"/>, before the
    /// next model of an ensemble overwrites Score, Probability and PredictedLabel.
    /// </summary>
    public static IEstimator<ITransformer> KeepScore(MLContext ml, string scoreColumn) =>
        ml.Transforms.CopyColumns(scoreColumn, "Score");

    /// <summary>
    /// Ensemble of logistic models: averages their logits (the Score columns) and writes the
    /// columns a binary classifier gives (Score, Probability = sigmoid(Score), PredictedLabel).
    /// </summary>
    public static IEstimator<ITransformer> AverageLogits(MLContext ml, params string[] scoreColumns) =>
        AverageLogits(ml, scoreColumns, null);

    /// <summary>
    /// Weighted mean of the logits, sum(w_i * s_i) / sum(w_i); equal weights when
    /// <paramref name="weights"/> is null (then the expression is the one of earlier models).
    /// </summary>
    public static IEstimator<ITransformer> AverageLogits(MLContext ml, string[] scoreColumns, float[]? weights) =>
        ml.Transforms.Expression("Score", WeightedMean(scoreColumns, weights), scoreColumns)
            .Append(ml.Transforms.Expression("Probability", "s => 1 / (1 + exp(-s))", "Score"))
            .Append(ml.Transforms.Expression("PredictedLabel", "p => p >= 0.5", "Probability"));

    /// <summary>
    /// Gated ensemble: Score = the weighted mean of <paramref name="negated"/> logits when the
    /// column Negated is 1, else the weighted mean of <paramref name="plain"/> logits.
    /// </summary>
    public static IEstimator<ITransformer> GatedLogits(MLContext ml, (string[] Columns, float[] Weights) plain, (string[] Columns, float[] Weights) negated) =>
        NegationGate(ml)
            .Append(ml.Transforms.Expression("ScorePlain", WeightedMean(plain.Columns, plain.Weights), plain.Columns))
            .Append(ml.Transforms.Expression("ScoreNegated", WeightedMean(negated.Columns, negated.Weights), negated.Columns))
            .Append(ml.Transforms.Expression("Score", "(g, a, b) => g * b + (1 - g) * a", "Negated", "ScorePlain", "ScoreNegated"))
            .Append(ml.Transforms.Expression("Probability", "s => 1 / (1 + exp(-s))", "Score"))
            .Append(ml.Transforms.Expression("PredictedLabel", "p => p >= 0.5", "Probability"));

    private static string WeightedMean(string[] scoreColumns, float[]? weights)
    {
        var names = scoreColumns.Select((_, i) => $"s{i}").ToArray();
        string mean;
        if (weights is null)
            mean = $"({string.Join(" + ", names)}) / {scoreColumns.Length}";
        else
        {
            var total = weights.Sum();
            mean = string.Join(" + ", names.Select((n, i) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{weights[i] / total:0.######} * {n}")));
        }
        return $"({string.Join(", ", names)}) => {mean}";
    }
}
