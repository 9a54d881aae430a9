using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace MlopsExam.Api.Logging;

/// <summary>
/// The console logger for a buffered stdout (<see cref="StdoutBuffering"/>): each line is formatted
/// by the configured console formatter (the same text as the stock console logger) and appended to
/// the buffer on the thread that logs, instead of being queued for the console logger's own thread.
///
/// Why: the stock logger hands every line to its thread through a blocking queue, so each request
/// wakes that thread. Its queue exists so that a slow console write does not hold a request; once
/// stdout is a memory buffer written out by a timer, appending is a copy under a lock, and the
/// queue only adds the wake-up. When the buffer fills (64 K characters) the writing thread writes
/// it out, which is the back-pressure the stock logger's bounded queue also applies.
/// Hand-written rather than the stock logger on purpose: make loadtest measured the difference
/// (the performance notes of the docs).
///
/// Registered only when <see cref="StdoutBuffering"/> is on; with an unbuffered console (tests,
/// <c>dotnet run</c>) every line would be a write to the terminal on the request's thread.
/// Not carried over from the stock logger, because nothing here sets them: LogToStandardErrorThreshold
/// (every line goes to stdout) and reloading the console options while running.
/// </summary>
[ProviderAlias("Console")] // Logging:Console:LogLevel filters apply to it as to the stock logger.
internal sealed class BufferedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConsoleFormatter _formatter;
    private readonly TextWriter _out;
    private readonly Lock _gate = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public BufferedConsoleLoggerProvider(IEnumerable<ConsoleFormatter> formatters, IOptions<ConsoleLoggerOptions> options)
        : this(formatters, options, Console.Out)
    {
    }

    internal BufferedConsoleLoggerProvider(IEnumerable<ConsoleFormatter> formatters, IOptions<ConsoleLoggerOptions> options, TextWriter output)
    {
        // As the stock provider picks it: by name, ignoring case, else the simple formatter.
        var all = formatters.ToList();
        var name = options.Value.FormatterName ?? ConsoleFormatterNames.Simple;
        _formatter = all.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? all.First(f => f.Name == ConsoleFormatterNames.Simple);
        _out = output;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(string category, BufferedConsoleLoggerProvider provider) : ILogger
    {
        // One formatting buffer per thread: the formatter writes a line in several calls.
        [ThreadStatic] private static StringWriter? t_line;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = t_line ??= new StringWriter(new StringBuilder(256), System.Globalization.CultureInfo.InvariantCulture);
            var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
            provider._formatter.Write(in entry, provider._scopes, line);
            var text = line.GetStringBuilder();
            try
            {
                if (text.Length == 0) return;
                // One lock for the whole line, so lines from different threads never interleave.
                lock (provider._gate)
                {
                    foreach (var chunk in text.GetChunks()) provider._out.Write(chunk.Span);
                }
            }
            // A full buffer is written out by this thread; a closed or broken stdout must not fail
            // the request that logged (the stock logger never throws to its caller either).
            catch (IOException) { }
            catch (ObjectDisposedException) { }
            finally
            {
                text.Clear();
                if (text.Capacity > 16 * 1024) text.Capacity = 256; // an exception's stack trace: do not keep its buffer
            }
        }
    }
}

internal static class BufferedConsoleLoggingExtensions
{
    /// <summary>The API's console format: one line per event, UTC timestamp first.</summary>
    public static void OneLinePerEvent(SimpleConsoleFormatterOptions options)
    {
        options.SingleLine = true;
        options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        options.UseUtcTimestamp = true;
    }

    /// <summary>Replaces the stock console logger provider with <see cref="BufferedConsoleLoggerProvider"/>
    /// (same formatter and options; call after AddSimpleConsole).</summary>
    public static ILoggingBuilder WriteConsoleLinesToBuffer(this ILoggingBuilder logging)
    {
        var stock = logging.Services.Where(descriptor =>
            descriptor.ServiceType == typeof(ILoggerProvider) && !descriptor.IsKeyedService
            && descriptor.ImplementationType == typeof(ConsoleLoggerProvider)).ToList();
        foreach (var descriptor in stock) logging.Services.Remove(descriptor);
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, BufferedConsoleLoggerProvider>());
        return logging;
    }
}
