using System.Diagnostics;
using System.Net.Http.Json;
using MlopsExam.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>
/// Benchmark, not a test (it asserts nothing about time): /predict's median latency in-process with the payload log
/// writing to a running database, to a stopped one, and with no database configured; alternating rounds, median
/// and spread printed (docs/feedback.md). Runs only with MLOPSEXAM_BENCH=1:
/// <c>MLOPSEXAM_BENCH=1 dotnet test MlopsExam.Tests -c Release --filter FullyQualifiedName~PayloadLogBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class PayloadLogBenchmark(ITestOutputHelper output)
{
    private const int Rounds = 5;
    private const int RequestsPerRound = 400;

    [Fact]
    public async Task Predict_p50_with_the_database_up_stopped_and_absent()
    {
        if (Environment.GetEnvironmentVariable("MLOPSEXAM_BENCH") != "1")
        {
            output.WriteLine("skipped: set MLOPSEXAM_BENCH=1");
            return;
        }
        using var fixture = new FeedbackFixture();
        using var none = new ApiFactory("v1");
        var logged = fixture.Api.CreateClient();
        var plain = none.CreateClient();
        var results = new Dictionary<string, List<double>> { ["database up"] = [], ["database stopped"] = [], ["no database (log off)"] = [] };
        foreach (var client in new[] { logged, plain })
            await RoundAsync(client, 100); // warm-up

        for (var round = 0; round < Rounds; round++)
        {
            results["database up"].Add(await RoundAsync(logged, RequestsPerRound));
            results["no database (log off)"].Add(await RoundAsync(plain, RequestsPerRound));
            fixture.Postgres.Stop();
            try
            {
                results["database stopped"].Add(await RoundAsync(logged, RequestsPerRound));
            }
            finally
            {
                fixture.Postgres.Start();
            }
        }
        foreach (var (name, p50s) in results)
        {
            var sorted = p50s.Order().ToList();
            output.WriteLine(FormattableString.Invariant(
                $"{name,-22} p50 of /predict: median {sorted[sorted.Count / 2]:F3} ms over {Rounds} rounds of {RequestsPerRound} (rounds {string.Join(", ", p50s.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))})"));
        }
    }

    /// <summary>The median latency of <paramref name="count"/> sequential /predict requests, in ms.</summary>
    private static async Task<double> RoundAsync(HttpClient client, int count)
    {
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync("/predict", new { sentence = $"an unexpectedly moving film, number {i}" });
            response.EnsureSuccessStatusCode();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[count / 2];
    }
}
