using MlopsExam.Tooling;

namespace MlopsExam.Tests.Tools;

/// <summary>What the tools and the tests rely on when they run docker, h2load, openssl or a script.</summary>
public sealed class ProcessRunnerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stdin_goes_in_and_stdout_stderr_and_the_exit_code_come_back_apart()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "cat; echo warning >&2; exit 3"], Timeout, stdin: "one line\n");

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("one line\n", result.Stdout);
        Assert.Equal("warning\n", result.Stderr);
    }

    [Fact]
    public async Task Environment_values_are_set_and_a_null_value_removes_an_inherited_variable()
    {
        var result = await ProcessRunner.RunAsync("sh", ["-c", "echo \"${HOME-unset} ${PROBE_VALUE}\""], Timeout,
            environment: new Dictionary<string, string?> { ["HOME"] = null, ["PROBE_VALUE"] = "set" });

        Assert.Equal("unset set\n", result.Stdout);
    }

    [Fact]
    public async Task The_working_directory_is_the_one_given()
    {
        var result = await ProcessRunner.RunCheckedAsync("pwd", [], Timeout, workingDirectory: RepoLayout.Path("deployments"));

        Assert.Equal(RepoLayout.Path("deployments"), result.Stdout.Trim());
    }

    [Fact]
    public async Task A_failed_command_names_itself_and_what_it_printed()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ProcessRunner.RunCheckedAsync("sh", ["-c", "echo no such thing >&2; exit 2"], Timeout));

        Assert.Contains("'sh -c echo no such thing >&2; exit 2' exited with 2", error.Message);
        Assert.Contains("no such thing", error.Message);
    }

    [Fact]
    public async Task Past_the_deadline_the_whole_process_tree_is_killed()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"process-runner-{Guid.NewGuid():N}.pid");
        try
        {
            // A child that would outlive its shell if only the shell were killed.
            await Assert.ThrowsAsync<TimeoutException>(() => ProcessRunner.RunAsync("sh",
                ["-c", $"sleep 300 & echo $! > {pidFile}; wait"], TimeSpan.FromSeconds(2)));

            var child = File.ReadAllText(pidFile).Trim();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (IsRunning(child) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.False(IsRunning(child), $"the shell's child (pid {child}) still runs after the deadline");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    // A killed child stays a zombie until its parent reaps it; a zombie is not running.
    private static bool IsRunning(string pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] != 'Z';
}
