using System.Globalization;
using System.Text;
using System.Text.Json;
using MlopsExam.Reports;

namespace MlopsExam.Tests.Reports;

/// <summary>
/// <c>make ab-report</c> without a stack: Prometheus's answers are canned (the figures of
/// <c>deployments/prometheus/rules/ab.rules.test.yml</c>, so rules and report agree on one example).
/// </summary>
public sealed class AbReportTests
{
    /// <summary>Answers <c>/api/v1/query</c> from a table of query -> result vector, and records the queries.</summary>
    private sealed class FakePrometheus(IReadOnlyDictionary<string, string> vectors) : HttpMessageHandler
    {
        public List<string> Queries { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal("/api/v1/query", request.RequestUri!.AbsolutePath);
            var query = Uri.UnescapeDataString(request.RequestUri.Query["?query=".Length..]);
            Queries.Add(query);
            var body = vectors.TryGetValue(query, out var result)
                ? $$$"""{"status":"success","data":{"resultType":"vector","result":[{{{result}}}]}}"""
                : """{"status":"success","data":{"resultType":"vector","result":[]}}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    private static string Sample(string name, string variant, string value, string extra = "") =>
        $$"""{"metric":{"__name__":"{{name}}","variant":"{{variant}}"{{extra}}},"value":[1764000000.123,"{{value}}"]}""";

    private static string Both(string name, string v1, string v2) => Sample(name, "v1", v1) + "," + Sample(name, "v2", v2);

    /// <summary>v1: 900 requests (90 errors), 450/750 positive, copies 250 sent + 25 dropped.
    /// v2: 300 requests, 0/300 positive, 200/250 shadow agreements. increase() is not whole.</summary>
    private static readonly Dictionary<string, string> Canned = new()
    {
        [AbReport.Series.Requests] = Both(AbReport.Series.Requests, "900.4", "299.6"),
        [AbReport.Series.RequestRate] = Both(AbReport.Series.RequestRate, "3", "1"),
        [AbReport.Series.Errors] = Both(AbReport.Series.Errors, "90", "0"),
        [AbReport.Series.P50] = Both(AbReport.Series.P50, "0.00015", "0.0003"),
        [AbReport.Series.P99] = Sample(AbReport.Series.P99, "v1", "0.000199") + "," + Sample(AbReport.Series.P99, "v2", "NaN"),
        [AbReport.Series.Predictions] = Both(AbReport.Series.Predictions, "750", "300"),
        [AbReport.Series.Positive] = Both(AbReport.Series.Positive, "450", "0"),
        [AbReport.Series.ShadowPredictions] = Sample(AbReport.Series.ShadowPredictions, "v2", "250"),
        [AbReport.Series.ShadowAgreements] = Sample(AbReport.Series.ShadowAgreements, "v2", "200"),
        [AbReport.Series.ShadowPositive] = Sample(AbReport.Series.ShadowPositive, "v2", "0.8"),
        [AbReport.Series.ShadowCopies] = Sample(AbReport.Series.ShadowCopies, "v1", "250", ",\"outcome\":\"sent\"")
            + "," + Sample(AbReport.Series.ShadowCopies, "v1", "25", ",\"outcome\":\"dropped\""),
    };

    private static async Task<(AbReport Report, FakePrometheus Fake)> ReportAsync(Dictionary<string, string>? vectors = null)
    {
        var fake = new FakePrometheus(vectors ?? Canned);
        using var http = new HttpClient(fake) { BaseAddress = new Uri("http://prometheus.test:9090/") };
        var report = await AbReport.QueryAsync(new PrometheusClient(http), "http://prometheus.test:9090/",
            new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        return (report, fake);
    }

    [Theory]
    [InlineData(0, 10, 0.0, 0.0, 0.2775)]
    [InlineData(5, 10, 0.5, 0.2366, 0.7634)]
    [InlineData(10, 10, 1.0, 0.7225, 1.0)]
    [InlineData(90, 900, 0.1, 0.0821, 0.1213)]
    public void Wilson_interval_matches_reference_values(long k, long n, double p, double low, double high)
    {
        var interval = Wilson.Interval(k, n);
        Assert.Equal(p, interval.Value, 4);
        Assert.Equal(low, interval.Low, 4);
        Assert.Equal(high, interval.High, 4);
    }

    [Fact]
    public void Wilson_interval_of_nothing_is_no_data_not_zero()
    {
        var none = Wilson.Interval(0, 0);
        Assert.False(none.HasData);
        Assert.True(double.IsNaN(none.Value) && double.IsNaN(none.Low) && double.IsNaN(none.High));
    }

    [Fact]
    public async Task Report_reads_the_recorded_series_and_computes_each_variant_with_counts_and_intervals()
    {
        var (report, _) = await ReportAsync();

        Assert.Equal(["v1", "v2"], report.Variants.Select(v => v.Variant));
        var (v1, v2) = (report.Variants[0], report.Variants[1]);
        Assert.Equal(900, v1.Requests); // extrapolated increase, rounded
        Assert.Equal(300, v2.Requests);
        Assert.Equal(0.75, v1.Share.Value, 9);
        Assert.Equal(1200, v1.Share.Trials);
        Assert.Equal((90, 900), (v1.Errors.Successes, v1.Errors.Trials));
        Assert.Equal(Wilson.Interval(90, 900), v1.Errors);
        Assert.Equal(0, v2.Errors.Value);
        Assert.Equal(0.15, v1.P50Ms, 9);
        Assert.Equal(0.199, v1.P99Ms, 9);
        Assert.True(double.IsNaN(v2.P99Ms));
        Assert.Equal((450, 750), (v1.Positive.Successes, v1.Positive.Trials));
        Assert.Equal((0, 300), (v2.Positive.Successes, v2.Positive.Trials));
        Assert.False(v1.ShadowAgreement.HasData); // v1 is never the shadow
        Assert.Equal((200, 250), (v2.ShadowAgreement.Successes, v2.ShadowAgreement.Trials));
        Assert.Equal((200, 250), (v2.ShadowPositive.Successes, v2.ShadowPositive.Trials));
        Assert.Equal(new Dictionary<string, long> { ["sent"] = 250, ["dropped"] = 25 }, v1.ShadowCopies);
    }

    [Fact]
    public async Task Every_series_the_report_reads_is_recorded_by_the_rules()
    {
        var (_, fake) = await ReportAsync();
        var rules = File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "rules", "ab.rules.yml"));

        var feedbackRules = File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "rules", "feedback.rules.yml"));

        Assert.Equal(AbReport.Series.All.Append(AbReport.FeedbackSeries.Labels).Append(AbReport.FeedbackSeries.Correct).Order(), fake.Queries.Order());
        foreach (var series in AbReport.Series.All)
            Assert.Contains($"- record: {series}\n", rules.ReplaceLineEndings("\n"));
        foreach (var series in new[] { AbReport.FeedbackSeries.Labels, AbReport.FeedbackSeries.Correct })
            Assert.Contains($"- record: {series}\n", feedbackRules.ReplaceLineEndings("\n"));
    }

    /// <summary>The figures of feedback.rules.test.yml: v1 (m1) 480/600 correct, v2 (m2) 60/120; the accuracy per
    /// variant is correct/labels with its Wilson interval, in the table too.</summary>
    [Fact]
    public async Task Accuracy_per_variant_from_the_feedback_labels_has_its_Wilson_interval()
    {
        static string Served(string name, string variant, string model, string value) =>
            $$"""{"metric":{"__name__":"{{name}}","served_variant":"{{variant}}","served_model_id":"{{model}}"},"value":[1764000000.123,"{{value}}"]}""";
        var vectors = new Dictionary<string, string>(Canned)
        {
            [AbReport.FeedbackSeries.Labels] = Served(AbReport.FeedbackSeries.Labels, "v1", "m1", "600") + "," + Served(AbReport.FeedbackSeries.Labels, "v2", "m2", "120"),
            [AbReport.FeedbackSeries.Correct] = Served(AbReport.FeedbackSeries.Correct, "v1", "m1", "480") + "," + Served(AbReport.FeedbackSeries.Correct, "v2", "m2", "60"),
        };
        var (report, _) = await ReportAsync(vectors);

        Assert.Equal([("v1", "m1", 480L, 600L), ("v2", "m2", 60L, 120L)],
            report.Feedback.Select(f => (f.Variant, f.ModelId, f.Accuracy.Successes, f.Accuracy.Trials)));
        Assert.Equal(Wilson.Interval(480, 600), report.Feedback[0].Accuracy);
        Assert.Contains("accuracy from feedback (last 1h), v1 (m1): 80.0% (480/600) [76.6-83.0]", report.ToTable());
    }

    [Fact]
    public async Task Table_shows_rates_with_counts_and_intervals_and_a_dash_where_there_is_no_data()
    {
        var (report, _) = await ReportAsync();
        var table = report.ToTable();
        var v1 = table.Split('\n').Single(l => l.StartsWith("v1  ", StringComparison.Ordinal));
        var v2 = table.Split('\n').Single(l => l.StartsWith("v2  ", StringComparison.Ordinal));

        Assert.Contains("75.0% [", v1);
        Assert.Contains("10.0% (90/900) [8.2-12.1]", v1);
        Assert.Contains("60.0% (450/750)", v1);
        Assert.Contains("0.150", v1);
        Assert.EndsWith("-", v1.TrimEnd()); // no agreement for the served-only variant
        Assert.Contains("80.0% (200/250) [74.6-84.5]", v2);
        Assert.Contains("shadow copies from v1: dropped 25, sent 250", table);
        Assert.Contains("A/B comparison over the last 5m at 2026-11-25 12:00:00Z", table);
    }

    [Fact]
    public async Task Chart_and_json_are_written()
    {
        var (report, _) = await ReportAsync();
        var dir = Directory.CreateTempSubdirectory("ab-report-test");
        try
        {
            var png = Path.Combine(dir.FullName, "ab-report.png");
            AbChart.Save(report, png);
            var bytes = File.ReadAllBytes(png);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.True(bytes.Length > 20_000, $"a {bytes.Length}-byte PNG is too small to hold six panels");

            var json = JsonSerializer.Serialize(report, AbReportJson.Options);
            var variants = JsonDocument.Parse(json).RootElement.GetProperty("variants");
            Assert.Equal(2, variants.GetArrayLength());
            Assert.Equal(200, variants[1].GetProperty("shadowAgreement").GetProperty("successes").GetInt64());
            Assert.Equal("NaN", variants[1].GetProperty("p99Ms").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_refused_query_says_why()
    {
        var handler = new RefusingPrometheus();
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://prometheus.test:9090/") };
        var ex = await Assert.ThrowsAsync<PrometheusException>(() => new PrometheusClient(http).QueryAsync("rate(x["));
        Assert.Contains("bad_data", ex.Message);
        Assert.Contains("parse error", ex.Message);
    }

    private sealed class RefusingPrometheus : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadRequest)
            {
                Content = new StringContent("""{"status":"error","errorType":"bad_data","error":"1:8: parse error: unclosed left bracket"}"""),
            });
    }
}
