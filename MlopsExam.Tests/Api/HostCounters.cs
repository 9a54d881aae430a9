using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MlopsExam.Api.Serving;

namespace MlopsExam.Tests.Api;

/// <summary>
/// The product counters of one in-process host, read from that host's own meters. Not through
/// <c>/metrics</c>: hosts in one process publish meters of the same name, and the OpenTelemetry
/// exporter of one host merges them with the others' and forgets the series when another host is
/// disposed. (What <c>/metrics</c> shows is checked, with one host pair alive, in
/// <see cref="MetricsExpositionTests"/>.)
/// </summary>
public sealed class HostCounters : IDisposable
{
    private readonly Dictionary<string, MetricCollector<long>> _collectors;

    public HostCounters(ApiFactory factory, params string[] instruments)
    {
        var meters = factory.Services.GetRequiredService<IMeterFactory>();
        _collectors = instruments.ToDictionary(i => i, i => new MetricCollector<long>(meters, PredictionMetrics.MeterName, i));
    }

    /// <summary>Sum of the measurements of <paramref name="instrument"/> whose tags include <paramref name="tags"/>.</summary>
    public long Sum(string instrument, params (string Name, string Value)[] tags) =>
        _collectors[instrument].GetMeasurementSnapshot()
            .Where(m => tags.All(t => m.Tags.TryGetValue(t.Name, out var v) && Equals(v?.ToString(), t.Value)))
            .Sum(m => m.Value);

    /// <summary>Polls until <paramref name="done"/> holds (copies are sent in the background).</summary>
    public async Task WaitForAsync(Func<HostCounters, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!done(this))
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}: " + string.Join("; ", _collectors.Select(c =>
                    $"{c.Key} = [{string.Join(", ", c.Value.GetMeasurementSnapshot().Select(m => $"{string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}"))}: {m.Value}"))}]")));
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        foreach (var collector in _collectors.Values)
            collector.Dispose();
    }
}
