using System.Text.RegularExpressions;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// The compose stack's dashboard service and Prometheus UI in a real browser: the dashboard's tests
/// (<see cref="DashboardBrowserTests{TStack}"/>) at the URL `make dashboard` prints, and Prometheus listing every
/// target up. Two of the screenshots are in the README, three in docs/dashboard.md.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class ComposeDashboardTests(ComposeStack stack)
    : DashboardBrowserTests<ComposeStack>(stack), IClassFixture<ComposeStack>
{
    protected override string ScreenshotPrefix => "dashboard";

    protected override string LoginUrl()
    {
        var url = StackDashboard.LoginUrl();
        // Published on the loopback interface only.
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
        return url;
    }

    [Fact]
    public async Task Prometheus_ui_shows_every_target_up()
    {
        var page = await Browser.NewPageAsync();
        var text = await BrowserSession.WaitUntilPageShowsAsync(page, "http://127.0.0.1:9090/classic/targets",
            // Each job's header says "job (up/all up)": the four api replicas (3 x v1, v2), the exporter, the canary weight.
            t => Regex.IsMatch(t, @"\bapi \(4/4 up\)") && Regex.IsMatch(t, @"\bgateway \((\d+)/\1 up\)")
                 && Regex.IsMatch(t, @"\bgateway-canary \((\d+)/\1 up\)") && !Regex.IsMatch(t, @"\b(DOWN|UNKNOWN)\b"),
            TelemetryDeadline, "every target up");
        await BrowserSession.ScreenshotAsync(page, "prometheus-targets");
        Assert.DoesNotContain("DOWN", text, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The login URL `make dashboard` prints (scripts/dashboard.sh) for the compose or Swarm stack running:
/// the dashboard service's UI with the browser token of .secrets/dashboard_token.</summary>
internal static class StackDashboard
{
    public static string LoginUrl()
    {
        var token = File.ReadAllText(RepoLayout.Path(".secrets", "dashboard_token")).Trim();
        var (code, output) = Shell.Run(RepoLayout.Path("scripts", "dashboard.sh"), [], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"scripts/dashboard.sh failed ({code}): {output}");
        var url = output.Trim();
        Assert.Matches(@"^http://\d+\.\d+\.\d+\.\d+:\d+/login\?t=", url);
        Assert.EndsWith($"?t={token}", url, StringComparison.Ordinal);
        return url;
    }
}
