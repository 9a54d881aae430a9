using System.Collections.Concurrent;
using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

/// <summary>The committed models, each loaded once per test run (a load reads and verifies a few MB).</summary>
public static class CommittedModels
{
    /// <summary>The variants a [Theory] runs over: every model the repository ships.</summary>
    public static TheoryData<string> Variants => new() { "v1", "v2" };

    private static readonly ConcurrentDictionary<string, Lazy<SentimentModel>> Loaded = new();

    public static SentimentModel Get(string variant) =>
        Loaded.GetOrAdd(variant, v => new Lazy<SentimentModel>(() => SentimentModel.Load(RepoLayout.ModelPath(v)))).Value;
}
