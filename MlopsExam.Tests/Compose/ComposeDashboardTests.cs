using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// The compose stack's dashboard and Prometheus UI in a real browser (headless Debian chromium): what a person
/// opening `make dashboard`'s URL sees. Without the token, only the login page; with the login URL, the api
/// services' telemetry: a request's trace found by the request id the client got, the prediction counter per
/// variant; Prometheus lists every target up. Screenshots in .artifacts/screenshots/ (two are in the README).
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed partial class ComposeDashboardTests(ComposeStack stack) : IClassFixture<ComposeStack>, IAsyncLifetime
{
    /// <summary>Traces and logs leave a replica within the SDK's batch delay (5 s); metrics every 10 s.</summary>
    private static readonly TimeSpan TelemetryDeadline = TimeSpan.FromSeconds(90);

    private BrowserSession _browser = null!;

    public async Task InitializeAsync() => _browser = await BrowserSession.LaunchAsync();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    private static string Token => File.ReadAllText(RepoLayout.Path(".secrets", "dashboard_token")).Trim();

    /// <summary>The URL `make dashboard` prints: the UI on the loopback interface, with the browser token.</summary>
    private static string LoginUrl()
    {
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "dashboard.sh"), [], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"scripts/dashboard.sh failed ({code}): {output}");
        var url = output.Trim();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/login\?t=", url);
        Assert.EndsWith($"?t={Token}", url, StringComparison.Ordinal);
        return url;
    }

    private static string DashboardBase => new Uri(LoginUrl()).GetLeftPart(UriPartial.Authority);

    private async Task<IPage> LoggedInPageAsync()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(LoginUrl());
        // The token is exchanged for a cookie, then the dashboard's own pages.
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>One prediction through the gateway; the request id it answers with. It carries a W3C traceparent
    /// whose sampled flag is <paramref name="sampled"/>: the gateway samples a share of the requests
    /// (GATEWAY_TRACE_SAMPLE_PERCENT) and a client's own flags decide for its request.</summary>
    private async Task<string> PredictAsync(string? experimentGroup = null, bool sampled = true)
    {
        using var client = stack.CreateClient();
        using var request = stack.PredictRequest(GatewayStack.SentenceBody("A gripping, beautifully acted film."), experimentGroup: experimentGroup);
        request.Headers.TryAddWithoutValidation("traceparent",
            $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-{(sampled ? "01" : "00")}");
        using var response = await stack.SendPacedAsync(client, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("requestId").GetString()!;
    }

    [Fact]
    public async Task Without_the_token_the_dashboard_shows_its_login_page_only()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync($"{DashboardBase}/traces");
        await page.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal));
        await page.GetByText("token", new PageGetByTextOptions { Exact = false }).First.WaitForAsync();
        await BrowserSession.ScreenshotAsync(page, "dashboard-login");
        // A wrong token is refused the same way.
        await page.GotoAsync($"{DashboardBase}/login?t=not-the-token");
        await page.GotoAsync($"{DashboardBase}/traces");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_login_url_the_dashboard_lists_every_api_service_and_replica()
    {
        var v1Request = await PredictAsync();
        var v2Request = await PredictAsync(experimentGroup: "debug");
        var page = await LoggedInPageAsync();
        await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/structuredlogs",
            // A row's resource: each v1 replica is an instance of api-v1 named by its hostname (the container id);
            // api-v2, one replica, is its service's name alone.
            t => Regex.IsMatch(t, @"(?m)^api-v1-[0-9a-f]{12}\s*$") && Regex.IsMatch(t, @"(?m)^api-v2\s*$"),
            TelemetryDeadline, "log records of api-v1's and api-v2's replicas");
        await BrowserSession.ScreenshotAsync(page, "dashboard-structured-logs");
        // Each request's own prediction record, under the replica that served it. Waited for by trace id: the
        // replicas' startup records can fill the list before a batch with the prediction arrives.
        foreach (var (requestId, resource) in new[] { (v1Request, @"(?m)^api-v1-[0-9a-f]{12}\s*$"), (v2Request, @"(?m)^api-v2\s*$") })
        {
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/structuredlogs?traceId={requestId}",
                t => t.Contains("predict label=", StringComparison.Ordinal)
                     && t.Contains($"request_id={requestId}", StringComparison.Ordinal) && Regex.IsMatch(t, resource),
                TelemetryDeadline, $"the prediction record of {requestId}");
        }
    }

    [Fact]
    public async Task The_trace_of_a_request_is_found_by_the_request_id_the_client_got()
    {
        var requestId = await PredictAsync();
        // The gateway's $request_id is the trace id (conf.d/tracing.conf): 32 hex digits.
        Assert.Matches(HexTraceId(), requestId);
        var page = await LoggedInPageAsync();
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/traces/detail/{requestId}",
            t => t.Contains("POST /predict", StringComparison.Ordinal) && t.Contains("api-v1", StringComparison.Ordinal),
            TelemetryDeadline, $"the trace {requestId} with api-v1's POST /predict span");
        await BrowserSession.ScreenshotAsync(page, "dashboard-trace");
        Assert.Contains(requestId[..7], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_the_client_marks_unsampled_leaves_no_trace_and_no_log_record()
    {
        // The unsampled request first, then one sampled request per v1 replica (round robin): once the sampled ones'
        // traces are all in the dashboard, the replicas have exported everything they made before them.
        var unsampled = await PredictAsync(sampled: false);
        var sampled = new List<string>();
        for (var i = 0; i < 3; i++)
            sampled.Add(await PredictAsync());
        var page = await LoggedInPageAsync();
        foreach (var requestId in sampled)
        {
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/traces/detail/{requestId}",
                t => t.Contains("POST /predict", StringComparison.Ordinal), TelemetryDeadline, $"the sampled trace {requestId}");
        }

        // The structured logs of one trace (the trace detail's link): each sampled request's prediction record.
        foreach (var requestId in sampled)
        {
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/structuredlogs?traceId={requestId}",
                t => t.Contains($"request_id={requestId}", StringComparison.Ordinal), TelemetryDeadline, $"the log record of {requestId}");
        }

        await page.GotoAsync($"{DashboardBase}/traces/detail/{unsampled}");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.DoesNotContain("POST /predict", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        await page.GotoAsync($"{DashboardBase}/structuredlogs?traceId={unsampled}");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.DoesNotContain("predict label=", await page.InnerTextAsync("body"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_metrics_view_shows_the_prediction_counter_of_each_variant()
    {
        await PredictAsync();
        await PredictAsync(experimentGroup: "debug");
        var page = await LoggedInPageAsync();
        foreach (var (service, variant) in new[] { ("api-v1", "v1"), ("api-v2", "v2") })
        {
            // Every replica of the service together; the instrument is listed once a replica has exported it.
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/metrics/resource/{service}",
                t => t.Contains("sentiment.predictions", StringComparison.Ordinal), TelemetryDeadline, $"{service}'s instruments");
            await page.Locator("fluent-tree-item[title=\"sentiment.predictions\"]").ClickAsync();
            await page.GetByText("Predictions served, by variant, model and label.").WaitForAsync();
            // The chart's filters: the variant attribute and its value.
            await page.GetByText(variant, new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            // The chart is drawn once its legend (the instrument's unit, "Predictions") is.
            await page.GetByText("Predictions", new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            await BrowserSession.ScreenshotAsync(page, $"dashboard-metrics-{service}");
        }
    }

    [Fact]
    public async Task Prometheus_ui_shows_every_target_up()
    {
        var page = await _browser.NewPageAsync();
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, "http://127.0.0.1:9090/classic/targets",
            // Each job's header says "job (up/all up)": the four api replicas (3 x v1, v2), the exporter, the canary weight.
            t => Regex.IsMatch(t, @"\bapi \(4/4 up\)") && Regex.IsMatch(t, @"\bgateway \((\d+)/\1 up\)")
                 && Regex.IsMatch(t, @"\bgateway-canary \((\d+)/\1 up\)") && !Regex.IsMatch(t, @"\b(DOWN|UNKNOWN)\b"),
            TelemetryDeadline, "every target up");
        await BrowserSession.ScreenshotAsync(page, "prometheus-targets");
        Assert.DoesNotContain("DOWN", text, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexTraceId();
}
