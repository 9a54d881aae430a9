using MlopsExam.Tooling;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>
/// Where the tests find the repository (<see cref="RepoRoot.Find"/>: their working directory is
/// under it) and SST-2 (beside it, <c>&lt;root&gt;/../shared/data/sst2</c>, unless SST2_DIR says otherwise).
/// </summary>
public static class RepoLayout
{
    public static string Root { get; } = RepoRoot.Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The committed model file of a variant: "v1" -> models/sentiment-v1.zip.</summary>
    public static string ModelPath(string variant) => Path("models", $"sentiment-{variant}.zip");

    public static string Sst2 => RepoRoot.SharedData(Root, "sst2", "SST2_DIR");

    /// <summary>An SST-2 split ("dev", "test", "train"), failing with a clear message when the data are absent.</summary>
    public static string Sst2File(string split)
    {
        var path = System.IO.Path.Combine(Sst2, $"{split}.tsv");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"SST-2 split '{path}' not found: put SST-2 in ../shared/data/sst2 beside the repository or set SST2_DIR.", path);
    }
}
