using MlopsExam.Tooling;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>
/// Runs the docker CLI in the repository root (where docker-compose.yml is) with a deadline,
/// cancellable, stdout apart from stderr: the compose tests parse stdout (container ids,
/// Prometheus' JSON) and compose warns on stderr.
/// </summary>
public static class DockerCli
{
    public static Task<ProcessResult> RunAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync("docker", args, timeout, RepoLayout.Root,
            environment?.ToDictionary(e => e.Key, e => (string?)e.Value), ct: ct);

    public static async Task<ProcessResult> RunCheckedAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null) =>
        (await RunAsync(args, timeout, ct, environment)).EnsureSuccess();
}
