using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using MlopsExam.Api.Logging;

namespace MlopsExam.Tests.Api;

/// <summary>The logger the image uses with a buffered stdout (BufferedConsoleLogger.cs): the stock
/// console logger's lines, written on the logging thread, whole.</summary>
public sealed class BufferedConsoleLoggerTests
{
    /// <summary>The services as Program.cs registers them, and a factory whose only provider writes
    /// to the given output; disposing it disposes both.</summary>
    private sealed record LoggingSetup(ServiceProvider Services, ILoggerFactory Factory) : IDisposable
    {
        public ILogger Logger(string category) => Factory.CreateLogger(category);

        public void Dispose()
        {
            Factory.Dispose();
            Services.Dispose();
        }
    }

    private static LoggingSetup Logging(TextWriter output, bool includeScopes = false)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging
            .AddSimpleConsole(o =>
            {
                BufferedConsoleLoggingExtensions.OneLinePerEvent(o);
                o.IncludeScopes = includeScopes;
            })
            .WriteConsoleLinesToBuffer());
        var provider = services.BuildServiceProvider();
        var buffered = new BufferedConsoleLoggerProvider(
            provider.GetServices<ConsoleFormatter>(), provider.GetRequiredService<IOptions<ConsoleLoggerOptions>>(), output);
        return new LoggingSetup(provider, LoggerFactory.Create(logging => logging.AddProvider(buffered)));
    }

    [Fact]
    public void It_replaces_the_stock_console_provider_and_keeps_its_options()
    {
        using var logging = Logging(TextWriter.Null);
        var providers = logging.Services.GetServices<ILoggerProvider>().ToList();
        Assert.Contains(providers, p => p is BufferedConsoleLoggerProvider);
        Assert.DoesNotContain(providers, p => p is ConsoleLoggerProvider);
    }

    [Fact]
    public void Logging_Console_filters_apply_to_it_as_to_the_stock_logger()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Console:LogLevel:Default"] = "Warning" })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConfiguration(configuration).AddSimpleConsole().WriteConsoleLinesToBuffer());
        using var provider = services.BuildServiceProvider();

        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("MlopsExam.Api.Predict.PredictRequest");
        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void A_stdout_that_fails_does_not_fail_the_caller_and_the_failed_line_is_not_repeated()
    {
        var output = new FailingOnce();
        using (var logging = Logging(output))
        {
            var logger = logging.Logger("Test");
            logger.LogInformation("first"); // the write throws IOException
            logger.LogInformation("second");
        }

        Assert.DoesNotContain("first", output.Written.ToString());
        Assert.Contains("second", output.Written.ToString());
    }

    /// <summary>A stdout whose first write fails, as a closed pipe does.</summary>
    private sealed class FailingOnce : TextWriter
    {
        private bool _failed;
        public StringWriter Written { get; } = new();
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(ReadOnlySpan<char> buffer)
        {
            if (!_failed)
            {
                _failed = true;
                throw new IOException("Broken pipe");
            }
            Written.Write(buffer);
        }

        public override void Write(char value) => Write([value]);
    }

    [Fact]
    public void A_line_has_the_stock_single_line_format()
    {
        var output = new StringWriter();
        using (var logging = Logging(output))
        {
            logging.Logger("MlopsExam.Api.Predict.PredictRequest")
                .LogInformation(new EventId(7), "predict label={Label} request_id={RequestId}", "positive", "abc");
        }

        Assert.Matches(
            new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: MlopsExam\.Api\.Predict\.PredictRequest\[7\] predict label=positive request_id=abc\r?\n$"),
            output.ToString());
    }

    [Fact]
    public void Scopes_and_exceptions_are_written_as_the_formatter_writes_them()
    {
        var output = new StringWriter();
        using (var logging = Logging(output, includeScopes: true))
        {
            var logger = logging.Logger("Test");
            using (logger.BeginScope("request {RequestId}", "r-42"))
                logger.LogError(new InvalidOperationException("boom"), "failed");
        }

        var text = output.ToString();
        Assert.Contains("fail: Test[0] => request r-42 failed", text);
        Assert.Contains("System.InvalidOperationException: boom", text);
    }

    [Fact]
    public void Lines_logged_at_once_from_many_threads_stay_whole()
    {
        var sink = new StringWriter();
        const int threads = 8, lines = 2_000;
        using (var logging = Logging(TextWriter.Synchronized(sink))) // synchronized, as Console.Out is
        {
            var logger = logging.Logger("MlopsExam.Api.Predict.PredictRequest");
            // Dedicated threads released together, so the writes overlap on every core.
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < lines; i++)
                    logger.LogInformation("predict label=positive request_id={RequestId} padding={Padding}", $"{t}-{i}", new string('x', i % 300));
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
        }

        var written = sink.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(threads * lines, written.Length);
        var pattern = new Regex(@"^\S+ info: MlopsExam\.Api\.Predict\.PredictRequest\[0\] predict label=positive request_id=(\d+-\d+) padding=x*\r?$");
        var ids = written.Select(line => pattern.Match(line)).Select(m => m.Success ? m.Groups[1].Value : "garbled").ToHashSet();
        Assert.DoesNotContain("garbled", ids);
        Assert.Equal(threads * lines, ids.Count);
    }
}
