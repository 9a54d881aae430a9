using System.Security.Cryptography;
using System.Text;
using MlopsExam.LoadTest;

namespace MlopsExam.Tests.Tools;

/// <summary>
/// make loadtest's arithmetic over rounds (MlopsExam.LoadTest/Rounds.cs), its CPU-per-request figure
/// and the reference proxy's basic-auth line: pure functions, nothing is measured.
/// </summary>
public sealed class LoadTestRoundsTests
{
    private static RunReport Run(string name, int round, double rps, double p50 = 1, IReadOnlyDictionary<string, double>? cpu = null) =>
        new(name, "t", "HTTP/1.1", 16, null,
            new RunFigures((long)rps, (long)rps, 0, 0, 1, rps, p50, p50, p50, p50),
            cpu ?? new Dictionary<string, double>(), null, round);

    [Fact]
    public void A_ratio_is_taken_within_each_round_not_between_medians_of_different_rounds()
    {
        // The machine doubles its speed between rounds; within every round the gateway gets half of direct.
        List<RunReport> runs =
        [
            Run("a direct h1", 1, 1000), Run("b gateway h1", 1, 500),
            Run("a direct h1", 2, 4000), Run("b gateway h1", 2, 2000),
            Run("a direct h1", 3, 2000), Run("b gateway h1", 3, 1000),
            // A gateway round without its direct counterpart has no ratio.
            Run("b gateway h1", 4, 9999),
        ];

        var ratio = Rounds.Ratio(runs, "b gateway h1", "a direct h1");

        Assert.NotNull(ratio);
        Assert.Equal(3, ratio.Rounds);
        Assert.Equal(0.5, ratio.Median, 9);
        Assert.Equal(0.5, ratio.Min, 9);
        Assert.Equal(0.5, ratio.Max, 9);
    }

    [Fact]
    public void A_ratio_reports_median_and_spread_and_an_even_count_takes_the_mean_of_the_middle_two()
    {
        List<RunReport> runs =
        [
            Run("a", 1, 100), Run("b", 1, 50),
            Run("a", 2, 100), Run("b", 2, 80),
            Run("a", 3, 100), Run("b", 3, 60),
            Run("a", 4, 100), Run("b", 4, 120),
        ];

        var ratio = Rounds.Ratio(runs, "b", "a")!;

        Assert.Equal((0.6 + 0.8) / 2, ratio.Median, 9);
        Assert.Equal(0.5, ratio.Min, 9);
        Assert.Equal(1.2, ratio.Max, 9);
        Assert.Null(Rounds.Ratio(runs, "b", "missing"));
    }

    [Fact]
    public void A_paths_figures_are_those_of_its_median_round_and_the_sweep_is_left_out()
    {
        List<RunReport> runs =
        [
            Run("b gateway h1", 1, 300, p50: 3),
            Run("b gateway h1", 2, 100, p50: 9),
            Run("b gateway h1", 3, 200, p50: 5),
            Run("b gateway h1", 4, 400, p50: 2),
            Run("c gateway @50 %", 0, 150) with { OfferedRps = 150 },
        ];

        var median = Rounds.Median(runs, "b gateway h1");

        // Four rounds: the lower middle (200), a run that happened, with its own p50.
        Assert.Equal(200, median.Figures.RequestsPerSecond);
        Assert.Equal(5, median.Figures.P50Ms);
        Assert.Equal((100, 400), Rounds.Spread(runs, "b gateway h1"));
        Assert.Equal(["b gateway h1"], Rounds.Medians(runs).Select(r => r.Name));
        Assert.Throws<InvalidOperationException>(() => Rounds.Median(runs, "a direct h1"));
    }

    [Fact]
    public void Cpu_per_request_adds_the_stacks_containers_and_leaves_dockerd_out()
    {
        var run = Run("b gateway h1", 1, 1000, cpu: new Dictionary<string, double>
        {
            ["gateway"] = 30,
            ["api-v1 (all)"] = 60,
            ["api-v2"] = 0,
            ["postgres"] = 10,
            ["dockerd"] = 50,
        });

        // 100 % of a core = 1 CPU-second per second, over 1000 req/s: 1000 µs per request.
        Assert.Equal(1000, Report.CpuPerRequest(run), 9);
    }

    [Fact]
    public void The_reference_proxys_password_line_is_nginx_ssha_of_that_password()
    {
        var line = ReferenceProxy.SshaLine("loadtest", "s3cret-Password");

        Assert.EndsWith("\n", line);
        var (user, hash) = (line.Split(':')[0], line.Split(':')[1].TrimEnd('\n'));
        Assert.Equal("loadtest", user);
        Assert.StartsWith("{SSHA}", hash);
        var raw = Convert.FromBase64String(hash["{SSHA}".Length..]);
        Assert.Equal(20 + 16, raw.Length);
        var (digest, salt) = (raw[..20], raw[20..]);
#pragma warning disable CA5350 // nginx's {SSHA} is SHA-1 by definition; this checks the format, it protects nothing
        Assert.Equal(SHA1.HashData([.. Encoding.UTF8.GetBytes("s3cret-Password"), .. salt]), digest);
#pragma warning restore CA5350
        Assert.NotEqual(line, ReferenceProxy.SshaLine("loadtest", "s3cret-Password")); // a new salt each time
    }

    [Fact]
    public void Every_feature_of_the_ladder_listens_on_a_port_of_its_own_in_the_reference_config()
    {
        var config = ReferenceProxy.Config(["10.0.0.1", "10.0.0.2"], []);

        Assert.Equal(ReferenceProxy.Features.Count, ReferenceProxy.Features.Select(f => f.Port).Distinct().Count());
        foreach (var feature in ReferenceProxy.Features)
            Assert.Contains($"listen {feature.Port} ssl;", config, StringComparison.Ordinal);
        Assert.Contains("server 10.0.0.2:8080;", config, StringComparison.Ordinal);
        Assert.Contains("auth_basic_user_file /work/reference.htpasswd;", config, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream python", config, StringComparison.Ordinal);

        var withPython = ReferenceProxy.Config(["10.0.0.1"], ["10.0.0.7", "10.0.0.8"]);
        Assert.Contains($"listen {PythonSolution.Port} ssl;", withPython, StringComparison.Ordinal);
        Assert.Contains("server 10.0.0.8:8000;", withPython, StringComparison.Ordinal);
        // Balanced braces: the optional block sits inside http { }.
        Assert.Equal(withPython.Count(c => c == '{'), withPython.Count(c => c == '}'));
        Assert.EndsWith("}", withPython.TrimEnd(), StringComparison.Ordinal);
    }
}
