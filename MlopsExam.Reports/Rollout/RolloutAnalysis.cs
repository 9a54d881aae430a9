namespace MlopsExam.Reports.Rollout;

/// <summary>What one variant did since its step began: requests, non-2xx (its own, plus requests
/// routed to it that its backup answered), p99 of the API's handling in milliseconds (NaN: no data);
/// and, since the rollout began, the feedback labels given for its answers and how many were right.</summary>
public sealed record VariantFigures(double Requests, double Errors, double P99Ms, double Labels = 0, double Correct = 0)
{
    public double ErrorRatio => Requests > 0 ? Errors / Requests : 0;

    /// <summary>Correct / labels, with its 95 % Wilson interval (NaN without labels).</summary>
    public Proportion Accuracy => Wilson.Interval((long)Math.Min(Correct, Labels), (long)Labels);
}

/// <summary>The thresholds of one check, in Flagger's spirit (issue 16).</summary>
public sealed record RolloutThresholds
{
    /// <summary>Requests each variant must have served before a check counts.</summary>
    public int MinRequests { get; init; } = 50;
    /// <summary>v2's error ratio at most this (0.01: 1 %) ...</summary>
    public double MaxErrorRatio { get; init; } = 0.01;
    /// <summary>... and at most v1's plus this (0.01: one point).</summary>
    public double MaxErrorRatioOverV1 { get; init; } = 0.01;
    /// <summary>v2's p99 at most this many times v1's ...</summary>
    public double MaxP99Ratio { get; init; } = 2;
    /// <summary>... and at most this, in milliseconds.</summary>
    public double MaxP99Ms { get; init; } = 500;
    /// <summary>A v2 p99 under this (milliseconds) passes the ratio rule: below it the histogram's
    /// buckets (5, 10 ms) and one busy core make a 2 x ratio noise, not a slower model.</summary>
    public double P99FloorMs { get; init; } = 10;
    /// <summary>With shadow traffic, v2 agrees with v1's served label at least this often.</summary>
    public double MinAgreement { get; init; } = 0.8;
    /// <summary>Feedback labels each variant needs before accuracy is checked (issue "Close the loop"):
    /// labels come late and few, so below this the check is left out rather than held.</summary>
    public int MinFeedback { get; init; } = 30;
    /// <summary>v2's live accuracy at most this far below v1's (0.05: five points), unless the gap is within
    /// noise: it fails only when v1's accuracy is also above v2's 95 % Wilson interval.</summary>
    public double MaxAccuracyDrop { get; init; } = 0.05;
}

public enum Verdict { Hold, Pass, Fail }

/// <summary>The outcome of comparing v2 with v1 at one weight, with the figures and the reasons.</summary>
public sealed record Check(int Weight, Verdict Verdict, string Reason, VariantFigures V1, VariantFigures V2, double? Agreement);

public enum RolloutAction { Wait, Advance, Promote, Rollback }

/// <summary>
/// The rollout's decisions, free of I/O: <see cref="Analyse"/> turns figures into a verdict,
/// <see cref="RolloutPlan"/> turns verdicts into actions (next step, wait, promote, roll back).
/// </summary>
public static class RolloutAnalysis
{
    public static Check Analyse(int weight, VariantFigures v1, VariantFigures v2, double? agreement, RolloutThresholds t)
    {
        // Too little traffic says nothing: hold the step (the plan ends it after --max-wait).
        if (v2.Requests < t.MinRequests || (v1.Requests < t.MinRequests && weight < 100))
            return new(weight, Verdict.Hold, $"too little traffic: v1 {v1.Requests:F0}, v2 {v2.Requests:F0} requests (need {t.MinRequests} each)", v1, v2, agreement);

        var failures = new List<string>();
        if (v2.ErrorRatio > t.MaxErrorRatio)
            failures.Add($"v2 error ratio {v2.ErrorRatio:P2} > {t.MaxErrorRatio:P2}");
        if (weight < 100 && v2.ErrorRatio > v1.ErrorRatio + t.MaxErrorRatioOverV1)
            failures.Add($"v2 error ratio {v2.ErrorRatio:P2} > v1's {v1.ErrorRatio:P2} + {t.MaxErrorRatioOverV1 * 100:F1} pt");
        if (double.IsNaN(v2.P99Ms))
            failures.Add("no p99 for v2");
        else
        {
            if (v2.P99Ms > t.MaxP99Ms)
                failures.Add($"v2 p99 {v2.P99Ms:F1} ms > {t.MaxP99Ms:F0} ms");
            if (weight < 100 && !double.IsNaN(v1.P99Ms) && v2.P99Ms > t.P99FloorMs && v2.P99Ms > t.MaxP99Ratio * v1.P99Ms)
                failures.Add($"v2 p99 {v2.P99Ms:F1} ms > {t.MaxP99Ratio:G} x v1's {v1.P99Ms:F1} ms");
        }
        if (agreement is { } a && a < t.MinAgreement)
            failures.Add($"agreement {a:P1} < {t.MinAgreement:P0}");
        if (v1.Labels >= t.MinFeedback && v2.Labels >= t.MinFeedback)
        {
            Proportion a1 = v1.Accuracy, a2 = v2.Accuracy;
            if (a2.Value < a1.Value - t.MaxAccuracyDrop && a2.High < a1.Value)
                failures.Add($"v2 accuracy {a2.Value:P1} [{a2.Low:P1}-{a2.High:P1}, {a2.Trials} labels] < v1's {a1.Value:P1} - {t.MaxAccuracyDrop * 100:F0} pt");
        }

        return failures.Count == 0
            ? new(weight, Verdict.Pass, "within thresholds", v1, v2, agreement)
            : new(weight, Verdict.Fail, string.Join("; ", failures), v1, v2, agreement);
    }
}

/// <summary>
/// Steps of weight, as Argo Rollouts' <c>setWeight</c> steps with an analysis each: a passed check
/// moves to the next weight (or promotes after the last); a failed one is retried at the same
/// weight until <c>failureLimit</c> failures in all, then rolls back; a held one (too little
/// traffic) waits, and rolls back once the step has waited longer than <c>maxWait</c>.
/// </summary>
public sealed class RolloutPlan(IReadOnlyList<int> steps, int failureLimit, TimeSpan maxWait)
{
    public IReadOnlyList<int> Steps { get; } = steps.Count > 0 && steps.All(s => s is > 0 and <= 100) && steps.SequenceEqual(steps.Order())
        ? steps
        : throw new ArgumentException($"Steps must be rising percentages in 1..100: {string.Join(',', steps)}", nameof(steps));

    public int FailureLimit { get; } = failureLimit;
    public int StepIndex { get; private set; }
    public int Failures { get; private set; }
    public int Weight => Steps[StepIndex];

    /// <param name="check">The check at <see cref="Weight"/>.</param>
    /// <param name="waitedAtStep">How long this step has run so far.</param>
    public RolloutAction Next(Check check, TimeSpan waitedAtStep)
    {
        switch (check.Verdict)
        {
            case Verdict.Pass when StepIndex == Steps.Count - 1:
                return RolloutAction.Promote;
            case Verdict.Pass:
                StepIndex++;
                return RolloutAction.Advance;
            case Verdict.Fail:
                Failures++;
                return Failures >= FailureLimit ? RolloutAction.Rollback : RolloutAction.Wait;
            default:
                return waitedAtStep > maxWait ? RolloutAction.Rollback : RolloutAction.Wait;
        }
    }
}

/// <summary>
/// Which requests a check judges. The range grows while a step holds for traffic, and starts again at
/// each step and after each failed check: the retry then judges new requests only. A range since the
/// step began would keep one slow request (a p99 of a few dozen requests is their maximum) in every
/// check of the step, and that request alone would roll a healthy challenger back at the failure limit.
/// Flagger's checks likewise each query their own interval.
/// </summary>
/// <param name="minRange">The shortest range a query can have (two scrapes); a retry waits for it, so that its
/// range does not reach back over the failed check's requests.</param>
public sealed class CheckWindow(TimeSpan minRange, DateTimeOffset stepStart)
{
    private DateTimeOffset _stepStart = stepStart, _start = stepStart;

    /// <summary>How long the step has run (for --max-wait).</summary>
    public TimeSpan AtStep(DateTimeOffset now) => now - _stepStart;

    /// <summary>The range of the check made at <paramref name="now"/>.</summary>
    public TimeSpan Range(DateTimeOffset now) => now - _start;

    /// <summary>How much longer to wait before a check, so that its range is at least the shortest one.</summary>
    public TimeSpan ShortBy(DateTimeOffset now) => now - _start < minRange ? minRange - (now - _start) : TimeSpan.Zero;

    public void Checked(Check check, DateTimeOffset now)
    {
        if (check.Verdict == Verdict.Fail) _start = now;
    }

    public void NextStep(DateTimeOffset now) => _stepStart = _start = now;
}
