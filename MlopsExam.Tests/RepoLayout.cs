using System.Reflection;

namespace MlopsExam.Tests;

/// <summary>
/// Where the tests find the repository and SST-2. The root comes from the assembly metadata
/// "RepoRoot" that the test project sets at build time; SST-2 lives beside the repository
/// (<c>&lt;root&gt;/../shared/data/sst2</c>) unless the environment variable SST2_DIR says otherwise.
/// </summary>
public static class RepoLayout
{
    public static string Root { get; } = System.IO.Path.GetFullPath(
        typeof(RepoLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value
        ?? throw new InvalidOperationException("The test assembly has no RepoRoot metadata."));

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Models => Path("models");

    /// <summary>The committed model file of a variant: "v1" -> models/sentiment-v1.zip.</summary>
    public static string ModelPath(string variant) => Path("models", $"sentiment-{variant}.zip");

    public static string Sst2 =>
        Environment.GetEnvironmentVariable("SST2_DIR") is { Length: > 0 } fromEnv
            ? System.IO.Path.GetFullPath(fromEnv)
            : System.IO.Path.GetFullPath(Path("..", "shared", "data", "sst2"));

    /// <summary>An SST-2 split ("dev", "test", "train"), failing with a clear message when the data are absent.</summary>
    public static string Sst2File(string split)
    {
        var path = System.IO.Path.Combine(Sst2, $"{split}.tsv");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"SST-2 split '{path}' not found: put SST-2 in ../shared/data/sst2 beside the repository or set SST2_DIR.", path);
    }
}
