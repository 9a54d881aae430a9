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

    /// <summary>In-process throughput at full load (16 concurrent clients, 5 rounds of 5 s each way), payload log on vs off in
    /// alternating rounds, and the share of log rows dropped at that load (rows in the table vs answers).</summary>
    [Fact]
    public async Task Throughput_with_the_payload_log_on_and_off_and_the_dropped_share()
    {
        if (Environment.GetEnvironmentVariable("MLOPSEXAM_BENCH") != "1")
        {
            output.WriteLine("skipped: set MLOPSEXAM_BENCH=1");
            return;
        }
        using var fixture = new FeedbackFixture();
        using var none = new ApiFactory("v1");
        var on = new List<double>();
        var off = new List<double>();
        long answeredWithLog = 0;
        foreach (var client in new[] { fixture.Api.CreateClient(), none.CreateClient() })
            await LoadAsync(client, TimeSpan.FromSeconds(5)); // warm-up (JIT, tiered compilation, pools)
        var before = long.Parse(fixture.Postgres.Psql(fixture.Database, "-At", "-c", "SELECT count(*) FROM prediction_log").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var round = 0; round < 5; round++)
        {
            var answered = await LoadAsync(fixture.Api.CreateClient(), TimeSpan.FromSeconds(5));
            answeredWithLog += answered;
            on.Add(answered / 5.0);
            off.Add(await LoadAsync(none.CreateClient(), TimeSpan.FromSeconds(5)) / 5.0);
        }
        await Task.Delay(TimeSpan.FromSeconds(3)); // the writer's last batches
        var written = long.Parse(fixture.Postgres.Psql(fixture.Database, "-At", "-c", "SELECT count(*) FROM prediction_log").Trim(), System.Globalization.CultureInfo.InvariantCulture) - before;
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        output.WriteLine(FormattableString.Invariant($"log on : median {Median(on):F0} req/s (rounds {string.Join(", ", on.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})"));
        output.WriteLine(FormattableString.Invariant($"log off: median {Median(off):F0} req/s (rounds {string.Join(", ", off.Select(v => v.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})"));
        output.WriteLine(FormattableString.Invariant($"rows written {written} of {answeredWithLog} answers with the log on: dropped {100.0 * (answeredWithLog - written) / answeredWithLog:F2} %"));
    }

    /// <summary>Answers to 16 concurrent request loops over <paramref name="duration"/>.</summary>
    private static async Task<long> LoadAsync(HttpClient client, TimeSpan duration)
    {
        long answered = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            var i = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                using var response = await client.PostAsJsonAsync("/predict", new { sentence = $"worker {worker} finds film {i++} quite good" });
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref answered);
            }
        }));
        return answered;
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
