using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsExam.Training;

/// <summary>
/// Naive-Bayes feature scaling (Wang and Manning 2012, "NBSVM"): each feature is multiplied by the
/// magnitude of its log-count ratio r_j = log((p_j/|p|) / (q_j/|q|)), where p and q count the
/// positive and negative training rows the feature occurs in. A linear model on scaled features
/// then pays less L2 penalty for weights on features that naive Bayes already finds telling.
/// (The sign of r does not matter under an L2 penalty: the linear model learns it.)
/// </summary>
internal static class NbScaling
{
    /// <summary>
    /// Fits a transformer that writes <paramref name="output"/> = |r| ⊙ <paramref name="input"/>.
    /// ML.NET has no "multiply by a fixed vector" transform that can be saved, but a min-max
    /// normaliser with fixZero scales slot j by 1 / max|x_j|; fitted on a single row holding
    /// 1/|r_j| it scales by exactly |r_j|, and it is saved and loaded like any ML.NET transform.
    /// </summary>
    public static Microsoft.ML.Transforms.NormalizingTransformer Fit(MLContext ml, IDataView featurized, string input, string output, float alpha = 1f, float floor = 1e-3f)
    {
        var (positive, negative) = CountOccurrences(featurized, input);
        var slots = positive.Length;
        double positiveTotal = positive.Sum() + alpha * slots, negativeTotal = negative.Sum() + alpha * slots;

        var inverse = new float[slots];
        for (var j = 0; j < slots; j++)
        {
            var r = Math.Log((positive[j] + alpha) / positiveTotal) - Math.Log((negative[j] + alpha) / negativeTotal);
            inverse[j] = (float)(1 / Math.Max(Math.Abs(r), floor));
        }

        var schema = SchemaDefinition.Create(typeof(ScaleRow));
        schema[nameof(ScaleRow.Features)].ColumnName = input;
        schema[input].ColumnType = new VectorDataViewType(NumberDataViewType.Single, slots);
        // A second row holding -1/|r_j|: a slot whose min equals its max is taken as constant and zeroed.
        var negated = inverse.Select(v => -v).ToArray();
        var rows = ml.Data.LoadFromEnumerable([new ScaleRow { Features = inverse }, new ScaleRow { Features = negated }], schema);
        return ml.Transforms.NormalizeMinMax(output, input, maximumExampleCount: 2, fixZero: true).Fit(rows);
    }

    /// <summary>In how many positive and negative rows each slot is non-zero.</summary>
    private static (double[] Positive, double[] Negative) CountOccurrences(IDataView data, string featureColumn)
    {
        var features = data.Schema[featureColumn];
        var label = data.Schema["Label"];
        var slots = ((VectorDataViewType)features.Type).Size;
        var positive = new double[slots];
        var negative = new double[slots];

        using var cursor = data.GetRowCursor([features, label]);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        var getLabel = cursor.GetGetter<bool>(label);
        VBuffer<float> vector = default;
        var isPositive = false;
        while (cursor.MoveNext())
        {
            getFeatures(ref vector);
            getLabel(ref isPositive);
            var counts = isPositive ? positive : negative;
            var values = vector.GetValues();
            if (vector.IsDense)
            {
                for (var j = 0; j < values.Length; j++)
                    if (values[j] != 0) counts[j]++;
            }
            else
            {
                var indices = vector.GetIndices();
                for (var k = 0; k < indices.Length; k++)
                    if (values[k] != 0) counts[indices[k]]++;
            }
        }
        return (positive, negative);
    }

    private sealed class ScaleRow
    {
        public float[] Features { get; set; } = [];
    }
}
