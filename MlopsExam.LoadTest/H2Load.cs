using System.Globalization;
using System.Text.RegularExpressions;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>What one h2load client run is asked to do.</summary>
internal sealed record LoadSpec(
    string Url,
    bool Http2,
    int Clients,
    int StreamsPerClient,
    TimeSpan Duration,
    TimeSpan WarmUp,
    double? RatePerClient,
    IReadOnlyList<string> Headers,
    string BodyFile);

/// <summary>Latency percentiles and counts of one run, from h2load's per-request log.</summary>
internal sealed record RunFigures(
    long Requests,
    long Succeeded2xx,
    long Non2xx,
    long Errors,
    double Seconds,
    double RequestsPerSecond,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double MaxMs)
{
    public bool Clean => Non2xx == 0 && Errors == 0 && Requests > 0;

    /// <summary>Merges runs that went on side by side (one per replica): counts add up, percentiles
    /// come from the pooled per-request latencies.</summary>
    public static RunFigures FromSamples(IReadOnlyList<double> latenciesMs, long requests, long ok, long non2xx, long errors, double seconds)
    {
        var sorted = latenciesMs.Order().ToArray();
        return new RunFigures(requests, ok, non2xx, errors, seconds, seconds > 0 ? ok / seconds : 0,
            Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99), sorted.Length > 0 ? sorted[^1] : double.NaN);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Runs h2load (nghttp2's load generator) inside a container's network namespace, so the traffic
/// stays on that namespace's loopback: nothing crosses Docker's proxy or bridge, and the figures
/// are those of the server, not of the path to it.
/// </summary>
internal static partial class H2Load
{
    /// <summary>A run's counts and, per request in the order h2load logged them, its latency and status (-1: no response).</summary>
    public sealed record Outcome(List<double> LatenciesMs, long Requests, long Ok, long Non2xx, long Errors, double Seconds, string Raw, List<int> Statuses);

    /// <summary>A short run whose figures are thrown away (JIT, connection pools, TLS sessions), before
    /// the measured one. h2load's own --warm-up-time loses the counts of HTTP/2 runs.</summary>
    public static async Task WarmUpAsync(int pid, LoadSpec spec, string workDir)
    {
        if (spec.WarmUp > TimeSpan.Zero)
            await RunInNamespaceAsync(pid, spec with { Duration = spec.WarmUp }, workDir);
    }

    public static async Task<Outcome> RunInNamespaceAsync(int pid, LoadSpec spec, string workDir)
    {
        var log = Path.Combine(workDir, $"h2load-{pid}-{Guid.NewGuid():N}.log");
        List<string> args = ["-t", pid.ToString(CultureInfo.InvariantCulture), "-n", "--", "h2load"];
        if (!spec.Http2) args.Add("--h1");
        args.AddRange([
            "-c", spec.Clients.ToString(CultureInfo.InvariantCulture),
            "-m", spec.StreamsPerClient.ToString(CultureInfo.InvariantCulture),
            "-D", Seconds(spec.Duration),
            "--log-file", log,
            "-d", spec.BodyFile,
        ]);
        if (spec.RatePerClient is { } rps) args.AddRange(["--rps", rps.ToString("0.###", CultureInfo.InvariantCulture)]);
        foreach (var header in spec.Headers) args.AddRange(["-H", header]);
        args.Add(spec.Url);

        var result = await ProcessRunner.RunAsync("nsenter", args, spec.Duration + TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0 || !File.Exists(log))
            throw new InvalidOperationException($"h2load failed ({result.ExitCode}): {result.Stderr.Trim()} {result.Stdout.Trim()}");

        if (!Summary().IsMatch(result.Stdout)) throw new InvalidOperationException($"unexpected h2load output:\n{result.Stdout}");

        // Each line: start time (µs since epoch), status (-1 when no response), µs until the response
        // ended. The log, not h2load's summary, is the source: with several streams per connection
        // the summary's counts can fall short of what the log (and the server) saw.
        var latencies = new List<double>(capacity: 1 << 16);
        var statuses = new List<int>(capacity: 1 << 16);
        long ok = 0, non2xx = 0, errors = 0, first = long.MaxValue, last = long.MinValue;
        foreach (var line in File.ReadLines(log))
        {
            var parts = line.Split('\t');
            if (parts.Length < 3) continue;
            var start = long.Parse(parts[0], CultureInfo.InvariantCulture);
            var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var micros = long.Parse(parts[2], CultureInfo.InvariantCulture);
            if (status is >= 200 and < 300) ok++;
            else if (status < 0) errors++;
            else non2xx++;
            latencies.Add(micros / 1000.0);
            statuses.Add(status);
            first = Math.Min(first, start);
            last = Math.Max(last, start + micros);
        }
        File.Delete(log);
        var seconds = last > first ? (last - first) / 1e6 : spec.Duration.TotalSeconds;
        return new Outcome(latencies, latencies.Count, ok, non2xx, errors, seconds, result.Stdout, statuses);
    }

    private static string Seconds(TimeSpan t) => $"{Math.Max(1, (int)Math.Round(t.TotalSeconds))}s";

    [GeneratedRegex(@"requests: (?<total>\d+) total, (?<started>\d+) started, (?<done>\d+) done, (?<ok>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored")]
    private static partial Regex Summary();
}
