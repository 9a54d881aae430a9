using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>
/// Benchmark, not a test (it asserts nothing about time): what OTLP export costs one v1 replica per request,
/// in-process (ASP.NET Core pipeline, no Kestrel, no payload log), side by side in alternating rounds: the
/// replica without an OTLP endpoint against the same with one (a closed loopback port: what is measured is
/// the replica's own work, not a receiver's). Requests carry the gateway's `traceparent`, one in ten
/// sampled (GATEWAY_TRACE_SAMPLE_PERCENT's default). Prints each configuration's median and spread and the
/// ratio of each round. Runs only with MLOPSEXAM_BENCH=1:
/// <c>MLOPSEXAM_BENCH=1 dotnet test MlopsExam.Tests -c Release --filter FullyQualifiedName~OtlpCostBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class OtlpCostBenchmark(ITestOutputHelper output)
{
    private const int Rounds = 7;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Requests_per_second_of_a_replica_without_and_with_otlp_export()
    {
        if (Environment.GetEnvironmentVariable("MLOPSEXAM_BENCH") != "1")
        {
            output.WriteLine("skipped: set MLOPSEXAM_BENCH=1");
            return;
        }
        using var off = new ApiFactory("v1");
        using var otlp = new ApiFactory("v1") { Configure = b => b.UseSetting("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9") };
        await InProcessLoad.CompareAsync(output, "off", off.CreateClient(), "otlp", otlp.CreateClient(), Rounds, RoundLength, Traceparent);
    }

    /// <summary>A gateway-style traceparent, sampled one request in ten.</summary>
    private static void Traceparent(HttpRequestMessage request, int i) =>
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-{(i % 10 == 0 ? "01" : "00")}");
}
