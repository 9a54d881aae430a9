using System.Globalization;
using MlopsExam.Tooling;

namespace MlopsExam.Reports;

/// <summary>The A/B report's figure: one panel per question, variants side by side, 95 % intervals as error bars.</summary>
public static class AbChart
{
    public static void Save(AbReport report, string path)
    {
        var variants = report.Variants.Select(v => v.Variant).ToList();
        static BarValue Pct(Proportion p) => p.HasData
            ? new BarValue(p.Value * 100, p.Low * 100, p.High * 100, string.Create(CultureInfo.InvariantCulture, $"{p.Value * 100:F1}%\nn={p.Trials}"))
            : new BarValue(double.NaN);
        static BarValue Ms(double ms) => new(ms, Label: double.IsFinite(ms) ? ms.ToString("F2", CultureInfo.InvariantCulture) : null);
        BarSeries One(string name, Func<VariantRow, BarValue> value) => new(name, report.Variants.Select(value).ToList());

        var panels = new[]
        {
            Charts.Bars(new BarPanel("Traffic share", "% of /predict requests", variants, [One("share", r => Pct(r.Share))]) { YMax = 110 }),
            Charts.Bars(new BarPanel("Error rate (non-2xx)", "% of requests", variants, [One("errors", r => Pct(r.Errors))])),
            Charts.Bars(new BarPanel("Latency of /predict (in the API)", "ms", variants, [One("p50", r => Ms(r.P50Ms)), One("p99", r => Ms(r.P99Ms))])),
            Charts.Bars(new BarPanel("Positive rate", "% of predictions", variants,
                [One("served traffic", r => Pct(r.Positive)), One("shadowed copies", r => Pct(r.ShadowPositive))]) { YMax = 110 }),
            Charts.Bars(new BarPanel("Agreement with the served label (shadow)", "% of copies", variants, [One("agreement", r => Pct(r.ShadowAgreement))]) { YMax = 110 }),
            Charts.Bars(new BarPanel("Requests in the window", "requests", variants,
                [One("requests", r => new BarValue(r.Requests, Label: r.Requests.ToString(CultureInfo.InvariantCulture)))])),
        };
        var copies = report.Variants.Where(r => r.ShadowCopies.Count > 0)
            .Select(r => $"copies from {r.Variant}: " + string.Join(", ", r.ShadowCopies.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Charts.SavePng(path,
            [
                $"Sentiment A/B: {string.Join(" vs ", variants)} over the last {report.Window} ({report.At:yyyy-MM-dd HH:mm}Z)",
                "Bars: value in the window; whiskers: 95 % Wilson interval (n = count behind each rate). " + string.Join("; ", copies),
            ],
            panels, columns: 3);
    }
}
