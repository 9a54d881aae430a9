using System.ComponentModel;
using CliWrap;
using CliWrap.Buffered;

namespace MlopsExam.Tooling;

/// <summary>How a program ended and what it printed, stdout and stderr apart.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both streams, stdout first: for messages, not for parsing.</summary>
    public string Output => Stdout + Stderr;

    /// <summary>This result, or an exception with the command line and its output when the exit code is not 0.</summary>
    public ProcessResult EnsureSuccess() => ExitCode == 0 ? this
        : throw new InvalidOperationException($"'{CommandLine}' exited with {ExitCode}:\n{Output.Trim()}");
}

/// <summary>
/// Runs a program to its end with CliWrap: arguments as a list (no shell quoting), stdin given or
/// closed, output buffered, and the process tree killed when the deadline passes or the caller
/// cancels.
/// </summary>
public static class ProcessRunner
{
    /// <param name="environment">Variables set for the program; a null value removes one.</param>
    /// <exception cref="TimeoutException">The deadline passed; the program was killed.</exception>
    /// <exception cref="Win32Exception">The program does not exist or cannot be run.</exception>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null,
        CancellationToken ct = default)
    {
        var arguments = args.ToList();
        var commandLine = string.Join(' ', [file, .. arguments]);
        var command = Cli.Wrap(file)
            .WithArguments(arguments)
            .WithStandardInputPipe(stdin is null ? PipeSource.Null : PipeSource.FromString(stdin))
            .WithValidation(CommandResultValidation.None);
        if (workingDirectory is not null) command = command.WithWorkingDirectory(workingDirectory);
        if (environment is not null) command = command.WithEnvironmentVariables(environment);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            var result = await command.ExecuteBufferedAsync(deadline.Token).ConfigureAwait(false);
            return new ProcessResult(commandLine, result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"'{commandLine}' did not finish within {timeout}.");
        }
    }

    /// <summary><see cref="RunAsync"/>, then <see cref="ProcessResult.EnsureSuccess"/>.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null,
        CancellationToken ct = default) =>
        (await RunAsync(file, args, timeout, workingDirectory, environment, stdin, ct).ConfigureAwait(false)).EnsureSuccess();
}
