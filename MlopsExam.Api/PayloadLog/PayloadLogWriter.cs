using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace MlopsExam.Api.PayloadLog;

/// <summary>
/// Drains <see cref="PayloadLogQueue"/> into prediction_log with binary COPY, one batch (up to
/// <see cref="PayloadLogOptions.BatchSize"/> rows, gathered for <see cref="PayloadLogOptions.FlushIntervalMs"/>) at a time. A batch the database refuses is dropped and
/// counted, and the next try waits (1 s, doubling to 30 s), during which the queue fills and then drops:
/// memory stays bounded and no request ever waits. Also deletes, hourly, predictions older than
/// <see cref="PayloadLogOptions.RetentionDays"/> that have no feedback (a label given is kept).
/// </summary>
public sealed partial class PayloadLogWriter(
    PayloadLogQueue queue,
    IOptions<PayloadLogOptions> options,
    ILogger<PayloadLogWriter> logger,
    PayloadLogDatabase? database = null) : BackgroundService
{
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);
    /// <summary>How often a gathering batch looks for a full load of rows (so a fast stream never waits the whole interval).</summary>
    private static readonly TimeSpan GatherStep = TimeSpan.FromMilliseconds(20);
    private DateTime _nextRetention = DateTime.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database is null) return;
        var batch = new List<PredictionRecord>(options.Value.BatchSize);
        var backoff = TimeSpan.Zero;
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                // A COPY is a transaction: a commit, a WAL flush and a round trip, for the API and the database
                // alike. Written as soon as a row arrives, a replica at a few hundred requests a second commits
                // for nearly every row; waiting FlushIntervalMs for more (or a full batch) keeps it to a few
                // commits a second at any rate. The wait holds no request: rows only wait in the queue.
                var gathered = Stopwatch.StartNew();
                var interval = TimeSpan.FromMilliseconds(options.Value.FlushIntervalMs);
                Drain(batch);
                TimeSpan wait;
                while (batch.Count < options.Value.BatchSize && (wait = NextWait(interval, gathered.Elapsed)) > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stoppingToken);
                    Drain(batch);
                }
                try
                {
                    await database.EnsureSchemaAsync(stoppingToken);
                    await CopyAsync(batch, stoppingToken);
                    queue.Written(batch.Count);
                    backoff = TimeSpan.Zero;
                    await RetentionAsync(stoppingToken);
                }
                // Any failure of a batch, not only the database's: an exception escaping ExecuteAsync would stop the
                // host (BackgroundServiceExceptionBehavior.StopHost), and the log must never take predictions down.
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    queue.Dropped(batch.Count);
                    backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                    LogBatchFailed(logger, batch.Count, backoff.TotalSeconds, ex.Message);
                    batch.Clear();
                    await Task.Delay(backoff, stoppingToken);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Drain(List<PredictionRecord> batch)
    {
        while (batch.Count < options.Value.BatchSize && queue.Reader.TryRead(out var record))
            batch.Add(record);
    }

    /// <summary>How long the gathering batch sleeps next: at most <see cref="GatherStep"/>, zero once the interval has
    /// passed. Computed from one reading of the clock: the interval minus a later reading could be negative, which
    /// Task.Delay rejects with an exception that would end the writer and, with it, the host.</summary>
    internal static TimeSpan NextWait(TimeSpan interval, TimeSpan elapsed)
    {
        var remaining = interval - elapsed;
        return remaining <= TimeSpan.Zero ? TimeSpan.Zero : remaining < GatherStep ? remaining : GatherStep;
    }

    private async Task CopyAsync(List<PredictionRecord> batch, CancellationToken ct)
    {
        await using var connection = await database!.DataSource.OpenConnectionAsync(ct);
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY prediction_log (request_id, logged_at, shadow, variant, model_id, model_sha256, sentence, sentence_sha256, label, probability, latency_ms, client_key) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var r in batch)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(r.RequestId, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(r.LoggedAt, NpgsqlDbType.TimestampTz, ct);
            await importer.WriteAsync(r.Shadow, NpgsqlDbType.Boolean, ct);
            await importer.WriteAsync(r.Variant, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(r.ModelId, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(r.ModelSha256, NpgsqlDbType.Text, ct);
            if (r.KeepSentence) await importer.WriteAsync(r.Sentence, NpgsqlDbType.Text, ct);
            else await importer.WriteNullAsync(ct);
            await importer.WriteAsync(PredictionRecord.Sha256Hex(r.Sentence), NpgsqlDbType.Text, ct);
            await importer.WriteAsync(r.Label, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(r.PositiveProbability, NpgsqlDbType.Real, ct);
            await importer.WriteAsync(r.LatencyMs, NpgsqlDbType.Double, ct);
            if (r.ClientKey is null) await importer.WriteNullAsync(ct);
            else await importer.WriteAsync(r.ClientKey, NpgsqlDbType.Text, ct);
        }
        await importer.CompleteAsync(ct);
    }

    /// <summary>Deletes old predictions without feedback, at most once per <see cref="RetentionInterval"/>.</summary>
    internal async Task<int> RetentionAsync(CancellationToken ct, bool force = false)
    {
        var now = DateTime.UtcNow;
        if (!force && now < _nextRetention) return 0;
        _nextRetention = now + RetentionInterval;
        await using var command = database!.DataSource.CreateCommand("""
            DELETE FROM prediction_log p
            WHERE p.logged_at < now() - make_interval(days => @days)
              AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.request_id = p.request_id)
            """);
        command.Parameters.AddWithValue("days", options.Value.RetentionDays);
        var deleted = await command.ExecuteNonQueryAsync(ct);
        if (deleted > 0) LogRetention(logger, deleted, options.Value.RetentionDays);
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "payload log: dropped a batch of {Rows} rows, next try in {BackoffSeconds} s: {Error}")]
    private static partial void LogBatchFailed(ILogger logger, int rows, double backoffSeconds, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "payload log: deleted {Rows} predictions older than {Days} days without feedback")]
    private static partial void LogRetention(ILogger logger, int rows, int days);
}
