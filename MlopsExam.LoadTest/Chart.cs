using ScottPlot;

namespace MlopsExam.LoadTest;

/// <summary>Latency against offered load, direct and through the gateway, with the maxima marked.</summary>
internal static class Chart
{
    public static void Draw(LoadTestReport report, string path)
    {
        var plot = new Plot();
        var sweep = report.Runs.Where(r => r.OfferedRps is not null).ToList();
        void Series(string prefix, Func<RunFigures, double> value, string legend, Color color, LinePattern pattern)
        {
            var points = sweep.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(r => r.OfferedRps).ToList();
            if (points.Count == 0) return;
            var line = plot.Add.Scatter(points.Select(p => p.OfferedRps!.Value).ToArray(), points.Select(p => value(p.Figures)).ToArray());
            line.LegendText = legend;
            line.Color = color;
            line.LinePattern = pattern;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        var direct = Colors.SteelBlue;
        var gateway = Colors.OrangeRed;
        Series("c direct", f => f.P50Ms, "direct p50", direct, LinePattern.Solid);
        Series("c direct", f => f.P99Ms, "direct p99", direct, LinePattern.Dashed);
        Series("c gateway", f => f.P50Ms, "gateway p50 (TLS, auth, 3 replicas)", gateway, LinePattern.Solid);
        Series("c gateway", f => f.P99Ms, "gateway p99", gateway, LinePattern.Dashed);

        foreach (var max in report.Runs.Where(r => r.OfferedRps is null))
        {
            var v = plot.Add.VerticalLine(max.Figures.RequestsPerSecond);
            v.LineWidth = 1;
            v.Color = max.Target == "gateway" ? gateway.WithAlpha(0.6) : direct.WithAlpha(0.6);
            v.LinePattern = LinePattern.Dotted;
            v.LegendText = $"max {max.Name[2..]}: {max.Figures.RequestsPerSecond:0} req/s";
        }

        plot.Title($"POST /predict latency against offered load ({report.Cpus} CPUs, {report.Clients} concurrent clients)");
        plot.XLabel("offered load (requests/s)");
        plot.YLabel("latency (ms)");
        plot.Axes.SetLimitsY(0, Math.Max(5, sweep.Count == 0 ? 5 : sweep.Max(r => r.Figures.P99Ms) * 1.15));
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1100, 620);
    }
}
