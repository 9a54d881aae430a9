using System.ComponentModel.DataAnnotations;

namespace MlopsExam.Api.Serving;

/// <summary>
/// What makes one replica what it is. The AppHost (or compose) sets these through environment
/// variables (<c>Serving__Variant=v2</c>, ...): v1 and v2 are the same program with other settings.
/// Validated at start-up, so a bad value stops the process with a clear message.
/// </summary>
public sealed class ServingOptions
{
    public const string Section = "Serving";

    /// <summary>A/B variant tag returned in every answer as <c>"version"</c>.</summary>
    [Required, RegularExpression("^v[0-9]+$", ErrorMessage = "Serving:Variant must look like v1, v2, ...")]
    public string Variant { get; set; } = string.Empty;

    /// <summary>The ML.NET model file (a .zip with a .metrics.json beside it).</summary>
    [Required(ErrorMessage = "Serving:ModelPath is required (path of the ML.NET model .zip).")]
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Expected sha256 of the model; by default the value recorded in its metrics file.</summary>
    [RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "Serving:ModelSha256 must be 64 hex digits.")]
    public string? ModelSha256 { get; set; }

    /// <summary>Name of this replica in answers, headers and logs; defaults to the host name
    /// (a container id under compose).</summary>
    public string InstanceId { get; set; } = Environment.MachineName;

    /// <summary>Adds both class probabilities and the model's identity to answers (the debug variant).</summary>
    public bool IncludeDebugFields { get; set; }

    /// <summary>Longest accepted sentence, in characters. The gateway also caps bodies at 16 KiB.</summary>
    [Range(1, 10_000)]
    public int MaxSentenceLength { get; set; } = 1000;

    /// <summary>Whether the payload log keeps the sentence itself (true) or only its sha256 (false).</summary>
    public bool LogSentences { get; set; } = true;

    /// <summary>Base URL of the challenger that receives shadow copies (e.g. <c>http://api-v2:8080</c>).
    /// Empty: requests marked <c>X-Shadow: 1</c> are answered as usual and not copied. Checked at
    /// start (an absolute URL) by <see cref="ShadowExtensions"/>.</summary>
    public string? ShadowUrl { get; set; }

    /// <summary>Copies waiting to be sent; one more is dropped (and counted), never waited for.</summary>
    [Range(1, 1_000_000)]
    public int ShadowQueueCapacity { get; set; } = 1000;

    /// <summary>Longest wait for the challenger's answer to one copy, in milliseconds.</summary>
    [Range(1, 60_000)]
    public int ShadowTimeoutMs { get; set; } = 2000;

    /// <summary>Copies in flight at once (each worker sends one at a time).</summary>
    [Range(1, 64)]
    public int ShadowConcurrency { get; set; } = 4;

    /// <summary>File naming the model to serve (a file name in the model store); absent or empty:
    /// <see cref="ModelPath"/>. Default: <c>serving/&lt;Variant&gt;.model</c> beside the configured model.</summary>
    public string? SelectionFile { get; set; }

    /// <summary>How often the selection file is read, in milliseconds.</summary>
    [Range(50, 60_000)]
    public int ModelPollMilliseconds { get; set; } = 1000;

    /// <summary>Fault injection, for tests and demos (0: off): this share of <c>/predict</c> requests,
    /// in percent, is answered with a 500 problem. Set by configuration only, never by a request.</summary>
    [Range(0, 100)]
    public int FaultPercent { get; set; }

    /// <summary>Fault injection (0: off): milliseconds added to every <c>/predict</c> answer.</summary>
    [Range(0, 10_000)]
    public int FaultDelayMs { get; set; }
}
