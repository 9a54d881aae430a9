using System.Globalization;
using System.Text;

namespace MlopsExam.Reports;

/// <summary>One served variant over the report's window. Rates carry their counts and 95 % Wilson
/// intervals; latencies are in milliseconds (NaN where the variant had no request).</summary>
public sealed record VariantRow(
    string Variant,
    long Requests,
    double RequestsPerSecond,
    Proportion Share,
    Proportion Errors,
    double P50Ms,
    double P99Ms,
    Proportion Positive,
    Proportion ShadowAgreement,
    Proportion ShadowPositive,
    IReadOnlyDictionary<string, long> ShadowCopies);

/// <summary>Live accuracy of one served variant and model from the feedback labels of the last hour
/// (deployments/prometheus/rules/feedback.rules.yml): correct labels / labels, with a 95 % Wilson interval.</summary>
public sealed record FeedbackAccuracy(string Variant, string ModelId, Proportion Accuracy);

public sealed record AbReport(DateTimeOffset At, string Prometheus, string Window, IReadOnlyList<VariantRow> Variants)
{
    /// <summary>Accuracy per served variant and model from the feedback labels (empty: no feedback in the last hour).</summary>
    public IReadOnlyList<FeedbackAccuracy> Feedback { get; init; } = [];

    /// <summary>The feedback series read (deployments/prometheus/rules/feedback.rules.yml), by served_variant and served_model_id.</summary>
    public static class FeedbackSeries
    {
        public const string Labels = "served_variant:sentiment_feedback_labels:increase1h";
        public const string Correct = "served_variant:sentiment_feedback_correct:increase1h";
        public const string WindowText = "1h";
    }

    /// <summary>The recorded series read (deployments/prometheus/rules/ab.rules.yml).</summary>
    public static class Series
    {
        public const string Requests = "variant:sentiment_requests:increase5m";
        public const string RequestRate = "variant:sentiment_requests:rate5m";
        public const string Errors = "variant:sentiment_request_errors:increase5m";
        public const string P50 = "variant:http_server_request_duration_seconds:p50_5m";
        public const string P99 = "variant:http_server_request_duration_seconds:p99_5m";
        public const string Predictions = "variant:sentiment_predictions:increase5m";
        public const string Positive = "variant:sentiment_predictions_positive:increase5m";
        public const string ShadowPredictions = "variant:sentiment_shadow_predictions:increase5m";
        public const string ShadowAgreements = "variant:sentiment_shadow_agreements:increase5m";
        public const string ShadowPositive = "variant:sentiment_shadow_predictions_positive:ratio5m";
        public const string ShadowCopies = "variant_outcome:sentiment_shadow_copies:increase5m";

        public static readonly string[] All =
            [Requests, RequestRate, Errors, P50, P99, Predictions, Positive, ShadowPredictions, ShadowAgreements, ShadowPositive, ShadowCopies];
    }

    public const string WindowText = "5m";

    /// <summary>Reads every recorded series once and assembles the rows, one per variant seen.</summary>
    public static async Task<AbReport> QueryAsync(PrometheusClient prometheus, string prometheusUrl, DateTimeOffset at, CancellationToken ct = default)
    {
        var results = new Dictionary<string, IReadOnlyList<PromSample>>();
        foreach (var series in Series.All)
            results[series] = await prometheus.QueryAsync(series, ct);
        var labels = await prometheus.QueryAsync(FeedbackSeries.Labels, ct);
        var correct = await prometheus.QueryAsync(FeedbackSeries.Correct, ct);
        return Build(results, prometheusUrl, at) with { Feedback = BuildFeedback(labels, correct) };
    }

    /// <summary>One accuracy per (served variant, model) with labels; counts rounded as increase() extrapolates.</summary>
    internal static IReadOnlyList<FeedbackAccuracy> BuildFeedback(IReadOnlyList<PromSample> labels, IReadOnlyList<PromSample> correct)
    {
        static (string, string) Key(PromSample s) => (s.Labels.GetValueOrDefault("served_variant") ?? "", s.Labels.GetValueOrDefault("served_model_id") ?? "");
        static long Round(double v) => double.IsFinite(v) ? (long)Math.Round(v, MidpointRounding.AwayFromZero) : 0;
        var right = correct.GroupBy(Key).ToDictionary(g => g.Key, g => Round(g.Sum(s => s.Value)));
        return labels.GroupBy(Key)
            .Select(g => (Key: g.Key, Trials: Round(g.Sum(s => s.Value))))
            .Where(g => g.Trials > 0 && g.Key.Item1.Length > 0)
            .OrderBy(g => g.Key.Item1, StringComparer.Ordinal).ThenBy(g => g.Key.Item2, StringComparer.Ordinal)
            .Select(g => new FeedbackAccuracy(g.Key.Item1, g.Key.Item2,
                Wilson.Interval(Math.Min(right.GetValueOrDefault(g.Key), g.Trials), g.Trials)))
            .ToList();
    }

    internal static AbReport Build(IReadOnlyDictionary<string, IReadOnlyList<PromSample>> results, string prometheusUrl, DateTimeOffset at)
    {
        double Value(string series, string variant) =>
            results[series].FirstOrDefault(s => s.Labels.GetValueOrDefault("variant") == variant)?.Value ?? double.NaN;
        // increase() extrapolates to the window's edges: counts are rounded to whole requests.
        long Count(string series, string variant) =>
            Value(series, variant) is var v && double.IsFinite(v) ? (long)Math.Round(v, MidpointRounding.AwayFromZero) : 0;

        var variants = Series.All.SelectMany(s => results[s]).Select(s => s.Labels.GetValueOrDefault("variant"))
            .OfType<string>().Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        var total = variants.Sum(v => Count(Series.Requests, v));

        var rows = variants.Select(v =>
        {
            var requests = Count(Series.Requests, v);
            var predictions = Count(Series.Predictions, v);
            var shadow = Count(Series.ShadowPredictions, v);
            var shadowPositiveRate = Value(Series.ShadowPositive, v);
            var copies = results[Series.ShadowCopies]
                .Where(s => s.Labels.GetValueOrDefault("variant") == v && s.Labels.ContainsKey("outcome"))
                .ToDictionary(s => s.Labels["outcome"], s => (long)Math.Round(s.Value, MidpointRounding.AwayFromZero));
            return new VariantRow(
                v,
                requests,
                Value(Series.RequestRate, v),
                Wilson.Interval(requests, total),
                Wilson.Interval(Math.Min(Count(Series.Errors, v), requests), requests),
                Value(Series.P50, v) * 1000,
                Value(Series.P99, v) * 1000,
                Wilson.Interval(Math.Min(Count(Series.Positive, v), predictions), predictions),
                Wilson.Interval(Math.Min(Count(Series.ShadowAgreements, v), shadow), shadow),
                Wilson.Interval(double.IsFinite(shadowPositiveRate) ? (long)Math.Round(shadowPositiveRate * shadow) : 0, shadow),
                copies);
        }).ToList();
        return new AbReport(at, prometheusUrl, WindowText, rows);
    }

    /// <summary>The terminal table: one row per variant, rates as "value (k/n) [low-high]".</summary>
    public string ToTable()
    {
        var header = new[] { "variant", "traffic share", "requests", "error rate", "p50 ms", "p99 ms", "positive rate", "agreement with served (shadow)" };
        var lines = Variants.Select(r => new[]
        {
            r.Variant,
            Percent(r.Share, counts: false),
            r.Requests.ToString(CultureInfo.InvariantCulture),
            Percent(r.Errors),
            Millis(r.P50Ms),
            Millis(r.P99Ms),
            Percent(r.Positive),
            Percent(r.ShadowAgreement),
        }).ToList();
        var widths = header.Select((h, i) => lines.Select(l => l[i].Length).Prepend(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i is 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();

        var text = new StringBuilder();
        text.AppendLine($"A/B comparison over the last {Window} at {At:yyyy-MM-dd HH:mm:ss}Z (Prometheus {Prometheus})");
        text.AppendLine(Line(header));
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var line in lines)
            text.AppendLine(Line(line));
        foreach (var row in Variants.Where(r => r.ShadowCopies.Count > 0))
            text.AppendLine($"shadow copies from {row.Variant}: " + string.Join(", ", row.ShadowCopies.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        foreach (var row in Variants.Where(r => r.ShadowPositive.HasData))
            text.AppendLine($"{row.Variant} on the shadowed requests: positive rate {Percent(row.ShadowPositive)}");
        foreach (var f in Feedback)
            text.AppendLine($"accuracy from feedback (last {FeedbackSeries.WindowText}), {f.Variant} ({f.ModelId}): {Percent(f.Accuracy)}");
        if (Feedback.Count == 0)
            text.AppendLine($"accuracy from feedback (last {FeedbackSeries.WindowText}): no labels (POST /feedback)");
        text.AppendLine("Rates: value (count/total) [95 % Wilson interval]. Intervals that do not overlap: a difference");
        text.AppendLine("unlikely to be chance; overlapping: not shown by this much traffic. Agreement: share of the");
        text.AppendLine("requests copied to a variant (SHADOW_PERCENT) where it gave the label the client was served.");
        return text.ToString();
    }

    internal static string Percent(Proportion p, bool counts = true) => !p.HasData
        ? "-"
        : string.Create(CultureInfo.InvariantCulture,
            $"{p.Value * 100:F1}%{(counts ? $" ({p.Successes}/{p.Trials})" : "")} [{p.Low * 100:F1}-{p.High * 100:F1}]");

    internal static string Millis(double ms) => double.IsFinite(ms) ? ms.ToString("F3", CultureInfo.InvariantCulture) : "-";
}
