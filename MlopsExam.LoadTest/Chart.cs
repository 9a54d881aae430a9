using MlopsExam.Tooling;
using ScottPlot;

namespace MlopsExam.LoadTest;

/// <summary>
/// Two panels under a heading: the maximum throughput of each configuration (with the reference the
/// target names), and latency against offered load, direct and through the gateway at the same rates.
/// </summary>
internal static class Chart
{
    public static void Draw(LoadTestReport report, string path)
    {
        var maxima = Rounds.Medians(report.Runs);
        List<string> categories = [.. maxima.Select(r => r.Name[2..].Replace("nginx ", "bare nginx\n", StringComparison.Ordinal).Replace(" + ", "\n+ ", StringComparison.Ordinal))];
        List<BarValue> values = [.. maxima.Select(r => new BarValue(r.Figures.RequestsPerSecond, Label: $"{r.Figures.RequestsPerSecond:0}"))];
        var throughput = Charts.Bars(new BarPanel("Maximum throughput (requests/s)", "requests/s", categories,
            [new MlopsExam.Tooling.BarSeries("max", values)]));

        var latency = new Plot();
        latency.Title("Latency against offered load", size: 15);
        latency.XLabel("offered load (requests/s)", size: 13);
        latency.YLabel("latency (ms)", size: 13);
        var sweep = report.Runs.Where(r => r.OfferedRps is not null).ToList();
        void Series(string prefix, Func<RunFigures, double> value, string legend, Color color, LinePattern pattern)
        {
            var points = sweep.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(r => r.OfferedRps).ToList();
            if (points.Count == 0) return;
            var line = latency.Add.Scatter(points.Select(p => p.OfferedRps!.Value).ToArray(), points.Select(p => value(p.Figures)).ToArray());
            line.LegendText = legend;
            line.Color = color;
            line.LinePattern = pattern;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        Series("c direct", f => f.P50Ms, "direct p50", Colors.SteelBlue, LinePattern.Solid);
        Series("c direct", f => f.P99Ms, "direct p99", Colors.SteelBlue, LinePattern.Dashed);
        Series("c gateway", f => f.P50Ms, "gateway p50", Colors.DarkOrange, LinePattern.Solid);
        Series("c gateway", f => f.P99Ms, "gateway p99", Colors.DarkOrange, LinePattern.Dashed);
        latency.Axes.SetLimitsY(0, Math.Max(5, sweep.Count == 0 ? 5 : sweep.Max(r => r.Figures.P99Ms) * 1.6)); // room for the legend
        latency.ShowLegend(Alignment.UpperRight);

        string Ratio(string numerator, string denominator, string text) =>
            Rounds.Ratio(report.Runs, numerator, denominator) is { } q ? $"{text} {q.Median:0.00} x [{q.Min:0.00}-{q.Max:0.00}]" : "";
        var rounds = report.Runs.Where(r => r.Round > 0).Select(r => r.Round).Distinct().Count();
        Charts.SavePng(path,
        [
            $"make loadtest: POST /predict, {report.Clients} concurrent streams, {report.Cpus} CPUs ({report.Machine})",
            "direct = 3 API replicas over plain HTTP; gateway = TLS, basic auth, access log, balancing over the same 3;",
            "bare nginx = the gateway's nginx in front of the same 3, without auth, logs, limits or routing maps; + X = bare TLS plus that feature;",
            "Python = 3 x FastAPI/uvicorn + scikit-learn behind the bare TLS nginx. Bars: the median of the rounds.",
            $"Ratios within each of {rounds} rounds, median [range]: " + string.Join("; ", new[]
            {
                Ratio("b gateway h1", "d nginx TLS h1", "gateway / bare TLS nginx"),
                Ratio("b gateway h1", "a direct h1", "gateway / direct"),
                Ratio("b gateway h1", PythonSolution.Name, "gateway / Python"),
            }.Where(t => t.Length > 0)) + ".",
        ], [throughput, latency], columns: 2, panelWidth: 640, panelHeight: 420);
    }
}
