namespace MlopsExam.Api.Shadow;

/// <summary>
/// Body of the internal <c>POST /shadow</c> that a served replica sends to the challenger for a
/// request marked <c>X-Shadow: 1</c>: the client's sentence and what the client was answered.
/// The request id travels in the <c>X-Request-Id</c> header, as from the gateway.
/// </summary>
public sealed record ShadowRequest(
    string Sentence,
    string ServedVariant,
    string ServedLabel,
    float ServedPositiveProbability);

/// <summary>Answer of <c>POST /shadow</c>: the challenger's prediction for the copy. Only the
/// sender's counters read it (sent or failed); no client ever sees it.</summary>
public sealed record ShadowResponse(
    string Label,
    float PositiveProbability,
    bool Agrees,
    string Version,
    string Instance,
    string ModelId,
    string RequestId);

/// <summary>Values of the <c>outcome</c> tag of <c>sentiment_shadow_copies_total</c>.</summary>
public static class ShadowOutcome
{
    /// <summary>The challenger answered 2xx.</summary>
    public const string Sent = "sent";
    /// <summary>The queue was full: the copy was not kept.</summary>
    public const string Dropped = "dropped";
    /// <summary>Error, timeout or a non-2xx answer from the challenger.</summary>
    public const string Failed = "failed";
    /// <summary>Marked for shadowing, but this replica has no <c>Serving:ShadowUrl</c>.</summary>
    public const string Unconfigured = "unconfigured";
}
