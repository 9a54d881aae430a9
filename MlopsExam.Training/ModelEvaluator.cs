using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// Scores a loaded model on labelled sentences through the serving path
/// (<see cref="SentimentModel.PredictBatch"/>), so the numbers recorded at training time are the
/// numbers the served model gives, and a test can recompute them exactly.
/// </summary>
public static class ModelEvaluator
{
    public static SplitMetrics Evaluate(SentimentModel model, IReadOnlyList<LabelledSentence> rows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rows);
        var predictions = model.PredictBatch(rows.Select(r => r.Sentence));
        return Score(rows.Select(r => r.Label).ToList(), predictions);
    }

    public static SplitMetrics Score(IReadOnlyList<bool> labels, IReadOnlyList<SentimentPrediction> predictions)
    {
        if (labels.Count != predictions.Count)
            throw new ArgumentException($"{labels.Count} labels but {predictions.Count} predictions.");
        if (labels.Count == 0)
            throw new ArgumentException("Nothing to evaluate.");

        int tp = 0, tn = 0, fp = 0, fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            switch (labels[i], predictions[i].IsPositive)
            {
                case (true, true): tp++; break;
                case (false, false): tn++; break;
                case (false, true): fp++; break;
                case (true, false): fn++; break;
            }
        }
        var accuracy = (double)(tp + tn) / labels.Count;
        var macroF1 = (F1(tp, fp, fn) + F1(tn, fn, fp)) / 2;
        var auc = Auc(labels, predictions.Select(p => (double)p.PositiveProbability).ToList());
        return new SplitMetrics(labels.Count, accuracy, macroF1, auc);
    }

    private static double F1(int truePositives, int falsePositives, int falseNegatives)
    {
        var denominator = 2.0 * truePositives + falsePositives + falseNegatives;
        return denominator == 0 ? 0 : 2.0 * truePositives / denominator;
    }

    /// <summary>Area under the ROC curve as the Mann-Whitney statistic; tied scores count one half.</summary>
    private static double Auc(IReadOnlyList<bool> labels, IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            var averageRank = (start + end) / 2.0 + 1; // ranks are 1-based
            for (var k = start; k <= end; k++)
            {
                if (!labels[order[k]]) continue;
                positiveRankSum += averageRank;
                positives++;
            }
            start = end + 1;
        }
        long negatives = labels.Count - positives;
        // Undefined with a single class; 0.5 (chance) keeps the metrics file valid JSON (no NaN).
        if (positives == 0 || negatives == 0) return 0.5;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }
}
