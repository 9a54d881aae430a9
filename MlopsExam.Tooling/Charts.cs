using ScottPlot;
using SkiaSharp;

namespace MlopsExam.Tooling;

/// <summary>One bar: a value with an optional interval (drawn as an error bar) and a label on top.</summary>
public sealed record BarValue(double Value, double Low = double.NaN, double High = double.NaN, string? Label = null);

/// <summary>A series of bars, one per category of its panel (a legend entry when a panel has several).</summary>
public sealed record BarSeries(string Name, IReadOnlyList<BarValue> Values);

/// <summary>A bar chart: categories along x, one bar per series in each (grouped bars).</summary>
public sealed record BarPanel(string Title, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<BarSeries> Series)
{
    /// <summary>Upper end of the y axis; by default a margin above the tallest bar or interval.</summary>
    public double? YMax { get; init; }
}

/// <summary>
/// The reports' figures (make ab-report, make loadtest): bar panels laid out in a grid under a heading, drawn
/// headless (ScottPlot 5 on SkiaSharp) into one PNG. NaN values draw nothing, so a variant without
/// data shows an empty slot rather than a misleading zero.
/// </summary>
public static class Charts
{
    private static readonly Color[] Palette = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Crimson, Colors.SlateGray];

    public static Plot Bars(BarPanel panel)
    {
        var plot = new Plot();
        plot.Title(panel.Title, size: 15);
        plot.YLabel(panel.YLabel, size: 13);
        var groups = panel.Series.Count;
        var width = 0.8 / Math.Max(groups, 1);
        var top = 0.0;
        for (var s = 0; s < groups; s++)
        {
            var series = panel.Series[s];
            var bars = new List<Bar>();
            List<double> xs = [], ys = [], up = [], down = [];
            for (var c = 0; c < panel.Categories.Count && c < series.Values.Count; c++)
            {
                var v = series.Values[c];
                if (!double.IsFinite(v.Value))
                    continue;
                var x = c + (s - (groups - 1) / 2.0) * width;
                bars.Add(new Bar
                {
                    Position = x,
                    Value = v.Value,
                    Size = width * 0.9,
                    FillColor = Palette[s % Palette.Length],
                    Label = v.Label ?? "",
                    CenterLabel = true,
                });
                top = Math.Max(top, v.Value);
                if (double.IsFinite(v.Low) && double.IsFinite(v.High))
                {
                    xs.Add(x); ys.Add(v.Value); up.Add(v.High - v.Value); down.Add(v.Value - v.Low);
                    top = Math.Max(top, v.High);
                }
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.ValueLabelStyle.FontSize = 12;
            if (groups > 1)
                barPlot.LegendText = series.Name;
            if (xs.Count > 0)
            {
                var errors = plot.Add.ErrorBar(xs, ys, down);
                errors.YErrorPositive = up;
                errors.YErrorNegative = down;
                errors.Color = Colors.Black;
            }
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, panel.Categories.Count).Select(i => (double)i).ToArray(), panel.Categories.ToArray());
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.SetLimitsX(-0.6, panel.Categories.Count - 0.4);
        plot.Axes.SetLimitsY(0, panel.YMax ?? (top > 0 ? top * 1.2 : 1));
        if (groups > 1)
            plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Draws <paramref name="panels"/> row by row, <paramref name="columns"/> per row, under
    /// <paramref name="heading"/> (one line per element), into a PNG at <paramref name="path"/>.</summary>
    public static void SavePng(string path, IReadOnlyList<string> heading, IReadOnlyList<Plot> panels, int columns,
        int panelWidth = 520, int panelHeight = 380)
    {
        const int lineHeight = 24;
        var rows = (panels.Count + columns - 1) / columns;
        var headingHeight = 16 + lineHeight * heading.Count;
        var width = columns * panelWidth;
        var height = headingHeight + rows * panelHeight;

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(SKTypeface.Default, 18))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            for (var i = 0; i < heading.Count; i++)
            {
                font.Size = i == 0 ? 20 : 15;
                canvas.DrawText(heading[i], 16, 8 + lineHeight * (i + 1), SKTextAlign.Left, font, paint);
            }
        }
        for (var i = 0; i < panels.Count; i++)
        {
            // Each panel drawn on its own (a plot rendered into part of a canvas clears all of it).
            using var bitmap = SKBitmap.Decode(panels[i].GetImageBytes(panelWidth, panelHeight, ImageFormat.Png));
            canvas.DrawBitmap(bitmap, i % columns * panelWidth, headingHeight + i / columns * panelHeight);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
