using System.ComponentModel.DataAnnotations;

namespace MlopsExam.Api.PayloadLog;

/// <summary>
/// The payload log and the feedback store (section <c>PayloadLog</c>). The database is
/// <c>ConnectionStrings:postgres</c>: without it both are off (predictions are served, not logged;
/// <c>/feedback</c> answers 503), which is how the in-process tests and a bare <c>make run</c> work.
/// </summary>
public sealed class PayloadLogOptions
{
    public const string Section = "PayloadLog";
    public const string ConnectionStringName = "postgres";

    /// <summary>File holding the database password (the *_FILE convention; the connection string has none).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Rows waiting to be written; one more is dropped (and counted), never waited for.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>Most rows written by one COPY.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Milliseconds a batch gathers rows after the first before it is written (unless it fills first): at most
    /// 1000 / FlushIntervalMs commits a second per replica, whatever the request rate.</summary>
    [Range(0, 10_000)]
    public int FlushIntervalMs { get; set; } = 200;

    /// <summary>Days a prediction without feedback is kept (PREDICTION_RETENTION_DAYS overrides it).</summary>
    [Range(1, 36_500)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>Longest wait, in milliseconds, of a feedback for its prediction's row (written asynchronously).</summary>
    [Range(0, 10_000)]
    public int FeedbackWaitMs { get; set; } = 2000;
}
