using System.Diagnostics;

namespace MlopsExam.LoadTest;

/// <summary>Runs the command-line tools the benchmark drives (docker, nsenter, h2load).</summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args,
        IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        if (environment is not null)
            foreach (var (key, value) in environment)
                if (value is null) start.Environment.Remove(key); else start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and returns stdout, or throws with stderr when the command fails.</summary>
    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        var result = await RunAsync(file, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed ({result.ExitCode}): {result.Stderr.Trim()}");
        return result.Stdout;
    }
}
