using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>
/// Benchmarks, not tests (they assert nothing about time): requests/s of API replicas in-process (ASP.NET
/// Core pipeline, no Kestrel or network, no payload log), 16 concurrent request loops over the sentences of
/// SST-2 test, two configurations side by side in alternating rounds (<see cref="InProcessLoad.CompareAsync"/>);
/// each prints both medians and spreads and the ratio of each round. They run only with MLOPSEXAM_BENCH=1, e.g.
/// <c>MLOPSEXAM_BENCH=1 dotnet test MlopsExam.Tests -c Release --filter FullyQualifiedName~OtlpCostBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class InProcessBenchmarks(ITestOutputHelper output)
{
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(4);

    private bool Skipped()
    {
        if (Environment.GetEnvironmentVariable("MLOPSEXAM_BENCH") == "1") return false;
        output.WriteLine("skipped: set MLOPSEXAM_BENCH=1");
        return true;
    }

    /// <summary>One v1 and one v2 replica: the v2/v1 ratio (issue 18's target: >= 0.5).</summary>
    [Fact]
    public async Task VariantThroughputBenchmark_requests_per_second_of_one_v1_and_one_v2_replica()
    {
        if (Skipped()) return;
        using var v1 = new ApiFactory("v1");
        using var v2 = new ApiFactory("v2");
        await InProcessLoad.CompareAsync(output, "v1", v1.CreateClient(), "v2", v2.CreateClient(), rounds: 5, RoundLength);
    }

    /// <summary>What OTLP export costs one v1 replica: without an OTLP endpoint against the same with one (a
    /// closed loopback port: what is measured is the replica's own work, not a receiver's). Requests carry the
    /// gateway's `traceparent`, one in ten sampled (GATEWAY_TRACE_SAMPLE_PERCENT's default).</summary>
    [Fact]
    public async Task OtlpCostBenchmark_requests_per_second_of_a_replica_without_and_with_otlp_export()
    {
        if (Skipped()) return;
        using var off = new ApiFactory("v1");
        using var otlp = new ApiFactory("v1") { Configure = b => b.UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9") };
        await InProcessLoad.CompareAsync(output, "off", off.CreateClient(), "otlp", otlp.CreateClient(), rounds: 7, RoundLength, Traceparent);
    }

    private static void Traceparent(HttpRequestMessage request, int i) =>
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-{(i % 10 == 0 ? "01" : "00")}");
}
