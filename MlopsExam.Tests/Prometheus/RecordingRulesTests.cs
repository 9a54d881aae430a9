namespace MlopsExam.Tests.Prometheus;

/// <summary>
/// The A/B recording rules (<c>deployments/prometheus/rules/ab.rules.yml</c>) against their unit
/// tests (<c>ab.rules.test.yml</c>), with <c>promtool</c> from Debian's <c>prometheus</c> package,
/// which <c>scripts/bootstrap-docker.sh</c> installs (<c>make docker</c>). No promtool is a failure,
/// not a skip: the rules would otherwise go untested.
/// </summary>
public sealed class RecordingRulesTests
{
    private static readonly string RulesDir = RepoLayout.Path("deployments", "prometheus", "rules");

    private static string Promtool() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "promtool"))
            .FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException(
            "promtool is not installed: run `make docker` (scripts/bootstrap-docker.sh installs Debian's prometheus package, which ships it) or `apt-get install prometheus`.");

    [Theory]
    [InlineData("ab")]
    [InlineData("feedback")]
    public void Rules_are_valid(string rules)
    {
        var (code, output) = Shell.Run(Promtool(), ["check", "rules", $"{rules}.rules.yml"], TimeSpan.FromSeconds(60), workingDirectory: RulesDir);
        Assert.True(code == 0, output);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("feedback")] // live accuracy per served variant from the feedback labels
    public void Rules_compute_what_their_unit_tests_expect(string rules)
    {
        var (code, output) = Shell.Run(Promtool(), ["test", "rules", $"{rules}.rules.test.yml"], TimeSpan.FromSeconds(120), workingDirectory: RulesDir);
        Assert.True(code == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [Fact]
    public void Prometheus_image_loads_and_checks_the_rules()
    {
        var config = File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "prometheus.yml"));
        var dockerfile = File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "Dockerfile"));
        Assert.Contains("/etc/prometheus/rules/*.rules.yml", config);
        Assert.Contains("COPY prometheus/rules/*.rules.yml /etc/prometheus/rules/", dockerfile); // build context: deployments/
        Assert.Contains("promtool check config", dockerfile); // also checks every rule file it names
    }
}
