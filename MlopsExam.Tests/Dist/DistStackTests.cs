using MlopsExam.Tests.Compose;
using MlopsExam.Tests.Gateway;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Dist;

/// <summary>
/// The exercise's deliverable as a grader uses it (issue 22): `make dist`, the archive unpacked into
/// an empty folder outside the repository (with no ../shared beside it), `make up` there, the
/// template's official script run from that folder, `make down`. The script (../shared/exercise/
/// run_tests.sh) is run where it lies, never copied into the project.
/// </summary>
/// The unpacked stack is another compose project (COMPOSE_PROJECT_NAME below; a grader's would be
/// "mlopsexam", the file's name), so its `make down` and volumes touch nothing of the repository's
/// stack. Its images carry the same tags as the repository's (mlopsexam-*:local, from the same
/// Dockerfiles): whatever tag the run moves is put back, and the images it built are removed.
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class DistStackTests(ITestOutputHelper output)
{
    private const string Project = "mlopsexam-dist-test";
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(12);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private static string ExerciseScript => Path.GetFullPath(RepoLayout.Path("..", "shared", "exercise", "run_tests.sh"));

    [Fact]
    public async Task The_unpacked_archive_starts_with_make_up_and_passes_the_exercise_script()
    {
        DockerPrerequisite.EnsureRunning();
        Assert.True(File.Exists(ExerciseScript), $"The exercise's script is not at {ExerciseScript} (../shared/exercise beside the repository).");
        var temp = Directory.CreateTempSubdirectory("mlopsexam-dist-stack-");
        Assert.False(temp.FullName.StartsWith(RepoLayout.Root, StringComparison.Ordinal));
        var environment = new Dictionary<string, string> { ["COMPOSE_PROJECT_NAME"] = Project };
        Dictionary<string, string?> imagesBefore = [];
        HashSet<string> idsBefore = [];
        string? root = null;
        Exception? failure = null;
        try
        {
            var made = DistArchive.Make(Path.Combine(temp.FullName, "out"), "tar.gz");
            output.WriteLine(made.Output);
            root = DistArchive.Unpack(made.Archive, Path.Combine(temp.FullName, "grader"));
            DistArchive.AssertDeliverable(root, "admin", "admin");
            var certificate = File.ReadAllBytes(Path.Combine(root, "deployments", "nginx", "certs", "nginx.crt"));

            imagesBefore = await ImagesAsync(root, environment);
            idsBefore = await AllImageIdsAsync();

            var up = Run(root, "env", ["-u", "BASIC_AUTH_USER", "-u", "BASIC_AUTH_PASSWORD", "make", "up"], UpTimeout, environment);
            if (up.ExitCode != 0)
            {
                var ps = Run(root, "docker", ["compose", "ps", "--all"], CommandTimeout, environment);
                var logs = Run(root, "docker", ["compose", "logs", "--no-color", "--tail", "30"], CommandTimeout, environment);
                Assert.Fail($"make up in the unpacked archive exited with {up.ExitCode}:\n{up.Output}\n\n{ps.Output}\n\n{logs.Output}");
            }

            var script = Run(root, "bash", [ExerciseScript], ScriptTimeout, environment);
            var results = DistArchive.ScriptResults(script.Output);
            foreach (var check in Enumerable.Range(1, 5))
                Assert.True(results.TryGetValue(check, out var passed) && passed,
                    $"Check {check} of the exercise's script did not pass on the unpacked archive:\n{script.Output}");
            // Grafana (check 6) is not part of this project (docs/exercise.md); its result is not asserted.

            // The gateway served the archive's certificate (check 1 trusted only it) and made no other.
            Assert.Equal(certificate, File.ReadAllBytes(Path.Combine(root, "deployments", "nginx", "certs", "nginx.crt")));
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            var problems = await CleanUpAsync(root, environment, imagesBefore, idsBefore, temp);
            // A failed clean-up fails the test, but never hides the failure that came first.
            if (problems.Count > 0)
            {
                output.WriteLine("Clean-up problems:\n" + string.Join("\n", problems));
                if (failure is null) Assert.Fail("Clean-up after the unpacked stack failed:\n" + string.Join("\n", problems));
            }
        }
    }

    /// <summary>`make down` (the grader's command), then whatever it leaves of this project, the images
    /// the run built and the folder, whatever the test's result; returns what could not be cleaned up.</summary>
    private async Task<List<string>> CleanUpAsync(string? root, Dictionary<string, string> environment,
        Dictionary<string, string?> imagesBefore, HashSet<string> idsBefore, DirectoryInfo temp)
    {
        var problems = new List<string>();
        if (root is not null && File.Exists(Path.Combine(root, "docker-compose.yml")))
        {
            var down = Run(root, "make", ["down"], CommandTimeout, environment);
            if (down.ExitCode != 0) problems.Add($"make down exited with {down.ExitCode}: {down.Output}");
            // make down keeps volumes, as it does in the repository; this run's Prometheus volume goes too.
            var purge = Run(root, "docker", ["compose", "down", "--remove-orphans", "--volumes"], CommandTimeout, environment);
            if (purge.ExitCode != 0) problems.Add($"docker compose down --volumes exited with {purge.ExitCode}: {purge.Output}");
        }

        foreach (var (image, before) in imagesBefore)
        {
            var now = await ImageIdAsync(image);
            if (now is null || now == before) continue;
            // The run built a different image under this tag: the tag goes back to the one it had.
            var restored = before is null
                ? await DockerCli.RunAsync(["image", "rm", image], CommandTimeout)
                : await DockerCli.RunAsync(["tag", before, image], CommandTimeout);
            if (restored.ExitCode != 0) problems.Add($"restoring {image}: {restored.Output}");
            // An image the run brought into being is removed; one that was there before (an earlier
            // build found in the cache) stays.
            if (before is not null && !idsBefore.Contains(now)
                && (await DockerCli.RunAsync(["image", "rm", now], CommandTimeout)) is { ExitCode: not 0 } removed)
                problems.Add($"removing the image built for {image} ({now}): {removed.Output}");
            output.WriteLine($"{image}: {now} from the run ({(idsBefore.Contains(now) ? "kept, it was there before" : "removed")}), " +
                $"tag {(before is null ? "removed" : $"back on {before}")}");
        }

        var label = $"label=com.docker.compose.project={Project}";
        string[][] lists = [["container", "ls", "--all"], ["volume", "ls"], ["network", "ls"]];
        foreach (var list in lists)
        {
            var left = await DockerCli.RunAsync([.. list, "--quiet", "--filter", label], CommandTimeout);
            if (left.ExitCode != 0 || left.Stdout.Trim().Length > 0)
                problems.Add($"docker {string.Join(' ', list)} of {Project}: {left.Output.Trim()}");
        }

        try { temp.Delete(recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems.Add($"removing {temp.FullName}: {e.Message}"); }
        return problems;
    }

    /// <summary>The images the unpacked compose file names, with the id each tag has now (null: absent).</summary>
    private async Task<Dictionary<string, string?>> ImagesAsync(string root, Dictionary<string, string> environment)
    {
        // stdout alone (compose warns on stderr), hence DockerCli with the file named.
        var config = await DockerCli.RunCheckedAsync(["compose", "--file", Path.Combine(root, "docker-compose.yml"), "config", "--images"],
            CommandTimeout, environment: environment);
        var images = new Dictionary<string, string?>();
        foreach (var image in config.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct())
            images[image] = await ImageIdAsync(image);
        return images;
    }

    private static async Task<HashSet<string>> AllImageIdsAsync() =>
        (await DockerCli.RunCheckedAsync(["image", "ls", "--all", "--quiet", "--no-trunc"], CommandTimeout)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

    private static async Task<string?> ImageIdAsync(string image)
    {
        var inspect = await DockerCli.RunAsync(["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30));
        return inspect.ExitCode == 0 ? inspect.Stdout.Trim() : null;
    }

    private (int ExitCode, string Output) Run(string directory, string file, IEnumerable<string> args, TimeSpan timeout,
        Dictionary<string, string> environment)
    {
        var result = Shell.Run(file, args, timeout, workingDirectory: directory, environment: environment);
        output.WriteLine($"$ {file} {string.Join(' ', args)}  (in {directory}) -> {result.ExitCode}\n{result.Output}");
        return result;
    }
}
