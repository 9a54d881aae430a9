using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// A stack's Aspire dashboard in a real browser (headless Debian chromium): what a person opening its login URL
/// sees. Without the token, only the login page; with it, the api replicas' telemetry: each request's prediction
/// record under the replica that served it, its trace found by the request id the client got, nothing of a
/// request the client marked unsampled, the prediction counter per variant. The same tests, from the same code,
/// against every deployment: the AppHost's own dashboard (`make run`), compose's and Swarm's dashboard service
/// (`make dashboard`). Screenshots in .artifacts/screenshots/ (some are in docs/dashboard.md).
/// </summary>
public abstract partial class DashboardBrowserTests<TStack>(TStack stack) : IAsyncLifetime where TStack : GatewayStack
{
    /// <summary>Traces and logs leave a replica within the SDK's batch delay (5 s); metrics every 10 s.</summary>
    protected static readonly TimeSpan TelemetryDeadline = TimeSpan.FromSeconds(90);

    protected TStack Stack { get; } = stack;

    protected BrowserSession Browser { get; private set; } = null!;

    public async Task InitializeAsync() => Browser = await BrowserSession.LaunchAsync();

    public async Task DisposeAsync() => await Browser.DisposeAsync();

    /// <summary>The dashboard's login URL with its browser token, as the deployment gives it to a person.</summary>
    protected abstract string LoginUrl();

    /// <summary>The start of the screenshots' names: "dashboard" (compose), "swarm-dashboard", "apphost-dashboard".</summary>
    protected abstract string ScreenshotPrefix { get; }

    /// <summary>The dashboard's name for the v1 replica whose instance id (the answer's <c>instance</c>) is
    /// given. Compose and Swarm: the service's name and the instance (the hostname, a container id), since api-v1
    /// has several instances; api-v2, one instance, is named by its service alone.</summary>
    protected virtual string V1Resource(string instance) => $"api-v1-{instance}";

    /// <summary>The metrics page of a variant: compose and Swarm show a service's replicas together.</summary>
    protected virtual string MetricsResource(string service, string instance) => service;

    protected string DashboardBase => new Uri(LoginUrl()).GetLeftPart(UriPartial.Authority);

    protected async Task<IPage> LoggedInPageAsync()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync(LoginUrl());
        // The token is exchanged for a cookie, then the dashboard's own pages.
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>One prediction through the gateway: the request id it answers with and the replica that answered.
    /// It carries a W3C traceparent whose sampled flag is <paramref name="sampled"/>: the gateway samples a share
    /// of the requests (GATEWAY_TRACE_SAMPLE_PERCENT) and a client's own flags decide for its request.</summary>
    protected async Task<(string RequestId, string Instance)> PredictAsync(string? experimentGroup = null, bool sampled = true)
    {
        using var client = Stack.CreateClient();
        using var request = Stack.PredictRequest(GatewayStack.SentenceBody("A gripping, beautifully acted film."), experimentGroup: experimentGroup);
        request.Headers.TryAddWithoutValidation("traceparent",
            $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-{(sampled ? "01" : "00")}");
        using var response = await Stack.SendPacedAsync(client, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("requestId").GetString()!, body.GetProperty("instance").GetString()!);
    }

    [Fact]
    public async Task Without_the_token_the_dashboard_shows_its_login_page_only()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{DashboardBase}/traces");
        await page.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal));
        await page.GetByText("token", new PageGetByTextOptions { Exact = false }).First.WaitForAsync();
        await BrowserSession.ScreenshotAsync(page, $"{ScreenshotPrefix}-login");
        // A wrong token is refused the same way.
        await page.GotoAsync($"{DashboardBase}/login?t=not-the-token");
        await page.GotoAsync($"{DashboardBase}/traces");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_prediction_record_is_listed_under_the_replica_that_served_it()
    {
        var (v1Request, v1Instance) = await PredictAsync();
        var (v2Request, _) = await PredictAsync(experimentGroup: "debug");
        var page = await LoggedInPageAsync();
        // Waited for by trace id: the replicas' startup records can fill the list before a batch with the prediction
        // arrives. The row's resource is the replica's own name.
        foreach (var (requestId, resource) in new[] { (v1Request, V1Resource(v1Instance)), (v2Request, "api-v2") })
        {
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/structuredlogs?traceId={requestId}",
                t => t.Contains("predict label=", StringComparison.Ordinal)
                     && t.Contains($"request_id={requestId}", StringComparison.Ordinal)
                     && Regex.IsMatch(t, $@"(?m)^{Regex.Escape(resource)}\s*$"),
                TelemetryDeadline, $"the prediction record of {requestId} under {resource}");
        }
        await page.GotoAsync($"{DashboardBase}/structuredlogs");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await BrowserSession.ScreenshotAsync(page, $"{ScreenshotPrefix}-structured-logs");
    }

    [Fact]
    public async Task The_trace_of_a_request_is_found_by_its_request_id_with_the_replica_span()
    {
        var (requestId, instance) = await PredictAsync();
        // The gateway's $request_id is the trace id (conf.d/tracing.conf): 32 hex digits.
        Assert.Matches(HexTraceId(), requestId);
        var resource = V1Resource(instance);
        var page = await LoggedInPageAsync();
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/traces/detail/{requestId}",
            t => t.Contains("POST /predict", StringComparison.Ordinal) && t.Contains(resource, StringComparison.Ordinal),
            TelemetryDeadline, $"the trace {requestId} with {resource}'s POST /predict span");
        await BrowserSession.ScreenshotAsync(page, $"{ScreenshotPrefix}-trace");
        Assert.Contains(requestId[..7], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_the_client_marks_unsampled_leaves_no_trace_and_no_log_record()
    {
        // The unsampled request first, then one sampled request per v1 replica (round robin): once the sampled ones'
        // traces are all in the dashboard, the replicas have exported everything they made before them.
        var (unsampled, _) = await PredictAsync(sampled: false);
        var sampled = new List<string>();
        for (var i = 0; i < 3; i++)
            sampled.Add((await PredictAsync()).RequestId);
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
        var (_, v1Instance) = await PredictAsync();
        var (_, v2Instance) = await PredictAsync(experimentGroup: "debug");
        var page = await LoggedInPageAsync();
        foreach (var (resource, variant) in new[] { (MetricsResource("api-v1", v1Instance), "v1"), (MetricsResource("api-v2", v2Instance), "v2") })
        {
            // The instrument is listed once a replica has exported it.
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/metrics/resource/{resource}",
                t => t.Contains("sentiment.predictions", StringComparison.Ordinal), TelemetryDeadline, $"{resource}'s instruments");
            await page.Locator("fluent-tree-item[title=\"sentiment.predictions\"]").ClickAsync();
            await page.GetByText("Predictions served, by variant, model and label.").WaitForAsync();
            // The chart's filters: the variant attribute and its value.
            await page.GetByText(variant, new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            // The chart is drawn once its legend (the instrument's unit, "Predictions") is.
            await page.GetByText("Predictions", new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            await BrowserSession.ScreenshotAsync(page, $"{ScreenshotPrefix}-metrics-{resource}");
        }
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexTraceId();
}
