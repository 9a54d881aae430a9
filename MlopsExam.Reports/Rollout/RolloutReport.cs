using System.Text.Json;
using System.Text.Json.Serialization;
using MlopsExam.Tooling;
using ScottPlot;

namespace MlopsExam.Reports.Rollout;

/// <summary>One event of a rollout: a weight set, or a check with its figures and the action it led to.</summary>
public sealed record RolloutEvent(double Seconds, string Kind, int Weight, Check? Check)
{
    public static RolloutEvent Of(DateTimeOffset started, string kind, int weight, Check? check) =>
        new(Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1), kind, weight, check);
}

/// <summary>.artifacts/rollout/rollout.json: the plan, the thresholds, every event, the exit code.</summary>
public sealed record RolloutReport(DateTimeOffset Started, string Challenger, IReadOnlyList<int> Steps, RolloutThresholds Thresholds, int ExitCode, IReadOnlyList<RolloutEvent> Events)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

/// <summary>rollout.png: the weight, the error ratio and the p99 of each variant over time, each decision marked.</summary>
internal static class RolloutChart
{
    public static void Save(RolloutReport report, string path)
    {
        var checks = report.Events.Where(e => e.Check is not null).ToList();

        var weight = new Plot();
        // The weight as a step line: each "weight" event holds until the next.
        var sets = report.Events.Where(e => e.Kind == "weight").ToList();
        var xs = new List<double>();
        var ys = new List<double>();
        for (var i = 0; i < sets.Count; i++)
        {
            xs.Add(sets[i].Seconds); ys.Add(sets[i].Weight);
            var end = i + 1 < sets.Count ? sets[i + 1].Seconds : report.Events[^1].Seconds;
            xs.Add(end); ys.Add(sets[i].Weight);
        }
        if (xs.Count > 0) weight.Add.Scatter(xs.ToArray(), ys.ToArray()).LegendText = "canary weight %";
        weight.Title("Canary weight");
        weight.YLabel("% of clients on v2");

        var errors = new Plot();
        var latency = new Plot();
        if (checks.Count > 0)
        {
            var t = checks.Select(e => e.Seconds).ToArray();
            errors.Add.Scatter(t, checks.Select(e => e.Check!.V1.ErrorRatio * 100).ToArray()).LegendText = "v1";
            errors.Add.Scatter(t, checks.Select(e => e.Check!.V2.ErrorRatio * 100).ToArray()).LegendText = "v2";
            latency.Add.Scatter(t, checks.Select(e => Finite(e.Check!.V1.P99Ms)).ToArray()).LegendText = "v1";
            latency.Add.Scatter(t, checks.Select(e => Finite(e.Check!.V2.P99Ms)).ToArray()).LegendText = "v2";
        }
        errors.Title("Error ratio at each check");
        errors.YLabel("% non-2xx");
        latency.Title("p99 at each check");
        latency.YLabel("ms");

        // Each decision a vertical line, labelled with the action.
        foreach (var plot in new[] { weight, errors, latency })
        {
            foreach (var e in checks)
            {
                var line = plot.Add.VerticalLine(e.Seconds);
                line.Text = e.Kind;
                line.LinePattern = LinePattern.Dashed;
                line.Color = e.Check!.Verdict switch { Verdict.Pass => Colors.Green, Verdict.Fail => Colors.Red, _ => Colors.Gray };
            }
            plot.XLabel("seconds since the start");
            plot.ShowLegend(Alignment.UpperLeft);
        }

        var outcome = report.ExitCode switch { 0 => "promoted", 3 => "rolled back", 4 => "promotion refused", _ => "error" };
        Charts.SavePng(path,
            [$"make rollout: {report.Challenger}, steps {string.Join(", ", report.Steps)} %: {outcome} (exit {report.ExitCode})"],
            [weight, errors, latency], columns: 3);
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;
}
