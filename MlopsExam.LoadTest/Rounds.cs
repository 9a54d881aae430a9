namespace MlopsExam.LoadTest;

/// <summary>A ratio of two paths' throughput, taken within each round: its median and spread.</summary>
internal sealed record RoundRatio(string Numerator, string Denominator, double Median, double Min, double Max, int Rounds);

/// <summary>
/// What the rounds of one make loadtest say together. A path's figures are those of its median
/// round (by throughput, the lower middle for an even count), so its p50 and p99 belong to a run
/// that happened; a ratio is computed in every round from two runs a minute apart, never from two
/// medians that came from different rounds.
/// </summary>
internal static class Rounds
{
    /// <summary>The path's runs in the rounds, in round order.</summary>
    public static List<RunReport> Of(IEnumerable<RunReport> runs, string name) =>
        [.. runs.Where(r => r.Round > 0 && r.Name == name).OrderBy(r => r.Round)];

    /// <summary>The run of the median round of a path; throws if the path never ran.</summary>
    public static RunReport Median(IEnumerable<RunReport> runs, string name)
    {
        var ranked = Of(runs, name).OrderBy(r => r.Figures.RequestsPerSecond).ToList();
        if (ranked.Count == 0) throw new InvalidOperationException($"no round ran '{name}'");
        return ranked[(ranked.Count - 1) / 2];
    }

    /// <summary>The median run of every path that ran in rounds, in the order they first ran.</summary>
    public static List<RunReport> Medians(IEnumerable<RunReport> runs) =>
        [.. runs.Where(r => r.Round > 0).Select(r => r.Name).Distinct().Select(name => Median(runs, name))];

    /// <summary>numerator / denominator req/s in each round both ran; null if none did.</summary>
    public static RoundRatio? Ratio(IEnumerable<RunReport> runs, string numerator, string denominator)
    {
        var below = Of(runs, denominator).ToDictionary(r => r.Round, r => r.Figures.RequestsPerSecond);
        var ratios = Of(runs, numerator)
            .Where(r => below.TryGetValue(r.Round, out var d) && d > 0)
            .Select(r => r.Figures.RequestsPerSecond / below[r.Round])
            .Order()
            .ToList();
        if (ratios.Count == 0) return null;
        var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
        return new RoundRatio(numerator, denominator, median, ratios[0], ratios[^1], ratios.Count);
    }

    /// <summary>Lowest and highest req/s of a path over the rounds.</summary>
    public static (double Min, double Max) Spread(IEnumerable<RunReport> runs, string name)
    {
        var rps = Of(runs, name).Select(r => r.Figures.RequestsPerSecond).ToList();
        return rps.Count == 0 ? (double.NaN, double.NaN) : (rps.Min(), rps.Max());
    }
}
