using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace MlopsExam.Tests.Api;

/// <summary>No other test runs beside these: an ActivityListener is process-wide, so the requests of the
/// in-process API tests would start activities through the host's sampler and spend its budget.</summary>
[CollectionDefinition(nameof(ProcessWideSampler), DisableParallelization = true)]
public sealed class ProcessWideSampler;

/// <summary>
/// The replicas' trace budget (ServiceDefaults, TraceBudgetSampler): the requests the gateway marked sampled
/// are recorded up to the budget per second and dropped beyond it, the unsampled ones never, and the
/// sampler set in code wins over OTEL_TRACES_SAMPLER (Aspire sets always_on under the AppHost).
/// </summary>
[Collection(nameof(ProcessWideSampler))]
public sealed class TraceBudgetSamplerTests
{
    private sealed class ManualTime : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;
        public override long TimestampFrequency => 1_000_000;
        public override long GetTimestamp() => Now;
    }

    private static bool Recorded(Sampler sampler, ActivityTraceFlags? parent, bool remote = true)
    {
        var context = parent is { } flags ? new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags, isRemote: remote) : default;
        var parameters = new SamplingParameters(context, context.TraceId == default ? ActivityTraceId.CreateRandom() : context.TraceId, "POST /predict", ActivityKind.Server);
        return sampler.ShouldSample(parameters).Decision == SamplingDecision.RecordAndSample;
    }

    [Fact]
    public void Sampled_requests_are_recorded_up_to_the_budget_then_again_as_it_refills()
    {
        var time = new ManualTime();
        var sampler = TraceBudgetSampler.Create(20, time);
        Assert.Equal(20, Enumerable.Range(0, 50).Count(_ => Recorded(sampler, ActivityTraceFlags.Recorded)));
        time.Now += 100_000; // 0.1 s: two more
        Assert.Equal(2, Enumerable.Range(0, 50).Count(_ => Recorded(sampler, ActivityTraceFlags.Recorded)));
        time.Now += 10_000_000; // 10 s idle: a full burst again, not more
        Assert.Equal(20, Enumerable.Range(0, 50).Count(_ => Recorded(sampler, null)));
    }

    [Fact]
    public void Unsampled_requests_are_never_recorded_and_spend_nothing_and_local_parents_are_followed()
    {
        var time = new ManualTime();
        var sampler = TraceBudgetSampler.Create(5, time);
        Assert.Equal(0, Enumerable.Range(0, 50).Count(_ => Recorded(sampler, ActivityTraceFlags.None)));
        Assert.Equal(5, Enumerable.Range(0, 50).Count(_ => Recorded(sampler, ActivityTraceFlags.Recorded)));
        // The shadow call under a recorded request: its span is recorded whatever the budget.
        Assert.True(Recorded(sampler, ActivityTraceFlags.Recorded, remote: false));
        Assert.False(Recorded(sampler, ActivityTraceFlags.None, remote: false));
    }

    [Fact]
    public void Under_concurrent_callers_the_budget_is_spent_exactly_once()
    {
        var time = new ManualTime();
        var sampler = TraceBudgetSampler.Create(100, time);
        var recorded = 0;
        Parallel.For(0, 10_000, _ => { if (Recorded(sampler, ActivityTraceFlags.Recorded)) Interlocked.Increment(ref recorded); });
        Assert.Equal(100, recorded);
    }

    [Theory]
    [InlineData(null, 20)]
    [InlineData("3", 3)]
    public void A_replica_that_exports_uses_the_budget_over_OTEL_TRACES_SAMPLER(string? configured, int expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        builder.Configuration["OTEL_TRACES_SAMPLER"] = "always_on";
        builder.Configuration[TraceBudgetSampler.ConfigurationKey] = configured;
        builder.ConfigureOpenTelemetry();
        using var host = builder.Build();
        _ = host.Services.GetRequiredService<TracerProvider>();

        using var source = new ActivitySource("Microsoft.AspNetCore");
        bool Start(ActivityTraceFlags flags)
        {
            var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), flags, isRemote: true);
            using var activity = source.StartActivity("Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server, parent);
            return activity?.Recorded == true;
        }
        Assert.False(Start(ActivityTraceFlags.None)); // always_on would record it
        var clock = Stopwatch.StartNew();
        var recorded = Enumerable.Range(0, 100).Count(_ => Start(ActivityTraceFlags.Recorded));
        // The burst, plus what the budget refilled meanwhile (a stall of the shared machine).
        Assert.InRange(recorded, expected, expected + (int)(clock.Elapsed.TotalSeconds * expected) + 1);
    }
}
