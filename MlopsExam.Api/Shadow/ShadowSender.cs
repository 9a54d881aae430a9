using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Predict;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.Shadow;

/// <summary>
/// Drains <see cref="ShadowQueue"/> and POSTs each copy to the challenger's internal
/// <c>/shadow</c>, <c>ShadowConcurrency</c> copies at a time, each given <c>ShadowTimeoutMs</c>.
/// Runs beside the request pipeline: clients never wait for it. Every copy ends as one count of
/// <c>sentiment_shadow_copies_total{outcome="sent"|"failed"}</c>. Failures are logged once when
/// the challenger starts failing and once when it answers again (each one at Debug), so a dead
/// challenger does not flood the log at the request rate.
/// </summary>
public sealed partial class ShadowSender(
    ShadowQueue queue,
    IHttpClientFactory clients,
    IOptions<ServingOptions> options,
    PredictionMetrics metrics,
    ILogger<ShadowSender> logger) : BackgroundService
{
    /// <summary>Named HttpClient: base address <c>Serving:ShadowUrl</c>, no retries (see <see cref="ShadowExtensions"/>).</summary>
    public const string HttpClientName = "shadow";
    public const string Path = "shadow";

    private int _failing; // 1 while the last copy failed; guards the warning/recovery log lines

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!queue.Enabled)
            return;
        LogStarted(logger, options.Value.ShadowUrl!, options.Value.ShadowConcurrency, options.Value.ShadowQueueCapacity, options.Value.ShadowTimeoutMs);
        var workers = Enumerable.Range(0, options.Value.ShadowConcurrency).Select(_ => DrainAsync(stoppingToken));
        await Task.WhenAll(workers);
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var copy in queue.Reader.ReadAllAsync(stoppingToken))
                await SendAsync(copy, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: copies still queued are samples we can lose.
        }
    }

    private async Task SendAsync(ShadowCopy copy, CancellationToken stoppingToken)
    {
        var serving = options.Value;
        string? failure;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Path)
            {
                Content = JsonContent.Create(new ShadowRequest(copy.Sentence, serving.Variant, copy.Label, copy.PositiveProbability)),
            };
            request.Headers.Add(PredictEndpoints.RequestIdHeader, copy.RequestId);
            // The client's Timeout (ShadowTimeoutMs) bounds the whole exchange.
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, stoppingToken);
            failure = response.IsSuccessStatusCode ? null : $"status {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TaskCanceledException)
        {
            failure = $"no answer within {serving.ShadowTimeoutMs} ms";
        }
        catch (HttpRequestException ex)
        {
            failure = ex.Message;
        }

        if (failure is null)
        {
            metrics.ShadowCopy(ShadowOutcome.Sent);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
                LogRecovered(logger, serving.ShadowUrl!, copy.RequestId);
            return;
        }

        metrics.ShadowCopy(ShadowOutcome.Failed);
        if (Interlocked.Exchange(ref _failing, 1) == 0)
            LogFailing(logger, serving.ShadowUrl!, failure, copy.RequestId);
        else
            LogFailed(logger, failure, copy.RequestId);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "shadow copies go to {ShadowUrl}: {Concurrency} at a time, queue of {Capacity}, timeout {TimeoutMs} ms")]
    private static partial void LogStarted(ILogger logger, string shadowUrl, int concurrency, int capacity, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "shadow copies to {ShadowUrl} are failing ({Failure}, request_id={RequestId}); clients are unaffected, failures are counted in sentiment_shadow_copies_total{{outcome=\"failed\"}}")]
    private static partial void LogFailing(ILogger logger, string shadowUrl, string failure, string requestId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "shadow copy failed ({Failure}) request_id={RequestId}")]
    private static partial void LogFailed(ILogger logger, string failure, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "shadow copies to {ShadowUrl} are delivered again (request_id={RequestId})")]
    private static partial void LogRecovered(ILogger logger, string shadowUrl, string requestId);
}
