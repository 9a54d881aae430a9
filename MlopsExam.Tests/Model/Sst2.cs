using System.Collections.Concurrent;
using MlopsExam.Model;
using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary>SST-2 splits read once per test run.</summary>
internal static class Sst2
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<LabelledSentence>> Splits = new();

    public static IReadOnlyList<LabelledSentence> Read(string split) =>
        Splits.GetOrAdd(split, s => Sst2File.Read(RepoLayout.Sst2File(s)));
}
