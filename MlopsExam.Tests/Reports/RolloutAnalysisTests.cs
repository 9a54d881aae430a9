using MlopsExam.Reports.Rollout;

namespace MlopsExam.Tests.Reports;

/// <summary>make rollout's decisions (MlopsExam.Reports/Rollout/RolloutAnalysis.cs): each threshold,
/// held steps, the failure limit, promotion after the last step.</summary>
public sealed class RolloutAnalysisTests
{
    private static readonly RolloutThresholds Defaults = new();
    private static readonly VariantFigures HealthyV1 = new(Requests: 1000, Errors: 0, P99Ms: 10);

    private static Check Analyse(VariantFigures v2, VariantFigures? v1 = null, double? agreement = null, int weight = 25) =>
        RolloutAnalysis.Analyse(weight, v1 ?? HealthyV1, v2, agreement, Defaults);

    [Fact]
    public void A_challenger_like_the_champion_passes() =>
        Assert.Equal(Verdict.Pass, Analyse(new(200, 0, 12)).Verdict);

    [Theory]
    [InlineData(200, 3, 10, "v2 error ratio 1.50")] // 1.5 % > 1 % (and within v1's 1 % + 1 pt: only the absolute limit catches it)
    [InlineData(200, 2, 0, null)]            // 1 %: at the limit, passes
    public void Error_ratio_above_one_percent_fails(double requests, double errors, double v1Errors, string? reason)
    {
        var check = Analyse(new(requests, errors, 12), HealthyV1 with { Errors = v1Errors });
        Assert.Equal(reason is null ? Verdict.Pass : Verdict.Fail, check.Verdict);
        if (reason is not null) Assert.Contains(reason, check.Reason);
    }

    [Fact]
    public void Error_ratio_more_than_one_point_above_v1s_fails_even_under_the_absolute_limit()
    {
        var loose = Defaults with { MaxErrorRatio = 0.5 };
        var check = RolloutAnalysis.Analyse(25, HealthyV1 with { Errors = 10 }, new(200, 5, 12), null, loose); // 2.5 % vs 1 % + 1 pt
        Assert.Equal(Verdict.Fail, check.Verdict);
        Assert.Contains("v1's", check.Reason);
        Assert.Equal(Verdict.Pass, RolloutAnalysis.Analyse(25, HealthyV1 with { Errors = 20 }, new(200, 5, 12), null, loose).Verdict); // 2.5 % vs 2 % + 1 pt
    }

    [Theory]
    [InlineData(21, Verdict.Fail)]  // > 2 x v1's 10 ms
    [InlineData(20, Verdict.Pass)]
    [InlineData(300, Verdict.Fail)] // API_V2_FAULT_DELAY_MS=300: 30 x v1's
    [InlineData(501, Verdict.Fail)] // > 500 ms even when v1 is as slow
    public void P99_above_twice_v1s_or_500_ms_fails(double p99, Verdict expected)
    {
        var v1 = p99 > 500 ? HealthyV1 with { P99Ms = 400 } : HealthyV1;
        Assert.Equal(expected, Analyse(new(200, 0, p99), v1).Verdict);
    }

    [Fact]
    public void A_sub_floor_p99_passes_the_ratio_rule_whatever_v1s()
    {
        var fastV1 = HealthyV1 with { P99Ms = 0.5 };
        Assert.Equal(Verdict.Pass, Analyse(new(200, 0, 4.9), fastV1).Verdict);  // 10 x, but under the 10 ms floor
        Assert.Equal(Verdict.Fail, Analyse(new(200, 0, 10.5), fastV1).Verdict); // above the floor: the ratio counts
    }

    [Theory]
    [InlineData(100, 90, 100, 70, Verdict.Fail)]  // 70 % vs 90 %: 20 points, v2's interval [60.4-78.0] % below 90 %
    [InlineData(100, 90, 100, 86, Verdict.Pass)]  // 4 points: within the 5-point drop
    [InlineData(40, 34, 40, 31, Verdict.Pass)]    // 77.5 % vs 85 %, but v2's interval [62.5-87.7] % holds v1's 85 %: noise
    [InlineData(100, 90, 20, 5, Verdict.Pass)]    // 25 %, but 20 labels < 30: no accuracy check yet
    [InlineData(100, 70, 100, 90, Verdict.Pass)]  // v2 better
    public void Live_accuracy_fails_a_clearly_worse_challenger_once_both_have_enough_feedback(
        double v1Labels, double v1Correct, double v2Labels, double v2Correct, Verdict expected)
    {
        var check = Analyse(new(200, 0, 12, v2Labels, v2Correct), HealthyV1 with { Labels = v1Labels, Correct = v1Correct });
        Assert.Equal(expected, check.Verdict);
        if (expected == Verdict.Fail) Assert.Contains("v2 accuracy 70.0 %", check.Reason);
    }

    [Fact]
    public void Low_agreement_with_shadow_traffic_fails_and_no_shadow_traffic_is_not_checked()
    {
        Assert.Equal(Verdict.Fail, Analyse(new(200, 0, 12), agreement: 0.6).Verdict);
        Assert.Equal(Verdict.Pass, Analyse(new(200, 0, 12), agreement: 0.9).Verdict);
        Assert.Equal(Verdict.Pass, Analyse(new(200, 0, 12), agreement: null).Verdict);
    }

    [Fact]
    public void Too_little_traffic_holds_the_step_whatever_the_figures()
    {
        Assert.Equal(Verdict.Hold, Analyse(new(49, 49, 9999)).Verdict);
        Assert.Equal(Verdict.Hold, Analyse(new(200, 0, 12), v1: new(10, 0, 10)).Verdict);
        // At 100 % v1 gets no traffic: only v2's count matters, and only the absolute thresholds.
        Assert.Equal(Verdict.Pass, Analyse(new(200, 0, 12), v1: new(0, 0, double.NaN), weight: 100).Verdict);
    }

    [Fact]
    public void Passed_checks_advance_then_promote_after_the_last_step()
    {
        var plan = new RolloutPlan([5, 50, 100], failureLimit: 2, maxWait: TimeSpan.FromMinutes(1));
        var pass = Analyse(new(200, 0, 12));
        Assert.Equal(RolloutAction.Advance, plan.Next(pass, TimeSpan.Zero));
        Assert.Equal(50, plan.Weight);
        Assert.Equal(RolloutAction.Advance, plan.Next(pass, TimeSpan.Zero));
        Assert.Equal(100, plan.Weight);
        Assert.Equal(RolloutAction.Promote, plan.Next(pass, TimeSpan.Zero));
    }

    [Fact]
    public void Failed_checks_retry_the_step_and_roll_back_at_the_failure_limit()
    {
        var plan = new RolloutPlan([5, 50, 100], failureLimit: 2, maxWait: TimeSpan.FromMinutes(1));
        var fail = Analyse(new(200, 40, 12));
        Assert.Equal(RolloutAction.Wait, plan.Next(fail, TimeSpan.Zero));
        Assert.Equal(5, plan.Weight);
        Assert.Equal(RolloutAction.Rollback, plan.Next(fail, TimeSpan.Zero));
    }

    [Fact]
    public void A_held_step_waits_and_rolls_back_after_max_wait()
    {
        var plan = new RolloutPlan([5, 100], failureLimit: 2, maxWait: TimeSpan.FromSeconds(30));
        var hold = Analyse(new(1, 0, 12));
        Assert.Equal(RolloutAction.Wait, plan.Next(hold, TimeSpan.FromSeconds(29)));
        Assert.Equal(RolloutAction.Rollback, plan.Next(hold, TimeSpan.FromSeconds(31)));
        Assert.Equal(0, plan.Failures);
    }

    [Fact]
    public void A_retry_after_a_failed_check_judges_only_the_requests_since_then()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var window = new CheckWindow(TimeSpan.FromSeconds(10), t0);
        var fail = Analyse(new(200, 0, 500));
        var hold = Analyse(new(10, 0, 12));
        Assert.Equal(TimeSpan.FromSeconds(5), window.ShortBy(t0.AddSeconds(5))); // the first check waits for two scrapes
        window.Checked(hold, t0.AddSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(20), window.Range(t0.AddSeconds(20))); // a held step keeps its requests
        window.Checked(fail, t0.AddSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(5), window.ShortBy(t0.AddSeconds(25))); // the retry waits until its range is past the failure
        Assert.Equal(TimeSpan.FromSeconds(10), window.Range(t0.AddSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(30), window.AtStep(t0.AddSeconds(30))); // --max-wait still counts from the step's start
        window.NextStep(t0.AddSeconds(40));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)), (window.Range(t0.AddSeconds(45)), window.AtStep(t0.AddSeconds(45))));
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 50, 10 })]
    [InlineData(new[] { 0, 100 })]
    [InlineData(new[] { 50, 101 })]
    public void Steps_must_be_rising_percentages(int[] steps) =>
        Assert.Throws<ArgumentException>(() => new RolloutPlan(steps, 2, TimeSpan.FromMinutes(1)));

    [Theory]
    [InlineData("15s", 15)]
    [InlineData("2m", 120)]
    [InlineData("500ms", 0.5)]
    [InlineData("7", 7)]
    public void Durations_read_as_the_options_say(string text, double seconds) =>
        Assert.Equal(seconds, RolloutCommand.Duration(text).TotalSeconds);
}

/// <summary>The model store the rollout writes (MlopsExam.Reports/Rollout/ModelStore.cs): selections, checks, history.</summary>
public sealed class ModelStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mlopsexam-store-").FullName;

    public ModelStoreTests()
    {
        foreach (var v in new[] { "v1", "v2" })
            foreach (var f in new[] { $"sentiment-{v}.zip", $"sentiment-{v}.metrics.json" })
                File.Copy(RepoLayout.Path("models", f), Path.Combine(_dir, f));
    }

    [Fact]
    public void Promote_then_restore_walks_the_history_back_to_the_default()
    {
        var store = new ModelStore(_dir);
        Assert.Equal("sentiment-v1.zip", store.Selected("v1"));
        store.Promote("sentiment-v2.zip");
        Assert.Equal("sentiment-v2.zip", store.Selected("v1"));
        Assert.True(store.RestorePrevious());
        Assert.Equal("sentiment-v1.zip", store.Selected("v1"));
        Assert.False(store.RestorePrevious());
    }

    [Fact]
    public void An_altered_or_missing_model_has_a_problem()
    {
        var store = new ModelStore(_dir);
        Assert.Null(store.Problem("sentiment-v2.zip"));
        Assert.Contains("does not exist", store.Problem("sentiment-v9.zip"));
        File.AppendAllText(Path.Combine(_dir, "sentiment-v2.zip"), "x");
        Assert.Contains("sha256", store.Problem("sentiment-v2.zip"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
