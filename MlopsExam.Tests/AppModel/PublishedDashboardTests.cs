using System.Text.RegularExpressions;
using System.Xml.Linq;
using MlopsExam.Tests.Compose;

namespace MlopsExam.Tests.AppModel;

/// <summary>
/// The dashboard of the published stacks (AppHost's Dashboard/), read from what publishing writes: its UI on
/// 127.0.0.1 only behind a browser token read from a secret file, its OTLP ports on the internal network only,
/// hardened and bounded like every service, and every api replica exporting to it.
/// </summary>
public sealed partial class PublishedDashboardTests(PublishedCompose published) : IClassFixture<PublishedCompose>
{
    private string ServiceYaml(string text, string name)
    {
        var yaml = text[text.IndexOf($"\n  {name}:\n", StringComparison.Ordinal)..];
        return yaml[..yaml.IndexOf("\n\n", StringComparison.Ordinal)];
    }

    [Fact]
    public void The_ui_is_published_on_loopback_only_and_otlp_not_at_all()
    {
        var dashboard = published.File.Services["dashboard"];
        Assert.Equal([new ParsedPort(18888, 18888, "127.0.0.1")], dashboard.Ports);
        Assert.Contains("\"127.0.0.1:${DASHBOARD_PORT:-18888}:18888\"", published.Text);
        // Swarm cannot bind to 127.0.0.1: nothing published there rather than on every address.
        Assert.Empty(ComposeFile.Parse(published.StackText, RepoLayout.Root).Services["dashboard"].Ports);
    }

    [Fact]
    public void The_ui_needs_the_browser_token_which_is_a_secret_file_never_in_the_environment()
    {
        Assert.Equal(new Dictionary<string, string?> { ["DASHBOARD_TOKEN_FILE"] = "/run/secrets/dashboard_token" },
            published.File.Services["dashboard"].Environment);
        Assert.Contains("secrets:\n      - dashboard_token", ServiceYaml(published.Text, "dashboard"));
        Assert.Contains("dashboard_token:\n    file: ./.secrets/dashboard_token", published.Text);
        Assert.Contains("dashboard_token:\n    file: ./.secrets/dashboard_token", published.StackText);

        // The image: the browser token, OTLP unauthenticated (internal ports only), never the unsecured UI.
        var dockerfile = File.ReadAllText(RepoLayout.Path("deployments", "dashboard", "Dockerfile"));
        Assert.Contains("Dashboard__Frontend__AuthMode=BrowserToken", dockerfile);
        Assert.DoesNotContain("DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", dockerfile);
        Assert.DoesNotContain("Dashboard__Frontend__AuthMode=Unsecured", dockerfile);
        Assert.Single(Regex.Matches(dockerfile, "AuthMode=Unsecured"));
        // Its entrypoint refuses to start without a token (the dashboard would otherwise make one up and log it).
        var entrypoint = File.ReadAllText(RepoLayout.Path("deployments", "dashboard", "docker-entrypoint.sh"));
        Assert.Contains("exit 1", entrypoint);
        // `make env` writes the token; nothing in the repository holds one.
        Assert.Contains(".secrets/dashboard_token", File.ReadAllText(RepoLayout.Path("scripts", "generate-env.sh")));
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("docker-stack.yml")]
    public void It_is_hardened_restarts_rotates_its_logs_and_has_a_memory_limit(string fileName)
    {
        var text = fileName == "docker-compose.yml" ? published.Text : published.StackText;
        var dashboard = ComposeFile.Parse(text, RepoLayout.Root).Services["dashboard"];
        Assert.Equal("384M", dashboard.Limits["memory"]);
        Assert.Equal("json-file", dashboard.LogDriver);
        Assert.NotNull(dashboard.Healthcheck);
        var yaml = ServiceYaml(text, "dashboard");
        Assert.Contains("read_only: true", yaml);
        Assert.Contains("cap_drop:\n      - ALL", yaml);
        if (fileName == "docker-compose.yml")
        {
            Assert.Equal("unless-stopped", dashboard.Restart);
            Assert.Contains("no-new-privileges:true", yaml);
        }
        else Assert.Equal("any", dashboard.RestartPolicy["condition"]);
        // Non-root: the image's user (app, uid 1654) is set after everything is copied.
        var dockerfile = File.ReadAllLines(RepoLayout.Path("deployments", "dashboard", "Dockerfile"));
        Assert.Contains("USER $APP_UID", dockerfile);
    }

    [Theory]
    [InlineData("api-v1")]
    [InlineData("api-v2")]
    public void Every_api_replica_exports_to_the_dashboard_as_its_service(string service)
    {
        var env = published.File.Services[service].Environment;
        Assert.Equal("http://dashboard:18889", env["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal(service, env["OTEL_SERVICE_NAME"]);
        // No depends_on: a replica serves predictions while the dashboard is down.
        Assert.DoesNotContain("dashboard", published.File.Services[service].DependsOn.Keys);
    }

    /// <summary>The image's dashboard is the one of the Aspire release the AppHost and its tests use.</summary>
    [Fact]
    public void The_image_builds_the_dashboard_of_the_aspire_release_in_use()
    {
        var dockerfile = File.ReadAllText(RepoLayout.Path("deployments", "dashboard", "Dockerfile"));
        var version = DashboardVersion().Match(dockerfile).Groups[1].Value;
        var aspire = XDocument.Load(RepoLayout.Path("Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Aspire.Hosting.Testing").Attribute("Version")!.Value;
        Assert.Equal(aspire, version);
    }

    [GeneratedRegex(@"ARG DASHBOARD_VERSION=(\S+)")]
    private static partial Regex DashboardVersion();
}
