using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// The AppHost's own dashboard (`make run`) in a real browser, at the login URL the AppHost printed: the dashboard's
/// tests (<see cref="DashboardBrowserTests{TStack}"/>), and what only the AppHost's shows: every resource running,
/// the v1 replicas under api-v1, no development certificate banner.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class AspireDashboardTests(AspireDashboardStack stack)
    : DashboardBrowserTests<AspireDashboardStack>(stack), IClassFixture<AspireDashboardStack>
{
    protected override string ScreenshotPrefix => "apphost-dashboard";

    protected override string LoginUrl() => Stack.LoginUrl;

    /// <summary>Each replica is a resource of its own, named as the AppHost names it (api-v1-1..3): the instance id.</summary>
    protected override string V1Resource(string instance) => instance;

    protected override string MetricsResource(string service, string instance) => instance;

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
        Assert.DoesNotContain("No trusted development certificate", Stack.Output.Text, StringComparison.Ordinal);
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
}
