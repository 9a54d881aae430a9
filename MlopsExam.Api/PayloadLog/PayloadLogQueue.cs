using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace MlopsExam.Api.PayloadLog;

/// <summary>
/// Bounded, in-memory hand-off between the request path and <see cref="PayloadLogWriter"/>. Offering a row
/// never waits: a full queue (a slow or stopped database) drops it and counts it in
/// <c>sentiment_prediction_log_dropped_total</c>; rows written are <c>sentiment_prediction_log_written_total</c>.
/// The log is a record of traffic, not a promise: rows queued when the replica stops are lost.
/// </summary>
public sealed class PayloadLogQueue
{
    private readonly Channel<PredictionRecord> _channel;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _written;

    public PayloadLogQueue(IOptions<PayloadLogOptions> options, IMeterFactory meterFactory, PayloadLogDatabase? database = null)
    {
        Enabled = database is not null;
        _channel = Channel.CreateBounded<PredictionRecord>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false at once when full, never a wait
            SingleReader = true,
            SingleWriter = false,
        });
        var meter = meterFactory.Create(Serving.PredictionMetrics.MeterName);
        _dropped = meter.CreateCounter<long>("sentiment.prediction_log.dropped", "{row}",
            "Payload-log rows dropped: queue full or the database failed a batch.");
        _written = meter.CreateCounter<long>("sentiment.prediction_log.written", "{row}", "Payload-log rows committed to the database.");
        meter.CreateObservableGauge("sentiment.prediction_log.queued", () => _channel.Reader.Count, "{row}", "Payload-log rows waiting to be written.");
    }

    /// <summary>True when a database is configured.</summary>
    public bool Enabled { get; }

    internal ChannelReader<PredictionRecord> Reader => _channel.Reader;

    /// <summary>Queues a row; never blocks. Nothing happens when the log is off.</summary>
    public void Offer(PredictionRecord record)
    {
        if (Enabled && !_channel.Writer.TryWrite(record))
            _dropped.Add(1);
    }

    internal void Dropped(int rows) => _dropped.Add(rows);

    internal void Written(int rows) => _written.Add(rows);
}
