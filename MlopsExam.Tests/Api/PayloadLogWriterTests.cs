using MlopsExam.Api.PayloadLog;

namespace MlopsExam.Tests.Api;

/// <summary>
/// The payload log writer's gathering wait (PayloadLogWriter.NextWait): a batch waits in steps of at most 20 ms
/// until FlushIntervalMs has passed, and never asks Task.Delay for a negative time, which throws and would end the
/// writer and its host (a 30-minute soak saw an API replica restart before this was computed from one clock reading).
/// </summary>
public sealed class PayloadLogWriterTests
{
    public static TheoryData<int, int, int> Waits => new()
    {
        // interval ms, elapsed ms, expected wait ms
        { 200, 0, 20 },
        { 200, 150, 20 },
        { 200, 190, 10 },
        { 200, 200, 0 },
        { 200, 203, 0 },  // the clock read after the loop's check: past the interval, no negative delay
        { 200, 5_000, 0 },
        { 0, 0, 0 },      // FlushIntervalMs = 0: write at once
    };

    [Theory]
    [MemberData(nameof(Waits))]
    public void The_next_wait_is_a_step_at_most_and_never_negative(int intervalMs, int elapsedMs, int expectedMs)
    {
        var wait = PayloadLogWriter.NextWait(TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(elapsedMs));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), wait);
        // Task.Delay takes it: it throws on anything below zero but -1 ms (infinite).
        Assert.True(wait >= TimeSpan.Zero);
    }
}
