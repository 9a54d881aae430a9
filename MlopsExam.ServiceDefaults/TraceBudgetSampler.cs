using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A budget of traces per second for one process: records a trace while the budget lasts and drops it
/// after, as AWS X-Ray's reservoir or Jaeger's rate-limiting sampler do. It is the root and the
/// remote-sampled-parent sampler of the replicas (<see cref="Create"/>): the gateway marks a share of the
/// requests as sampled (GATEWAY_TRACE_SAMPLE_PERCENT, 10 %), which by hand is every request a person
/// looks for, and at the thousands of requests per second of `make loadtest` is hundreds of traces a
/// second, each with its log record exported and ingested by the dashboard beside the replicas on the
/// same cores. A budget keeps the first and bounds the second.
/// </summary>
/// <remarks>The budget is a generic cell rate algorithm: one trace every 1/<c>perSecond</c> s, with a
/// burst of <c>perSecond</c>; a lock-free compare-and-swap on one timestamp, taken only by requests
/// that would be recorded.</remarks>
public sealed class TraceBudgetSampler : Sampler
{
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _tolerance;
    private long _next = long.MinValue;

    public TraceBudgetSampler(double perSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _time = time ?? TimeProvider.System;
        _interval = Math.Max(1, (long)(_time.TimestampFrequency / perSecond));
        _tolerance = Math.Max(0, (long)(_time.TimestampFrequency * (Math.Max(1, perSecond) - 1) / perSecond));
        Description = $"TraceBudgetSampler{{{perSecond}/s}}";
    }

    /// <summary>Configuration key of the budget per replica and second (Telemetry__MaxTracesPerSecond).</summary>
    public const string ConfigurationKey = "Telemetry:MaxTracesPerSecond";

    public const double DefaultPerSecond = 20;

    /// <summary>Parent-based, as OpenTelemetry's default: a parent's "not sampled" is kept (the gateway's 90 %,
    /// or a client's flags 00), a local parent's decision is followed (the shadow call under its request);
    /// a new trace or a remote parent's "sampled" spends the budget.</summary>
    public static Sampler Create(double perSecond, TimeProvider? time = null)
    {
        var budget = new TraceBudgetSampler(perSecond, time);
        return new ParentBasedSampler(budget, remoteParentSampled: budget);
    }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(TryTake() ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);

    private bool TryTake()
    {
        var now = _time.GetTimestamp();
        while (true)
        {
            var next = Volatile.Read(ref _next);
            var start = Math.Max(next, now);
            if (start - now > _tolerance) return false;
            if (Interlocked.CompareExchange(ref _next, start + _interval, next) == next) return true;
        }
    }
}
