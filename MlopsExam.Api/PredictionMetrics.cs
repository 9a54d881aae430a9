using System.Diagnostics.Metrics;
using System.Diagnostics;

namespace MlopsExam.Api;

/// <summary>
/// Product metrics, tagged with the variant and model so v1 and v2 compare in one query, e.g.
/// <c>sum by (variant) (rate(sentiment_predictions_total[1m]))</c>.
/// </summary>
public sealed class PredictionMetrics
{
    public const string MeterName = "MlopsExam.Api";

    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _inference;
    private readonly KeyValuePair<string, object?>[] _common;

    public PredictionMetrics(IMeterFactory meterFactory, Microsoft.Extensions.Options.IOptions<ServingOptions> options, MlopsExam.Model.SentimentModel model)
    {
        var meter = meterFactory.Create(MeterName);
        _predictions = meter.CreateCounter<long>("sentiment.predictions", "{prediction}", "Predictions served, by variant, model and label.");
        _rejected = meter.CreateCounter<long>("sentiment.requests.rejected", "{request}", "Requests refused before inference, by reason.");
        // Inference takes tens of microseconds: OpenTelemetry's default buckets (0, 5, 10, ... 10000)
        // would put every sample in the first one, so the buckets are set for this range.
        _inference = meter.CreateHistogram("sentiment.inference.duration", "s", "Time spent in the model for one sentence.",
            tags: null, advice: new InstrumentAdvice<double>
            {
                HistogramBucketBoundaries = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
            });
        _common =
        [
            new("variant", options.Value.Variant),
            new("model_id", model.ModelId),
            new("replica", options.Value.InstanceId),
        ];
    }

    public void Predicted(string label, TimeSpan elapsed)
    {
        var tags = new TagList(_common) { { "label", label } };
        _predictions.Add(1, tags);
        _inference.Record(elapsed.TotalSeconds, new TagList(_common));
    }

    public void Rejected(string reason) => _rejected.Add(1, new TagList(_common) { { "reason", reason } });
}
