using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlopsExam.Tooling;

namespace MlopsExam.Reports.Rollout;

/// <summary>
/// <c>rollout</c>, <c>promote</c>, <c>rollback</c> (make rollout / promote / rollback): the canary
/// weight stepped through the gateway (canary-weight.sh), each step checked against Prometheus
/// (<see cref="RolloutAnalysis"/>), the challenger's model promoted to the v1 replicas at the end,
/// or the weight back to 0 on failure. Exit codes: 0 promoted (or done), 3 rolled back, 4 promotion
/// refused (the model failed its check), 1 error.
/// </summary>
public static class RolloutCommand
{
    public const int Promoted = 0, Error = 1, RolledBack = 3, Refused = 4;

    private static readonly Option<string> PrometheusOption = new("--prometheus")
    {
        HelpName = "URL",
        Description = "Prometheus base URL",
        DefaultValueFactory = _ => "http://127.0.0.1:9090",
    };

    public static IEnumerable<Command> Create()
    {
        var steps = new Option<string>("--steps") { HelpName = "W,W,...", Description = "Canary weights, in percent", DefaultValueFactory = _ => "5,10,25,50,100" };
        var interval = new Option<string>("--interval") { HelpName = "DURATION", Description = "Time at each step before a check (e.g. 15s, 1m)", DefaultValueFactory = _ => "30s" };
        var minRequests = new Option<int>("--min-requests") { Description = "Requests each variant must serve at a step before it is checked", DefaultValueFactory = _ => 50 };
        var maxWait = new Option<string>("--max-wait") { HelpName = "DURATION", Description = "Longest a step waits for traffic; then the rollout rolls back", DefaultValueFactory = _ => "5m" };
        var failureLimit = new Option<int>("--failure-limit") { Description = "Failed checks that roll back", DefaultValueFactory = _ => 2 };
        var maxErrorRatio = new Option<double>("--max-error-ratio") { Description = "v2's highest error ratio (0.01: 1 %)", DefaultValueFactory = _ => 0.01 };
        var maxErrorOverV1 = new Option<double>("--max-error-ratio-over-v1") { Description = "v2's error ratio at most v1's plus this", DefaultValueFactory = _ => 0.01 };
        var maxP99Ratio = new Option<double>("--max-p99-ratio") { Description = "v2's p99 at most this many times v1's", DefaultValueFactory = _ => 2 };
        var maxP99Ms = new Option<double>("--max-p99-ms") { Description = "v2's highest p99, milliseconds", DefaultValueFactory = _ => 500 };
        var p99Floor = new Option<double>("--p99-floor-ms") { Description = "A v2 p99 under this passes the ratio rule (noise)", DefaultValueFactory = _ => 10 };
        var minAgreement = new Option<double>("--min-agreement") { Description = "With shadow traffic: v2's lowest agreement with v1", DefaultValueFactory = _ => 0.8 };
        var minFeedback = new Option<int>("--min-feedback") { Description = "Feedback labels each variant needs (since the rollout began) before accuracy is checked", DefaultValueFactory = _ => 30 };
        var maxAccuracyDrop = new Option<double>("--max-accuracy-drop") { Description = "v2's live accuracy at most this below v1's (0.05: 5 points), beyond noise", DefaultValueFactory = _ => 0.05 };
        var output = new Option<string>("--out") { HelpName = "DIR", Description = "Where rollout.json and rollout.png go", DefaultValueFactory = _ => Path.Combine(".artifacts", "rollout") };

        var rollout = new Command("rollout", "Step the canary weight, check v2 against v1 in Prometheus at each step, promote or roll back (make rollout)")
        {
            PrometheusOption, steps, interval, minRequests, maxWait, failureLimit, maxErrorRatio, maxErrorOverV1, maxP99Ratio, maxP99Ms, p99Floor, minAgreement, minFeedback, maxAccuracyDrop, output,
        };
        rollout.SetAction(async (parse, ct) =>
        {
            try
            {
                var plan = new RolloutPlan(
                    parse.GetValue(steps)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(),
                    parse.GetValue(failureLimit), Duration(parse.GetValue(maxWait)!));
                var thresholds = new RolloutThresholds
                {
                    MinRequests = parse.GetValue(minRequests),
                    MaxErrorRatio = parse.GetValue(maxErrorRatio),
                    MaxErrorRatioOverV1 = parse.GetValue(maxErrorOverV1),
                    MaxP99Ratio = parse.GetValue(maxP99Ratio),
                    MaxP99Ms = parse.GetValue(maxP99Ms),
                    P99FloorMs = parse.GetValue(p99Floor),
                    MinAgreement = parse.GetValue(minAgreement),
                    MinFeedback = parse.GetValue(minFeedback),
                    MaxAccuracyDrop = parse.GetValue(maxAccuracyDrop),
                };
                using var context = new RolloutContext(parse.GetValue(PrometheusOption)!);
                return await RunRolloutAsync(context, plan, thresholds, Duration(parse.GetValue(interval)!), parse.GetValue(output)!, ct);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
            {
                Console.Error.WriteLine($"rollout: {ex.Message}");
                return Error;
            }
        });

        var promote = new Command("promote", "The v1 replicas serve the challenger's model (checked first), the canary weight returns to 0 (make promote)") { PrometheusOption };
        promote.SetAction(async (parse, ct) =>
        {
            using var context = new RolloutContext(parse.GetValue(PrometheusOption)!);
            return await PromoteAsync(context, ct);
        });

        var rollback = new Command("rollback", "Canary weight 0; after a promotion, the v1 replicas serve the previous champion again (make rollback)") { PrometheusOption };
        rollback.SetAction(async (parse, ct) =>
        {
            using var context = new RolloutContext(parse.GetValue(PrometheusOption)!);
            return await RollbackAsync(context, ct);
        });
        return [rollout, promote, rollback];
    }

    /// <summary>"15s", "2m", "500ms", or a number of seconds.</summary>
    public static TimeSpan Duration(string text) =>
        text.EndsWith("ms", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture))
        : text.EndsWith('s') ? TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture))
        : text.EndsWith('m') ? TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture))
        : TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

    private static async Task<int> RunRolloutAsync(RolloutContext c, RolloutPlan plan, RolloutThresholds t, TimeSpan interval, string outDir, CancellationToken ct)
    {
        var events = new List<RolloutEvent>();
        var started = DateTimeOffset.UtcNow;
        var challenger = c.Store.Selected("v2");
        Console.WriteLine($"rollout: {challenger} ({c.Store.ModelId(challenger)}) over steps {string.Join(", ", plan.Steps.Select(s => s + "%"))}, " +
            $"interval {interval.TotalSeconds:F0}s, min {t.MinRequests} requests, failure limit {plan.FailureLimit}");
        int exit;
        try
        {
            await c.SetWeightAsync(plan.Weight, ct);
            var window = new CheckWindow(RolloutContext.MinRange, DateTimeOffset.UtcNow);
            events.Add(RolloutEvent.Of(started, "weight", plan.Weight, null));
            while (true)
            {
                await Task.Delay(interval, ct);
                var shortBy = window.ShortBy(DateTimeOffset.UtcNow);
                if (shortBy > TimeSpan.Zero) await Task.Delay(shortBy, ct);
                var now = DateTimeOffset.UtcNow;
                var check = await c.CheckAsync(plan.Weight, window.Range(now), now - started, t, ct);
                var action = plan.Next(check, window.AtStep(now));
                window.Checked(check, now);
                Console.WriteLine($"  {(DateTimeOffset.UtcNow - started).TotalSeconds,5:F0}s  weight {check.Weight,3}%  " +
                    $"v1 {check.V1.Requests,5:F0} req {check.V1.ErrorRatio,7:P2} err p99 {check.V1.P99Ms,6:F1} ms | " +
                    $"v2 {check.V2.Requests,5:F0} req {check.V2.ErrorRatio,7:P2} err p99 {check.V2.P99Ms,6:F1} ms" +
                    (check.Agreement is { } a ? $" | agreement {a:P1}" : "") +
                    (check.V2.Labels > 0 ? $" | accuracy v1 {check.V1.Accuracy.Value:P1} ({check.V1.Labels:F0}) v2 {check.V2.Accuracy.Value:P1} ({check.V2.Labels:F0})" : "") +
                    $"  {check.Verdict.ToString().ToLowerInvariant()} ({check.Reason}) -> {action.ToString().ToLowerInvariant()}");
                events.Add(RolloutEvent.Of(started, action.ToString().ToLowerInvariant(), check.Weight, check));
                if (action == RolloutAction.Advance)
                {
                    await c.SetWeightAsync(plan.Weight, ct);
                    window.NextStep(DateTimeOffset.UtcNow);
                    events.Add(RolloutEvent.Of(started, "weight", plan.Weight, null));
                }
                else if (action == RolloutAction.Rollback)
                {
                    await c.SetWeightAsync(0, ct);
                    events.Add(RolloutEvent.Of(started, "weight", 0, null));
                    Console.WriteLine($"rollout: rolled back after {plan.Failures} failed check(s): weight 0, every client on v1");
                    exit = RolledBack;
                    break;
                }
                else if (action == RolloutAction.Promote)
                {
                    exit = await PromoteAsync(c, ct);
                    events.Add(RolloutEvent.Of(started, exit == Promoted ? "promoted" : "promotion-refused", 0, null));
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or PrometheusException or InvalidOperationException)
        {
            Console.Error.WriteLine($"rollout: {ex.Message}; setting the weight back to 0");
            try { await c.SetWeightAsync(0, CancellationToken.None); } catch (InvalidOperationException) { }
            exit = Error;
        }

        Directory.CreateDirectory(outDir);
        var report = new RolloutReport(started, challenger, plan.Steps, t, exit, events);
        await File.WriteAllTextAsync(Path.Combine(outDir, "rollout.json"), JsonSerializer.Serialize(report, RolloutReport.Json), CancellationToken.None);
        RolloutChart.Save(report, Path.Combine(outDir, "rollout.png"));
        Console.WriteLine($"wrote {Path.Combine(outDir, "rollout.json")} and rollout.png; exit {exit}");
        return exit;
    }

    private static async Task<int> PromoteAsync(RolloutContext c, CancellationToken ct)
    {
        var challenger = c.Store.Selected("v2");
        var champion = c.Store.Selected("v1");
        if (c.Store.Problem(challenger) is { } problem)
        {
            Console.WriteLine($"promote: refused, {problem}; v1 keeps serving {champion}");
            await c.SetWeightAsync(0, ct);
            return Refused;
        }
        var modelId = c.Store.ModelId(challenger);
        var refusedBefore = await c.ScalarAsync("sum(sentiment_model_switches_total{variant=\"v1\",result=\"refused\"}) or vector(0)", ct);
        c.Store.Promote(challenger);
        Console.WriteLine($"promote: v1 replicas switch from {champion} to {challenger} ({modelId})");
        if (!await c.WaitForModelAsync("v1", modelId, refusedBefore, ct))
        {
            // A replica refused it (or never took it): every v1 replica back on the champion.
            c.Store.RestorePrevious();
            Console.WriteLine($"promote: refused by the v1 replicas; back to {champion}");
            await c.SetWeightAsync(0, ct);
            return Refused;
        }
        await c.SetWeightAsync(0, ct);
        Console.WriteLine($"promote: every v1 replica serves {modelId}; weight 0");
        return Promoted;
    }

    private static async Task<int> RollbackAsync(RolloutContext c, CancellationToken ct)
    {
        await c.SetWeightAsync(0, ct);
        var from = c.Store.Selected("v1");
        if (!c.Store.RestorePrevious())
        {
            Console.WriteLine($"rollback: weight 0; no promotion to undo, v1 serves {from}");
            return Promoted;
        }
        var to = c.Store.Selected("v1");
        var modelId = c.Store.ModelId(to);
        Console.WriteLine($"rollback: weight 0; v1 replicas switch back from {from} to {to} ({modelId})");
        var refusedBefore = await c.ScalarAsync("sum(sentiment_model_switches_total{variant=\"v1\",result=\"refused\"}) or vector(0)", ct);
        if (!await c.WaitForModelAsync("v1", modelId, refusedBefore, ct))
        {
            Console.Error.WriteLine($"rollback: the v1 replicas did not all report {modelId}");
            return Error;
        }
        Console.WriteLine($"rollback: every v1 replica serves {modelId}");
        return Promoted;
    }
}

/// <summary>The stack the commands act on: Prometheus, the gateway's canary-weight.sh, the model store.</summary>
internal sealed class RolloutContext : IDisposable
{
    private readonly HttpClient _http;
    private readonly PrometheusClient _prometheus;
    private readonly string _root = RepoRoot.Find();

    public RolloutContext(string prometheusUrl)
    {
        _http = new HttpClient { BaseAddress = new Uri(prometheusUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
        _prometheus = new PrometheusClient(_http);
        Store = new ModelStore(Path.Combine(_root, "models"));
    }

    public ModelStore Store { get; }

    public async Task SetWeightAsync(int weight, CancellationToken ct)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(_root, "scripts", "gateway-exec.sh"),
            ["canary-weight.sh", weight.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30), _root, ct: ct);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"setting the canary weight to {weight} failed: {result.Output.Trim()}");
    }

    public async Task<double> ScalarAsync(string query, CancellationToken ct) =>
        (await _prometheus.QueryAsync(query, ct)) is [var sample, ..] ? sample.Value : double.NaN;

    /// <summary>The shortest range a check queries: two scrapes at Prometheus's 5 s interval, so that increase() has two samples.</summary>
    public static readonly TimeSpan MinRange = TimeSpan.FromSeconds(10);

    /// <param name="window">The requests judged (<see cref="CheckWindow"/>): traffic, errors, latency.</param>
    /// <param name="sinceStart">Since the rollout began: feedback labels, which come late and few.</param>
    public async Task<Check> CheckAsync(int weight, TimeSpan window, TimeSpan sinceStart, RolloutThresholds t, CancellationToken ct)
    {
        var w = $"[{(int)Math.Max(MinRange.TotalSeconds, window.TotalSeconds)}s]";
        var all = $"[{(int)Math.Max(MinRange.TotalSeconds, sinceStart.TotalSeconds)}s]";
        async Task<VariantFigures> FiguresAsync(string v)
        {
            var requests = Zero(await ScalarAsync($"sum(increase(http_server_request_duration_seconds_count{{variant=\"{v}\",http_route=\"/predict\"}}{w}))", ct));
            var errors = Zero(await ScalarAsync($"sum(increase(http_server_request_duration_seconds_count{{variant=\"{v}\",http_route=\"/predict\",http_response_status_code!~\"2..\"}}{w}))", ct));
            // Requests routed to this variant that its backup answered (v1 standing in for a failed v2): its failures too.
            var fallbacks = Zero(await ScalarAsync($"sum(increase(sentiment_variant_fallbacks_total{{requested_variant=\"{v}\"}}{w}))", ct));
            var p99 = await ScalarAsync($"histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{{variant=\"{v}\",http_route=\"/predict\"}}{w}))) * 1000", ct);
            // Live accuracy (MlopsExam.Api/Feedback): labels given for this variant's answers, and the right ones.
            var labels = Zero(await ScalarAsync($"sum(increase(sentiment_feedback_labels_total{{served_variant=\"{v}\"}}{all}))", ct));
            var correct = Zero(await ScalarAsync($"sum(increase(sentiment_feedback_correct_total{{served_variant=\"{v}\"}}{all}))", ct));
            return new VariantFigures(requests + fallbacks, errors + fallbacks, p99, Math.Round(labels), Math.Round(correct));
        }
        var v1 = await FiguresAsync("v1");
        var v2 = await FiguresAsync("v2");
        var agree = Zero(await ScalarAsync($"sum(increase(sentiment_shadow_predictions_total{{agreement=\"agree\"}}{w}))", ct));
        var shadow = Zero(await ScalarAsync($"sum(increase(sentiment_shadow_predictions_total{w}))", ct));
        return RolloutAnalysis.Analyse(weight, v1, v2, shadow >= 1 ? agree / shadow : null, t);
    }

    /// <summary>Waits until every v1 replica Prometheus scrapes reports <paramref name="modelId"/>
    /// (sentiment_model_info); false when one refused a switch meanwhile, or after a minute.</summary>
    public async Task<bool> WaitForModelAsync(string variant, string modelId, double refusedBefore, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var replicas = Zero(await ScalarAsync($"count(up{{job=\"api\",variant=\"{variant}\"}} == 1)", ct));
            var serving = Zero(await ScalarAsync($"count(sentiment_model_info{{variant=\"{variant}\",model_id=\"{modelId}\"}})", ct));
            var refused = Zero(await ScalarAsync($"sum(sentiment_model_switches_total{{variant=\"{variant}\",result=\"refused\"}}) or vector(0)", ct));
            if (refused > Zero(refusedBefore)) return false;
            if (replicas > 0 && serving >= replicas) return true;
            await Task.Delay(1000, ct);
        }
        return false;
    }

    private static double Zero(double value) => double.IsNaN(value) ? 0 : value;

    public void Dispose() => _http.Dispose();
}
