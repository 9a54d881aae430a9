using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// The AppHost's own dashboard (`make run`) in a real browser (headless Debian chromium): what a person opening
/// the login URL the AppHost printed sees. Without the token, only the login page; with it, no development
/// certificate banner, every resource running (the v1 replicas under api-v1), a request's trace found by the
/// request id the client got with the replica's span, the prediction counter per variant. Screenshots in
/// .artifacts/screenshots/.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed partial class AspireDashboardTests(AspireDashboardStack stack) : IClassFixture<AspireDashboardStack>, IAsyncLifetime
{
    /// <summary>Traces and logs leave a replica within the SDK's batch delay (5 s); metrics every 10 s here too.</summary>
    private static readonly TimeSpan TelemetryDeadline = TimeSpan.FromSeconds(90);

    private BrowserSession _browser = null!;

    public async Task InitializeAsync() => _browser = await BrowserSession.LaunchAsync();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    private string DashboardBase => stack.DashboardBase.GetLeftPart(UriPartial.Authority);

    private async Task<IPage> LoggedInPageAsync()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(stack.LoginUrl);
        // The token is exchanged for a cookie, then the dashboard's own pages.
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>A W3C traceparent with the sampled flag, so the gateway samples the request whatever its
    /// GATEWAY_TRACE_SAMPLE_PERCENT (its request id stays the trace id).</summary>
    private static string SampledTraceparent() =>
        $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01";

    /// <summary>One prediction through the gateway, sampled; the request id and the replica that answered.</summary>
    private async Task<(string RequestId, string Instance)> PredictAsync(string? experimentGroup = null)
    {
        using var client = stack.CreateClient();
        using var request = stack.PredictRequest(GatewayStack.SentenceBody("A gripping, beautifully acted film."), experimentGroup: experimentGroup);
        request.Headers.TryAddWithoutValidation("traceparent", SampledTraceparent());
        using var response = await stack.SendPacedAsync(client, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("requestId").GetString()!, body.GetProperty("instance").GetString()!);
    }

    [Fact]
    public async Task Without_the_token_the_dashboard_shows_its_login_page_only()
    {
        var page = await _browser.NewPageAsync();
        await page.GotoAsync($"{DashboardBase}/traces");
        await page.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal));
        await page.GetByText("token", new PageGetByTextOptions { Exact = false }).First.WaitForAsync();
        await BrowserSession.ScreenshotAsync(page, "apphost-dashboard-login");
        // A wrong token is refused the same way.
        await page.GotoAsync($"{DashboardBase}/login?t=not-the-token");
        await page.GotoAsync($"{DashboardBase}/traces");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_login_url_shows_every_resource_running_without_a_certificate_banner()
    {
        var page = await LoggedInPageAsync();
        string[] resources = ["gateway", "gateway-exporter", "prometheus", "postgres", "api-v1", "api-v1-1", "api-v1-2", "api-v1-3", "api-v2"];
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/",
            t => resources.All(r => Regex.IsMatch(t, $@"(?m)^{Regex.Escape(r)}\s")) && Regex.Matches(t, @"\bRunning\b").Count >= resources.Length,
            TelemetryDeadline, "every resource, Running");
        await BrowserSession.ScreenshotAsync(page, "apphost-dashboard-resources");
        Assert.DoesNotContain("development certificate", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("No trusted development certificate", stack.Output.Text, StringComparison.Ordinal);
        // The v1 replicas are listed under api-v1: their rows are the tree's second level.
        foreach (var replica in new[] { "api-v1-1", "api-v1-2", "api-v1-3" })
            Assert.Equal("api-v1", await ParentRowAsync(page, replica));
        Assert.Null(await ParentRowAsync(page, "api-v2"));
    }

    /// <summary>The resource a row is listed under in the resources grid: the nearest row above it that is less
    /// indented (a child's name is indented under its parent's), or null at the top level.</summary>
    private static async Task<string?> ParentRowAsync(IPage page, string resource) =>
        await page.EvaluateAsync<string?>("""
            (name) => {
              // The name cell: title "Project: api-v1-1"; its name container is indented by the tree depth.
              const rows = [...document.querySelectorAll('tr.resource-row')].map(row => {
                const cell = row.querySelector('td[title]');
                const indent = parseFloat(row.querySelector('.resources-name-container')?.style.marginLeft || '0');
                return { name: (cell?.getAttribute('title') ?? '').replace(/^[^:]*: /, ''), indent };
              });
              const i = rows.findIndex(r => r.name === name);
              if (i < 0) return 'no row for ' + name;
              for (let j = i - 1; j >= 0; j--) if (rows[j].indent < rows[i].indent) return rows[j].name;
              return null;
            }
            """, resource);

    [Fact]
    public async Task The_trace_of_a_request_is_found_by_its_request_id_with_the_replica_span()
    {
        var (requestId, instance) = await PredictAsync();
        // The gateway's $request_id is the trace id (conf.d/tracing.conf): 32 hex digits.
        Assert.Matches(HexTraceId(), requestId);
        Assert.StartsWith("api-v1-", instance, StringComparison.Ordinal);
        var page = await LoggedInPageAsync();
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/traces/detail/{requestId}",
            t => t.Contains("POST /predict", StringComparison.Ordinal) && t.Contains(instance, StringComparison.Ordinal),
            TelemetryDeadline, $"the trace {requestId} with {instance}'s POST /predict span");
        await BrowserSession.ScreenshotAsync(page, "apphost-dashboard-trace");
        Assert.Contains(requestId[..7], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_metrics_view_shows_the_prediction_counter_of_each_variant()
    {
        var (_, v1Instance) = await PredictAsync();
        var (_, v2Instance) = await PredictAsync(experimentGroup: "debug");
        Assert.Equal("api-v2", v2Instance);
        var page = await LoggedInPageAsync();
        foreach (var (resource, variant) in new[] { (v1Instance, "v1"), (v2Instance, "v2") })
        {
            await BrowserSession.WaitUntilPageShowsAsync(page, $"{DashboardBase}/metrics/resource/{resource}",
                t => t.Contains("sentiment.predictions", StringComparison.Ordinal), TelemetryDeadline, $"{resource}'s instruments");
            await page.Locator("fluent-tree-item[title=\"sentiment.predictions\"]").ClickAsync();
            await page.GetByText("Predictions served, by variant, model and label.").WaitForAsync();
            // The chart's filters: the variant attribute and its value.
            await page.GetByText(variant, new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            await page.GetByText("Predictions", new PageGetByTextOptions { Exact = true }).First.WaitForAsync();
            await BrowserSession.ScreenshotAsync(page, $"apphost-dashboard-metrics-{variant}");
        }
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexTraceId();
}
