using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MlopsExam.Tests.Api;

/// <summary>
/// The replicas' log records follow their trace's sampling (ServiceDefaults, ExportLogRecord): under a request
/// the gateway did not sample, the product's own Information records stay on the console and are not exported
/// over OTLP; under a sampled one, and outside any request, they are; warnings always are. Without this filter,
/// every prediction's record went to the dashboard, the larger part of OTLP's cost in `make loadtest`.
/// </summary>
public sealed class TraceSampledLogsTests
{
    private sealed class Collector(List<(string Category, LogLevel Level, string Message)> records) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            lock (records)
            {
                records.Add((data.CategoryName ?? "", data.LogLevel, data.FormattedMessage ?? data.Body ?? ""));
            }
        }
    }

    /// <summary>A host configured as a replica that exports OTLP (to a closed loopback port), whose OpenTelemetry
    /// log records are also collected in <paramref name="records"/>.</summary>
    private static IHost ExportingHost(List<(string, LogLevel, string)> records)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        builder.Configuration["Logging:LogLevel:Default"] = "Information";
        builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
        builder.ConfigureOpenTelemetry();
        builder.Logging.AddOpenTelemetry(logging => logging.AddProcessor(new Collector(records)));
        return builder.Build();
    }

    private static Activity RequestActivity(bool sampled)
    {
        var activity = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn");
        activity.SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(),
            sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None);
        return activity.Start();
    }

    [Fact]
    public void Records_of_unsampled_requests_stay_off_otlp_and_the_rest_is_exported()
    {
        var records = new List<(string Category, LogLevel Level, string Message)>();
        using (var host = ExportingHost(records))
        {
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MlopsExam.Api.Predict.PredictEndpoints");
            var aspNet = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");

            using (RequestActivity(sampled: false))
            {
                logger.LogInformation("unsampled info");
                logger.LogWarning("unsampled warning");
            }

            using (RequestActivity(sampled: true))
            {
                logger.LogInformation("sampled info");
                logger.LogDebug("sampled debug");
                aspNet.LogInformation("framework info");
            }

            logger.LogInformation("outside a request");
        }

        var exported = records.Select(r => r.Message).ToList();
        Assert.Equal(["unsampled warning", "sampled info", "outside a request"], exported);
    }

    [Theory]
    [InlineData(LogLevel.Debug, null, false)]
    [InlineData(LogLevel.Information, null, true)]
    [InlineData(LogLevel.Information, true, true)]
    [InlineData(LogLevel.Information, false, false)]
    [InlineData(LogLevel.Warning, false, true)]
    [InlineData(LogLevel.Error, false, true)]
    public void The_rule_reads_the_current_activitys_recorded_flag(LogLevel level, bool? sampled, bool exported)
    {
        using var activity = sampled is { } s ? RequestActivity(s) : null;
        Assert.Equal(exported, Microsoft.Extensions.Hosting.Extensions.ExportLogRecord(level));
    }
}
