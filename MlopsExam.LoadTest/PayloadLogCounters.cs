using System.Globalization;
using System.Text.RegularExpressions;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>
/// The payload log's row counters of the v1 replicas (MlopsExam.Api/PayloadLog/PayloadLogQueue.cs), read
/// from each replica's /metrics inside its own network namespace (curl to its loopback), so a run can say
/// how many answers were logged and how many dropped while it loaded the stack.
/// </summary>
internal sealed partial record PayloadLogCounters(double Written, double Dropped)
{
    public static async Task<PayloadLogCounters?> ReadAsync(IReadOnlyList<Container> replicas)
    {
        double written = 0, dropped = 0;
        foreach (var replica in replicas)
        {
            var result = await ProcessRunner.RunAsync("nsenter",
                ["-t", replica.Pid.ToString(CultureInfo.InvariantCulture), "-n", "--", "curl", "-sf", "--max-time", "5", "http://127.0.0.1:8080/metrics"],
                TimeSpan.FromSeconds(15));
            if (result.ExitCode != 0) return null;
            written += Sum(WrittenLine(), result.Stdout);
            dropped += Sum(DroppedLine(), result.Stdout);
        }
        return new PayloadLogCounters(written, dropped);
    }

    public static PayloadLogCounters operator -(PayloadLogCounters after, PayloadLogCounters before) =>
        new(after.Written - before.Written, after.Dropped - before.Dropped);

    private static double Sum(Regex line, string metrics) =>
        line.Matches(metrics).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^sentiment_prediction_log_written_total(?:\{[^}]*\})? ([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex WrittenLine();

    [GeneratedRegex(@"^sentiment_prediction_log_dropped_total(?:\{[^}]*\})? ([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex DroppedLine();
}
