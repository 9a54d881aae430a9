using System.Text;
using Microsoft.Extensions.Configuration;
using MlopsExam.Api.Logging;

namespace MlopsExam.Tests.Api;

/// <summary>The API's batched stdout (StdoutBuffering.cs): lines wait for the interval, none is lost,
/// and only the container image turns it on.</summary>
public sealed class StdoutBufferingTests
{
    /// <summary>A buffered writer as Install makes one, synchronized as Console.SetOut makes it
    /// (the timer flushes while the test writes).</summary>
    private static (MemoryStream Sink, TextWriter Writer) BufferedWriter()
    {
        var sink = new MemoryStream();
        var writer = new StreamWriter(sink, new UTF8Encoding(false), bufferSize: 64 * 1024, leaveOpen: true) { AutoFlush = false };
        return (sink, TextWriter.Synchronized(writer));
    }

    [Fact]
    public async Task Lines_are_written_out_by_the_interval_not_by_the_line()
    {
        var (sink, writer) = BufferedWriter();
        using var buffering = StdoutBuffering.Start(writer, TimeSpan.FromSeconds(2));

        writer.WriteLine("predict label=positive request_id=1");
        writer.WriteLine("predict label=negative request_id=2");
        Assert.Equal(0, sink.Length); // held in the buffer: no write per line

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sink.Length == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal("predict label=positive request_id=1\npredict label=negative request_id=2\n",
            Encoding.UTF8.GetString(sink.ToArray()).Replace("\r\n", "\n"));
    }

    [Fact]
    public void Stopping_writes_out_what_the_last_interval_held()
    {
        var (sink, writer) = BufferedWriter();
        var buffering = StdoutBuffering.Start(writer, TimeSpan.FromHours(1));
        writer.WriteLine("Application is shutting down...");
        Assert.Equal(0, sink.Length);

        buffering.Dispose();

        Assert.Contains("shutting down", Encoding.UTF8.GetString(sink.ToArray()));
    }

    [Fact]
    public void It_is_off_unless_configured_and_the_api_image_turns_it_on()
    {
        var none = new ConfigurationBuilder().Build();
        Assert.Null(StdoutBuffering.Install(none));

        var env = File.ReadLines(RepoLayout.Path("MlopsExam.Api", "Dockerfile"))
            .Select(line => line.Trim())
            .Single(line => line.StartsWith("ENV Serving__StdoutFlushMilliseconds=", StringComparison.Ordinal));
        Assert.InRange(int.Parse(env.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture), 1, 1000);
    }
}
