using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.Shadow;

/// <summary>One served request to copy to the challenger.</summary>
public sealed record ShadowCopy(string Sentence, string RequestId, string Label, float PositiveProbability);

/// <summary>
/// Bounded, in-memory hand-off between <c>/predict</c> and <see cref="ShadowSender"/>. Offering a
/// copy never waits: when the queue is full the copy is dropped and counted
/// (<c>sentiment_shadow_copies_total{outcome="dropped"}</c>), so a slow or dead challenger costs the
/// client nothing and costs this replica at most <c>ShadowQueueCapacity</c> copies of memory.
/// Copies still queued when the replica stops are lost: a shadow copy is a sample, not a promise.
/// </summary>
public sealed class ShadowQueue
{
    /// <summary>Header with which the gateway marks the requests to copy (value <c>1</c>).</summary>
    public const string Header = "X-Shadow";

    private readonly Channel<ShadowCopy> _channel;
    private readonly PredictionMetrics _metrics;

    public ShadowQueue(IOptions<ServingOptions> options, PredictionMetrics metrics)
    {
        _metrics = metrics;
        Enabled = !string.IsNullOrWhiteSpace(options.Value.ShadowUrl);
        // FullMode.Wait with TryWrite: a full queue makes TryWrite return false at once (never
        // waits), which is when the copy is counted as dropped. (DropWrite would drop silently.)
        _channel = Channel.CreateBounded<ShadowCopy>(new BoundedChannelOptions(options.Value.ShadowQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
    }

    /// <summary>True when <c>Serving:ShadowUrl</c> is set.</summary>
    public bool Enabled { get; }

    internal ChannelReader<ShadowCopy> Reader => _channel.Reader;

    /// <summary>Copies currently waiting.</summary>
    public int Count => _channel.Reader.Count;

    public static bool IsMarked(HttpRequest request) => request.Headers[Header] == "1";

    /// <summary>Queues a copy of a served request the gateway marked (<see cref="IsMarked"/>); never blocks.</summary>
    public void Offer(ShadowCopy copy)
    {
        if (!Enabled)
            _metrics.ShadowCopy(ShadowOutcome.Unconfigured);
        else if (!_channel.Writer.TryWrite(copy))
            _metrics.ShadowCopy(ShadowOutcome.Dropped);
    }
}
