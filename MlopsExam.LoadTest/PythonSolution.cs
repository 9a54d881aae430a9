using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>
/// (p): the Python solution measured in the same run, not quoted. Three containers of the image in
/// PythonSolution/ (FastAPI + uvicorn + a scikit-learn TF-IDF logistic regression trained at start on
/// SST-2's training split), on the stack's network, behind the reference nginx's TLS listener
/// <see cref="Port"/> (ReferenceProxy.cs): the shape of the exercise's published solutions, with
/// nginx's auth, logs and limits left out, which favours it. They live for the run only and publish
/// no port.
/// </summary>
internal sealed class PythonSolution : IAsyncDisposable
{
    public const int Port = 8449;
    public const string Url = "https://127.0.0.1:8449/predict";
    public const string Name = "p Python TLS h1";
    private const string Image = "mlopsexam-loadtest-python";
    private const string NamePrefix = "mlopsexam-loadtest-python-";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public IReadOnlyList<string> Addresses { get; }

    private PythonSolution(IReadOnlyList<string> addresses) => Addresses = addresses;

    /// <summary>Builds the image when missing, starts the replicas and waits until each has trained; or
    /// says why not and returns null: (p) is a reference, and no target's run depends on it.</summary>
    public static async Task<PythonSolution?> TryStartAsync(string repoRoot, string network, int replicas = 3)
    {
        var sst2 = Environment.GetEnvironmentVariable("SST2_DIR") is { Length: > 0 } dir ? dir : Path.Combine(repoRoot, "..", "shared", "data", "sst2");
        var train = Path.GetFullPath(Path.Combine(sst2, "train.tsv"));
        if (!File.Exists(train))
        {
            Console.WriteLine($"  (p) skipped: no SST-2 training split at {train} (SST2_DIR)");
            return null;
        }
        try
        {
            await RemoveAsync(); // left by a run that was interrupted
            Console.WriteLine("  starting the Python solution (3 x FastAPI/uvicorn + scikit-learn, trained at start) ...");
            await Docker.RunAsync("build", "--quiet", "--tag", Image, Path.Combine(repoRoot, "MlopsExam.LoadTest", "PythonSolution"));
            for (var i = 1; i <= replicas; i++)
                await Docker.RunAsync("run", "--detach", "--name", $"{NamePrefix}{i}", "--network", network,
                    "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
                    "--memory", "512m", "--volume", $"{train}:/data/train.tsv:ro", Image);
            var addresses = new List<string>();
            for (var i = 1; i <= replicas; i++)
            {
                await WaitTrainedAsync($"{NamePrefix}{i}");
                addresses.Add((await Docker.RunAsync("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", $"{NamePrefix}{i}")).Trim());
            }
            return new PythonSolution(addresses);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
        {
            Console.WriteLine($"  (p) skipped: {ex.Message.Split('\n')[0]}");
            await RemoveAsync();
            return null;
        }
    }

    /// <summary>uvicorn says "Application startup complete." once the module (and so the training) has loaded.</summary>
    private static async Task WaitTrainedAsync(string name)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var logs = await ProcessRunner.RunAsync("docker", ["logs", name], Docker.Timeout);
            if (logs.Stderr.Contains("Application startup complete.", StringComparison.Ordinal)) return;
            var running = (await ProcessRunner.RunAsync("docker", ["inspect", "-f", "{{.State.Running}}", name], Docker.Timeout)).Stdout.Trim();
            if (running != "true" || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{name} did not start: {logs.Stderr.Trim().Split('\n').LastOrDefault()}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private static async Task RemoveAsync()
    {
        var ids = (await ProcessRunner.RunAsync("docker", ["ps", "-aq", "--filter", $"name=^{NamePrefix}"], Docker.Timeout)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length > 0) await ProcessRunner.RunAsync("docker", ["rm", "--force", .. ids], Docker.Timeout);
    }

    public async ValueTask DisposeAsync() => await RemoveAsync();
}
