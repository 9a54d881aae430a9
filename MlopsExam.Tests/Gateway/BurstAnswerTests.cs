namespace MlopsExam.Tests.Gateway;

/// <summary>
/// When the rate-limit test's curl burst may exit 28 (GatewayStack.Burst): only when the one transfer
/// that timed out had its whole answer, as curl 7.88 leaves a 429 it got before sending the body.
/// </summary>
public sealed class BurstAnswerTests
{
    private static string[] Line(string exitCode, string bytes, string contentLength) =>
        ["429", "0", "application/problem+json", "1", exitCode, bytes, contentLength, "/tmp/0.json"];

    private static readonly string[] Ok200 = ["200", "0", "application/json", "", "0", "166", "", "/tmp/1.json"];

    [Fact]
    public void A_timed_out_transfer_with_its_whole_body_counts_as_answered()
    {
        Assert.True(GatewayStack.EveryTransferAnswered([Ok200, Line("0", "254", "254"), Line("28", "254", "254")], 3));
    }

    [Theory]
    [InlineData("28", "100", "254")] // cut short
    [InlineData("28", "166", "")]    // no Content-Length: nothing says it was whole
    [InlineData("7", "254", "254")]  // another failure than a timeout
    public void Any_other_failed_transfer_does_not(string exitCode, string bytes, string contentLength)
    {
        Assert.False(GatewayStack.EveryTransferAnswered([Ok200, Line(exitCode, bytes, contentLength)], 2));
    }

    [Fact]
    public void A_missing_transfer_does_not()
    {
        Assert.False(GatewayStack.EveryTransferAnswered([Ok200, Line("0", "254", "254")], 3));
    }
}
