using System.Diagnostics;

namespace MlopsExam.Tests.Gateway;

/// <summary>The gateway tests need a container engine: fail with the fix rather than a timeout.</summary>
public static class DockerPrerequisite
{
    public static void EnsureRunning()
    {
        var (code, output) = Shell.Run("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(30));
        if (code != 0)
            throw new InvalidOperationException(
                $"No Docker engine answers ({output.Trim()}). Run 'make docker' (scripts/bootstrap-docker.sh) first; 'make verify' does it for you.");
    }
}

/// <summary>Runs a command with a deadline and returns its exit code and combined output.</summary>
public static class Shell
{
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoLayout.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish within {timeout}.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
