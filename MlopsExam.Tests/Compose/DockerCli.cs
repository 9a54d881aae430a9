using System.Diagnostics;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// Runs the docker CLI in the repository root (where docker-compose.yml is) with a deadline.
/// Unlike <see cref="Gateway.Shell"/>, it is cancellable and keeps stdout apart from stderr, since
/// the compose tests parse stdout (container ids, Prometheus' JSON) and compose warns on stderr.
/// </summary>
public static class DockerCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;

        /// <summary>This result, or an exception saying what failed when the exit code is not 0.</summary>
        public Result EnsureSuccess(IEnumerable<string> args) => ExitCode == 0 ? this
            : throw new InvalidOperationException($"'docker {string.Join(' ', args)}' exited with {ExitCode}:\n{Output.Trim()}");
    }

    public static async Task<Result> RunAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoLayout.Root,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"'docker {string.Join(' ', args)}' did not finish within {timeout}.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<Result> RunCheckedAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null) =>
        (await RunAsync(args, timeout, ct, environment)).EnsureSuccess(args);
}
