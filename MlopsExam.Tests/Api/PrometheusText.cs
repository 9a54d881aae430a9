using System.Globalization;
using System.Text.RegularExpressions;

namespace MlopsExam.Tests.Api;

/// <summary>Reads the Prometheus text format of <c>/metrics</c>: sums the samples of one metric
/// whose labels include the given ones.</summary>
public static partial class PrometheusText
{
    public static double Sum(string exposition, string metric, params (string Name, string Value)[] labels) =>
        Samples(exposition, metric)
            .Where(s => labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))
            .Sum(s => s.Value);

    public static IEnumerable<(Dictionary<string, string> Labels, double Value)> Samples(string exposition, string metric)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var m = SampleLine().Match(line);
            if (!m.Success || m.Groups["name"].Value != metric)
                continue;
            var labels = LabelPair().Matches(m.Groups["labels"].Value)
                .ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            yield return (labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Scrapes <c>/metrics</c> until <paramref name="done"/> holds (the exporter caches a
    /// scrape for a short while), failing with the last exposition after the deadline.</summary>
    public static async Task<string> WaitForAsync(HttpClient client, Func<string, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        string text;
        while (true)
        {
            text = await client.GetStringAsync("/metrics");
            if (done(text))
                return text;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}. Last /metrics:\n{text}");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>[^}]*)\\})?\\s+(?<value>\\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
