using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlopsExam.Reports;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Experiments switched on (deployments/nginx/conf.d/ab-routing.conf): a weighted sticky canary, shadow
/// copies, and the report that compares the variants. The gateway is recreated with the knobs set and
/// the rate limit lifted (so 500 clients take seconds, not a minute), then with the stack's defaults.
/// </summary>
public sealed partial class ComposeOperationsTests
{
    private const int CanaryPercent = 20;
    private const int ShadowPercent = 50;

    private static readonly Dictionary<string, string> Experiments = new()
    {
        ["CANARY_PERCENT"] = CanaryPercent.ToString(CultureInfo.InvariantCulture),
        ["SHADOW_PERCENT"] = ShadowPercent.ToString(CultureInfo.InvariantCulture),
        ["RATE_LIMIT_RPS"] = "10000",
        ["RATE_LIMIT_BURST"] = "10000",
    };

    private async Task WithExperimentsAsync(Func<HttpClient, CancellationToken, Task> test)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await RecreateGatewayAsync(Experiments);
        try
        {
            using var client = stack.CreateClient(resendOnKeepAliveRace: true);
            await test(client, deadline.Token);
        }
        finally
        {
            await RecreateGatewayAsync();
        }
    }

    [Fact]
    public Task Canary_sends_its_share_of_clients_to_v2_each_client_keeps_its_variant_and_debug_overrides() =>
        WithExperimentsAsync(async (client, ct) =>
        {
            const int clients = 500;
            var first = new Dictionary<string, string>();
            for (var i = 0; i < clients; i++)
            {
                var served = await SendAsync(client, "canary", ct, clientId: $"client-{i}", paced: false);
                Assert.Equal(200, served.Status);
                Assert.Equal(served.Version, served.RoutedTo);
                first[$"client-{i}"] = served.Version!;
            }

            // Binomial(500, 0.20): mean 100, sd 8.9; 99.9 % of runs fall within +-3.29 sd, [71, 129].
            var v2 = first.Count(kv => kv.Value == "v2");
            Console.WriteLine($"canary {CanaryPercent} %: {v2} of {clients} clients on v2 ({100.0 * v2 / clients:F1} %)");
            Assert.InRange(v2, 71, 129);

            // Sticky: the same id always gets the same variant.
            foreach (var id in first.Keys.Where(k => first[k] == "v2").Take(10).Concat(first.Keys.Where(k => first[k] == "v1").Take(10)))
                for (var again = 0; again < 3; again++)
                    Assert.Equal(first[id], (await SendAsync(client, "again", ct, clientId: id, paced: false)).Version);

            // No X-Client-Id: the key is the client address, one variant for all of this client's requests.
            var byAddress = new HashSet<string?>();
            for (var i = 0; i < 10; i++) byAddress.Add((await SendAsync(client, "no id", ct, paced: false)).Version);
            Assert.Single(byAddress);

            // X-Experiment-Group: debug forces v2 whatever the split said.
            foreach (var id in first.Keys.Where(k => first[k] == "v1").Take(10))
                Assert.Equal("v2", (await SendAsync(client, "forced", ct, group: "debug", clientId: id, paced: false)).Version);
        });

    [Fact]
    public Task Shadow_copies_reach_v2_with_their_request_id_and_a_dead_v2_costs_the_client_nothing() =>
        WithExperimentsAsync(async (client, ct) =>
        {
            var copiesBefore = await SettledShadowPredictionsAsync(ct);
            // A client the canary keeps on v1, so every request is a candidate for a copy (the probes too).
            var answers = new List<Served>();
            string? id = null;
            for (var i = 0; id is null; i++)
            {
                var probe = await SendAsync(client, "probe", ct, clientId: $"shadow-client-{i}", paced: false);
                if (probe.Version == "v1") { id = $"shadow-client-{i}"; answers.Add(probe); }
            }

            for (var i = 0; i < 100; i++)
                answers.Add(await SendAsync(client, $"shadowed request {i}: a fine, moving film", ct, clientId: id, paced: false));
            // (A probe answered by v2 is no candidate: the canary sent it there, and v2 copies nothing.)
            // The client's answers are v1's, unchanged.
            Assert.All(answers, a => { Assert.Equal(200, a.Status); Assert.Equal("v1", a.Version); Assert.Equal("v1", a.RoutedTo); });
            var ours = answers.Select(a => a.RequestId!).ToHashSet();

            // Which of them the gateway marked (its access log), and which copies v2 predicted (its log).
            HashSet<string> marked = [], copied = [];
            while (!ct.IsCancellationRequested)
            {
                var gatewayLog = await LogsAsync("gateway", ct);
                // Every one of our requests is in the gateway's (buffered) log before its marks are counted.
                var logged = Matches(gatewayLog, "\"request_id\":\"(?<id>[0-9a-f]{32})\"", ours);
                marked = Matches(gatewayLog, "\"request_id\":\"(?<id>[0-9a-f]{32})\"[^\n]*\"shadow\":\"1\"", ours);
                copied = Matches(await LogsAsync("api-v2", ct), @"shadow request_id=(?<id>[0-9a-f]{32})", ours);
                if (logged.Count == ours.Count && marked.Count > 0 && copied.SetEquals(marked)) break;
                await Task.Delay(500, ct);
            }
            Console.WriteLine($"shadow {ShadowPercent} %: {marked.Count} of {ours.Count} requests marked, {copied.Count} predicted by v2");
            Assert.InRange(marked.Count, 25, 75);
            Assert.Equal(marked.Order(), copied.Order());
            // v2's counter grows by the number of copies (Prometheus scrapes every 5 s).
            while (await ShadowPredictionsAsync(ct) < copiesBefore + marked.Count) await Task.Delay(1000, ct);
            Assert.Equal(copiesBefore + marked.Count, await ShadowPredictionsAsync(ct));

            // v2 stopped: the client sees nothing of it.
            await ComposeAsync(null, "stop", "api-v2");
            try
            {
                for (var i = 0; i < 40; i++)
                {
                    var a = await SendAsync(client, $"v2 is down, request {i}", ct, clientId: id, paced: false);
                    Assert.Equal(200, a.Status);
                    Assert.Equal("v1", a.Version);
                }
            }
            finally
            {
                await ComposeAsync(null, "start", "api-v2");
                await ComposeAsync(null, "up", "--detach", "--no-recreate", "--wait", "api-v2");
            }
        });

    [Fact]
    public Task The_ab_report_compares_both_variants_from_prometheus_and_draws_its_picture() =>
        WithExperimentsAsync(async (client, ct) =>
        {
            // Traffic until each variant has served 60 requests, and on while Prometheus catches up, so
            // that the 5-minute window holds at least 60 of each whatever ran before.
            int v1 = 0, v2 = 0, n = 0;
            async Task RoundAsync()
            {
                for (var i = 0; i < 20; i++, n++)
                {
                    var canary = await SendAsync(client, $"report {n}: not bad at all", ct, clientId: $"report-{n}", paced: false);
                    var debug = await SendAsync(client, $"report {n}: dull and lifeless", ct, group: "debug", paced: false);
                    Assert.Equal(200, canary.Status);
                    Assert.Equal(200, debug.Status);
                    foreach (var version in new[] { canary.Version, debug.Version })
                        if (version == "v1") v1++; else v2++;
                }
            }
            while (v1 < 60 || v2 < 60) await RoundAsync();

            using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9090/"), Timeout = TimeSpan.FromSeconds(10) };
            var waited = System.Diagnostics.Stopwatch.StartNew();
            AbReport report;
            while (true)
            {
                report = await AbReport.QueryAsync(new PrometheusClient(http), "http://127.0.0.1:9090/", DateTimeOffset.UtcNow, ct);
                if (report.Variants.Any(v => v.Variant == "v1" && v.Requests >= 60) && report.Variants.Any(v => v.Variant == "v2" && v.Requests >= 60)) break;
                if (waited.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail($"the report never showed 60 requests of each variant:\n{report.ToTable()}");
                await RoundAsync();
                await Task.Delay(1000, ct);
            }

            var table = report.ToTable();
            Console.WriteLine(table);
            Assert.Contains("v1", table);
            Assert.Contains("v2", table);
            Assert.All(report.Variants, v => Assert.True(v.P50Ms > 0 && v.Positive.HasData, $"{v.Variant}: {v}"));

            var png = Path.Combine(Path.GetTempPath(), $"ab-report-{Guid.NewGuid():N}.png");
            try
            {
                AbChart.Save(report, png);
                var bytes = await File.ReadAllBytesAsync(png, ct);
                Assert.True(bytes.Length > 10_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{png}: {bytes.Length} bytes");
            }
            finally
            {
                File.Delete(png);
            }
        });

    private static HashSet<string> Matches(string log, string pattern, HashSet<string> ours) =>
        Regex.Matches(log, pattern).Select(m => m.Groups["id"].Value).Where(ours.Contains).ToHashSet();

    private static async Task<string> LogsAsync(string service, CancellationToken ct) =>
        (await DockerCli.RunCheckedAsync(["compose", "logs", "--no-color", "--no-log-prefix", service], ComposeTimeout, ct)).Stdout;

    /// <summary>The counter once copies of earlier requests have stopped arriving: two reads a scrape apart agree.</summary>
    private async Task<double> SettledShadowPredictionsAsync(CancellationToken ct)
    {
        var last = await ShadowPredictionsAsync(ct);
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(6), ct);
            var now = await ShadowPredictionsAsync(ct);
            if (now == last) return now;
            last = now;
        }
    }

    private async Task<double> ShadowPredictionsAsync(CancellationToken ct)
    {
        var result = JsonDocument.Parse(await stack.QueryPrometheusAsync(
                "/api/v1/query?query=" + Uri.EscapeDataString("sum(sentiment_shadow_predictions_total) or vector(0)"), ct))
            .RootElement.GetProperty("data").GetProperty("result");
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }
}
