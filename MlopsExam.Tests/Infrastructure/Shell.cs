using MlopsExam.Tooling;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>
/// Runs a program in the repository root (or <paramref name="workingDirectory"/>) with a deadline
/// and returns its exit code and combined output. Synchronous, for fixtures' constructors and
/// synchronous tests; <see cref="ProcessRunner"/> does the work.
/// </summary>
public static class Shell
{
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = ProcessRunner.RunAsync(file, args, timeout, workingDirectory ?? RepoLayout.Root,
            environment?.ToDictionary(e => e.Key, e => (string?)e.Value), stdin).GetAwaiter().GetResult();
        return (result.ExitCode, result.Output);
    }
}
