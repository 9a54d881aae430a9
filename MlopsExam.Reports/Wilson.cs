namespace MlopsExam.Reports;

/// <summary>A proportion <c>k/n</c> with its 95 % Wilson score interval.</summary>
public sealed record Proportion(long Successes, long Trials, double Value, double Low, double High)
{
    public bool HasData => Trials > 0;
}

/// <summary>
/// Wilson score interval (Wilson 1927; recommended over the normal approximation by Brown, Cai and
/// DasGupta 2001): stays inside [0, 1] and behaves for small <c>n</c> and for rates near 0 or 1,
/// which error rates are. Two variants whose intervals do not overlap differ at about the 5 % level
/// or better; overlapping ones may still differ, so read it as a guide, not a test.
/// </summary>
public static class Wilson
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    public static Proportion Interval(long successes, long trials, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, Math.Max(trials, 0));
        if (trials <= 0)
            return new Proportion(successes, 0, double.NaN, double.NaN, double.NaN);

        double n = trials, p = successes / n, z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Proportion(successes, trials, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
