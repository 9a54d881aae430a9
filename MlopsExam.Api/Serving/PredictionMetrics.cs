using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Metrics;

namespace MlopsExam.Api.Serving;

/// <summary>
/// Product metrics, tagged with the variant and model so v1 and v2 compare in one query, e.g.
/// <c>sum by (variant) (rate(sentiment_predictions_total[1m]))</c>. As Prometheus sees them
/// (dots become underscores, the unit and <c>_total</c> are appended):
/// <list type="bullet">
/// <item><c>sentiment_predictions_total{label}</c>: predictions served to clients;</item>
/// <item><c>sentiment_requests_rejected_total{reason}</c>: requests refused before inference;</item>
/// <item><c>http_server_request_duration_seconds{http_route="/predict", http_response_status_code}</c>:
/// ASP.NET Core's own histogram of each request (body read, checks, inference, answer written),
/// every status; /predict adds <c>variant</c>, <c>model_id</c> and <c>replica</c> to it
/// (<see cref="TagRequest"/>) and <see cref="AddRequestDurationBuckets"/> sets its buckets;</item>
/// <item><c>sentiment_inference_duration_seconds</c>: histogram of the model call alone;</item>
/// <item><c>sentiment_shadow_copies_total{outcome}</c> (served side): copies sent, dropped (queue
/// full), failed (error, timeout or non-2xx from the challenger), unconfigured (marked but no
/// <c>Serving:ShadowUrl</c>);</item>
/// <item><c>sentiment_shadow_predictions_total{label, agreement}</c> (challenger side): its label for
/// each copy and whether it agrees with the label the client was served;</item>
/// <item><c>sentiment_model_switches_total{result}</c>: model switches while running (ok, refused);</item>
/// <item><c>sentiment_model_info</c>: 1, with the <c>model_id</c> served now (make rollout waits on it after a promotion).</item>
/// </list>
/// Every series also has <c>variant</c>, <c>model_id</c> (the model served when it was recorded) and <c>replica</c>.
/// </summary>
public sealed class PredictionMetrics
{
    public const string MeterName = "MlopsExam.Api";

    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _inference;
    private readonly Counter<long> _shadowCopies;
    private readonly Counter<long> _shadowPredictions;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _switches;
    private readonly string _variant;
    private readonly string _replica;
    private readonly Models.ServingModel _model;

    public PredictionMetrics(IMeterFactory meterFactory, Microsoft.Extensions.Options.IOptions<ServingOptions> options, Models.ServingModel model)
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
        _fallbacks = meter.CreateCounter<long>("sentiment.variant.fallbacks", "{request}",
            "Requests the gateway routed to another variant (X-Requested-Variant) that this replica answered: v1 serving for a down v2.");
        _shadowCopies = meter.CreateCounter<long>("sentiment.shadow.copies", "{copy}", "Shadow copies of served requests, by outcome (sent, dropped, failed, unconfigured).");
        _shadowPredictions = meter.CreateCounter<long>("sentiment.shadow.predictions", "{prediction}",
            "Predictions made on shadow copies, by label and agreement with the served label.");
        _switches = meter.CreateCounter<long>("sentiment.model.switches", "{switch}", "Model switches while running, by result (ok, refused).");
        _variant = options.Value.Variant;
        _replica = options.Value.InstanceId;
        _model = model;
        meter.CreateObservableGauge("sentiment.model.info", () => new Measurement<int>(1, Common()), description: "1, tagged with the model served now.");
    }

    /// <summary>variant, model_id (of the model served now) and replica.</summary>
    private TagList Common() => new() { { "variant", _variant }, { "model_id", _model.Current.ModelId }, { "replica", _replica } };

    private TagList Common(string key, object? value)
    {
        var tags = Common();
        tags.Add(key, value);
        return tags;
    }

    public void ModelSwitched(string result) => _switches.Add(1, new TagList { { "variant", _variant }, { "replica", _replica }, { "result", result } });

    public void Predicted(string label, TimeSpan elapsed)
    {
        _predictions.Add(1, Common("label", label));
        _inference.Record(elapsed.TotalSeconds, Common());
    }

    public void Rejected(string reason) => _rejected.Add(1, Common("reason", reason));

    /// <summary>
    /// Adds variant, model_id and replica to the <c>http.server.request.duration</c> sample ASP.NET
    /// Core records for this request (with its route and final status code) when it ends: the A/B
    /// rules and <c>make rollout</c> read that one histogram, not a second one of their own.
    /// </summary>
    public void TagRequest(HttpContext http)
    {
        if (http.Features.Get<IHttpMetricsTagsFeature>() is not { } metricTags) return;
        metricTags.Tags.Add(new("variant", _variant));
        metricTags.Tags.Add(new("model_id", _model.Current.ModelId));
        metricTags.Tags.Add(new("replica", _replica));
    }

    /// <summary>
    /// Buckets of ASP.NET Core's <c>http.server.request.duration</c> from 50 µs (a short sentence
    /// in-process) to 1 s (a request stuck behind a busy CPU); beyond that only +Inf: the gateway
    /// would have timed the client out long before. Its default buckets start at 5 ms, where every
    /// /predict would land in the first one.
    /// </summary>
    public static MeterProviderBuilder AddRequestDurationBuckets(MeterProviderBuilder metrics) =>
        metrics.AddView(RequestDurationInstrument, new ExplicitBucketHistogramConfiguration
        {
            Boundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        });

    /// <summary>ASP.NET Core's request histogram (meter Microsoft.AspNetCore.Hosting).</summary>
    public const string RequestDurationInstrument = "http.server.request.duration";

    /// <summary>This replica answered a request routed to <paramref name="requested"/> (its pool had no live server).</summary>
    public void Fallback(string requested) => _fallbacks.Add(1, Common("requested_variant", requested));

    public void ShadowCopy(string outcome) => _shadowCopies.Add(1, Common("outcome", outcome));

    public void ShadowPredicted(string label, bool agrees)
    {
        var tags = Common("label", label);
        tags.Add("agreement", agrees ? "agree" : "disagree");
        _shadowPredictions.Add(1, tags);
    }
}
