using System.Text;

namespace MlopsExam.Api.Logging;

/// <summary>
/// Buffers standard output and writes it out every <c>Serving:StdoutFlushMilliseconds</c> (and when
/// 64 K characters have piled up), instead of one write per log line.
///
/// Why: the API logs a line per request, and each write to a container's stdout wakes the Docker
/// shim, which hands it to the daemon; under load that path costs CPU per write rather than per
/// byte (the performance notes of the docs have the profile). nginx's
/// access log does the same (`buffer=64k flush=1s`, conf.d/logging.conf). The cost: a line shows in
/// `docker logs` up to one interval late, and a process killed with SIGKILL loses at most one
/// interval of lines; a normal stop (SIGTERM), an exit and an unhandled exception (a failed start:
/// port taken, bad configuration) write everything out first.
///
/// Off (0, the default) outside the container image, which sets it: the in-process tests and
/// `dotnet run` keep an unbuffered console.
/// </summary>
public sealed class StdoutBuffering : IDisposable
{
    public const string SettingKey = "Serving:StdoutFlushMilliseconds";
    private readonly TextWriter _out;
    private readonly Timer _timer;

    private StdoutBuffering(TextWriter writer, TimeSpan interval)
    {
        _out = writer;
        _timer = new Timer(_ => Flush(), null, interval, interval);
    }

    private void FlushOnExit(object? sender, EventArgs e) => Flush();

    /// <summary>Flushes <paramref name="writer"/> every <paramref name="interval"/> and on Dispose.</summary>
    internal static StdoutBuffering Start(TextWriter writer, TimeSpan interval) => new(writer, interval);

    /// <summary>Replaces Console.Out when the setting is above 0; must run before the logging
    /// providers are built (the console logger keeps the writer it finds).</summary>
    public static StdoutBuffering? Install(IConfiguration configuration)
    {
        var milliseconds = configuration.GetValue(SettingKey, 0);
        if (milliseconds <= 0) return null;
        var writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024)
        {
            AutoFlush = false,
        };
        // SetOut wraps it in a synchronized writer: the threads that log and the timer share it.
        Console.SetOut(writer);
        var buffering = Start(Console.Out, TimeSpan.FromMilliseconds(milliseconds));
        // Paths that skip Program.cs's finally: Environment.Exit, and an exception nothing catches.
        AppDomain.CurrentDomain.ProcessExit += buffering.FlushOnExit;
        AppDomain.CurrentDomain.UnhandledException += buffering.FlushOnExit;
        return buffering;
    }

    private void Flush()
    {
        try { _out.Flush(); }
        catch (IOException) { } // stdout closed: nothing to write to
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }
}
