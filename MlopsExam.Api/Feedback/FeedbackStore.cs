using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using MlopsExam.Api.PayloadLog;
using Npgsql;

namespace MlopsExam.Api.Feedback;

/// <summary>What storing a label came to.</summary>
public enum FeedbackOutcome
{
    /// <summary>Committed now.</summary>
    Stored,
    /// <summary>The same label was already stored: nothing changed.</summary>
    Duplicate,
    /// <summary>Another label is stored for this request.</summary>
    Conflict,
    /// <summary>No answered request has this id (within <see cref="PayloadLogOptions.FeedbackWaitMs"/>).</summary>
    UnknownRequest,
}

/// <summary>
/// Stores feedback labels in the feedback table, one per request id (unique), only for a request whose
/// answer is in prediction_log. Returns only after the commit. Counts
/// <c>sentiment_feedback_labels_total</c> and <c>sentiment_feedback_correct_total</c> by the variant and
/// model id that served the request (not this replica's).
/// </summary>
public sealed class FeedbackStore
{
    private readonly PayloadLogDatabase? _database;
    private readonly PayloadLogOptions _options;
    private readonly Counter<long> _labels;
    private readonly Counter<long> _correct;

    public FeedbackStore(IOptions<PayloadLogOptions> options, IMeterFactory meterFactory, PayloadLogDatabase? database = null)
    {
        _database = database;
        _options = options.Value;
        var meter = meterFactory.Create(Serving.PredictionMetrics.MeterName);
        _labels = meter.CreateCounter<long>("sentiment.feedback.labels", "{label}",
            "Feedback labels stored, by the variant and model id that served the request.");
        _correct = meter.CreateCounter<long>("sentiment.feedback.correct", "{label}",
            "Feedback labels that equal the served label, by the variant and model id that served the request.");
    }

    public bool Enabled => _database is not null;

    /// <summary>Stores <paramref name="label"/> for <paramref name="requestId"/>; throws <see cref="NpgsqlException"/>
    /// (or a timeout) when the database cannot commit it.</summary>
    public async Task<FeedbackOutcome> StoreAsync(string requestId, string label, CancellationToken ct)
    {
        var database = _database ?? throw new InvalidOperationException("No database configured.");
        await database.EnsureSchemaAsync(ct);
        // The prediction's row is written asynchronously (PayloadLogWriter): a client that sends feedback
        // right after its answer may be ahead of it, hence the short wait before a 404.
        var deadline = DateTime.UtcNow.AddMilliseconds(_options.FeedbackWaitMs);
        while (true)
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("""
                WITH served AS (
                    SELECT variant, model_id, label FROM prediction_log
                    WHERE request_id = @id AND NOT shadow ORDER BY id LIMIT 1),
                inserted AS (
                    INSERT INTO feedback (request_id, label)
                    SELECT @id, @label WHERE EXISTS (SELECT 1 FROM served)
                    ON CONFLICT (request_id) DO NOTHING
                    RETURNING label)
                SELECT (SELECT label FROM inserted), (SELECT label FROM feedback WHERE request_id = @id),
                       s.variant, s.model_id, s.label
                FROM (SELECT 1) one LEFT JOIN served s ON true
                """, connection);
            command.Parameters.AddWithValue("id", requestId);
            command.Parameters.AddWithValue("label", label);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var inserted = !reader.IsDBNull(0);
            // The CTE's snapshot does not see its own insert: the existing label is read only when nothing was inserted.
            var existing = reader.IsDBNull(1) ? null : reader.GetString(1);
            (string Variant, string ModelId, string Label)? served = reader.IsDBNull(2) ? null : (Variant: reader.GetString(2), ModelId: reader.GetString(3), Label: reader.GetString(4));
            if (inserted)
            {
                // served_*: the scrape gives every series of a replica its own `variant` label (prometheus.yml).
                var tags = new TagList { { "served_variant", served!.Value.Variant }, { "served_model_id", served.Value.ModelId } };
                _labels.Add(1, tags);
                if (served.Value.Label == label) _correct.Add(1, tags);
                else _correct.Add(0, tags); // the series exists from the first label on
                return FeedbackOutcome.Stored;
            }
            if (existing is not null)
                return existing == label ? FeedbackOutcome.Duplicate : FeedbackOutcome.Conflict;
            if (served is null && DateTime.UtcNow >= deadline)
                return FeedbackOutcome.UnknownRequest;
            await Task.Delay(100, ct);
        }
    }
}
