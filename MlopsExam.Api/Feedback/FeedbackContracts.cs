namespace MlopsExam.Api.Feedback;

/// <summary>The true label of an answered request: <c>{"requestId": "...", "label": "positive"|"negative"}</c>.</summary>
public sealed record FeedbackRequest(string RequestId, string Label);

/// <summary>What <c>202 Accepted</c> says: the label is committed (<see cref="Duplicate"/>: it already was).</summary>
public sealed record FeedbackAccepted(string RequestId, string Label, bool Duplicate);
