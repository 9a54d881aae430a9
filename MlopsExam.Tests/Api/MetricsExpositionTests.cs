using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using MlopsExam.Api.Shadow;

namespace MlopsExam.Tests.Api;

/// <summary>No other test runs beside these: the exporter of a host forgets a series when another
/// in-process host with the same meter is disposed (see <see cref="HostCounters"/>).</summary>
[CollectionDefinition(nameof(MetricsExposition), DisableParallelization = true)]
public sealed class MetricsExposition;

/// <summary>
/// The A/B series under the names Prometheus scrapes and <c>deployments/prometheus/rules/ab.rules.yml</c>
/// uses: dots become underscores, the unit and <c>_total</c> are appended.
/// </summary>
[Collection(nameof(MetricsExposition))]
public sealed class MetricsExpositionTests
{
    [Fact]
    public async Task Shadow_and_latency_series_appear_on_metrics_under_the_names_the_rules_use()
    {
        using var v2 = new ApiFactory("v2") { Configure = b => b.UseSetting("Serving:InstanceId", "api-v2-exposition") };
        using var v1 = new ApiFactory("v1")
        {
            Configure = b =>
            {
                b.UseSetting("Serving:InstanceId", "api-v1-exposition");
                b.UseSetting("Serving:ShadowUrl", "http://api-v2");
                b.ConfigureServices(s => s.AddHttpClient(ShadowSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => v2.Server.CreateHandler()));
            },
        };
        var client = v1.CreateClient();
        var marked = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = JsonContent.Create(new { sentence = "a delight" }) };
        marked.Headers.Add("X-Shadow", "1");
        (await client.SendAsync(marked)).EnsureSuccessStatusCode();
        using var bad = await client.PostAsync("/predict", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var v1Metrics = await PrometheusText.WaitForAsync(client, m =>
                PrometheusText.Sum(m, "sentiment_shadow_copies_total", ("replica", "api-v1-exposition"), ("outcome", "sent")) == 1
                && PrometheusText.Sum(m, "http_server_request_duration_seconds_count", ("replica", "api-v1-exposition"), ("http_route", "/predict")) == 2,
            "one copy sent and two requests timed");
        var v2Metrics = await PrometheusText.WaitForAsync(v2.CreateClient(), m =>
            PrometheusText.Sum(m, "sentiment_shadow_predictions_total", ("replica", "api-v2-exposition"), ("variant", "v2")) == 1, "one shadow prediction");

        Assert.Matches("sentiment_shadow_predictions_total\\{[^}]*agreement=\"(agree|disagree)\"[^}]*label=\"(positive|negative)\"[^}]*model_id=\"sentiment-v2", v2Metrics);
        // Whole /predict handling: ASP.NET Core's histogram, by route and status code, with the variant
        // the A/B rules group by, and buckets from 50 µs to 1 s. No second request histogram of our own.
        Assert.Equal(1, PrometheusText.Sum(v1Metrics, "http_server_request_duration_seconds_count", ("replica", "api-v1-exposition"), ("http_route", "/predict"), ("variant", "v1"), ("http_response_status_code", "200")));
        Assert.Equal(1, PrometheusText.Sum(v1Metrics, "http_server_request_duration_seconds_count", ("replica", "api-v1-exposition"), ("http_route", "/predict"), ("variant", "v1"), ("http_response_status_code", "400")));
        Assert.Equal(2, PrometheusText.Sum(v1Metrics, "http_server_request_duration_seconds_count", ("replica", "api-v1-exposition"), ("model_id", "sentiment-v1-ngram-lr")));
        Assert.DoesNotContain("sentiment_request_duration", v1Metrics);
        var bounds = PrometheusText.Samples(v1Metrics, "http_server_request_duration_seconds_bucket")
            .Select(s => s.Labels["le"]).Where(le => le != "+Inf").Distinct()
            .Select(le => double.Parse(le, CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(0.00005, bounds.First());
        Assert.Equal(1, bounds.Last());
        Assert.True(bounds.Count >= 12, $"bucket bounds: {string.Join(", ", bounds)}");
        // The model each replica serves now, under the name make rollout waits on after a promotion.
        Assert.Equal(1, PrometheusText.Sum(v1Metrics, "sentiment_model_info", ("replica", "api-v1-exposition"), ("model_id", "sentiment-v1-ngram-lr")));
    }
}
