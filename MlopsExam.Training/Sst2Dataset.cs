using System.Security.Cryptography;
using Microsoft.ML;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>The three SST-2 splits, their sha256, and the normalised training view.</summary>
internal sealed class Sst2Dataset
{
    private Sst2Dataset(string directory, IReadOnlyList<LabelledSentence> train, IReadOnlyList<LabelledSentence> dev,
        IReadOnlyList<LabelledSentence> test, IReadOnlyDictionary<string, string> sha256)
    {
        Directory = directory;
        Train = train;
        Dev = dev;
        Test = test;
        Sha256 = sha256;
    }

    public string Directory { get; }
    public IReadOnlyList<LabelledSentence> Train { get; }
    public IReadOnlyList<LabelledSentence> Dev { get; }
    public IReadOnlyList<LabelledSentence> Test { get; }
    public IReadOnlyDictionary<string, string> Sha256 { get; }

    public static Sst2Dataset Load(string directory)
    {
        string PathOf(string name) => Path.Combine(directory, name);
        var sha = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "train.tsv", "dev.tsv", "test.tsv" })
        {
            using var stream = File.OpenRead(PathOf(name));
            sha[name] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        return new Sst2Dataset(directory, Sst2File.Read(PathOf("train.tsv")), Sst2File.Read(PathOf("dev.tsv")),
            Sst2File.Read(PathOf("test.tsv")), sha);
    }

    /// <summary>
    /// This dataset with <paramref name="feedbackTsv"/> (make feedback-export: SST-2's format) appended to the training
    /// split; dev and test stay SST-2's, so the metrics still compare with the committed models. The file's sha256 is
    /// recorded under "feedback.tsv (appended to train)", which is how the metrics file says the feedback set was used.
    /// </summary>
    public Sst2Dataset WithFeedback(string feedbackTsv)
    {
        var extra = Sst2File.Read(feedbackTsv);
        using var stream = File.OpenRead(feedbackTsv);
        var sha = new SortedDictionary<string, string>(Sha256.ToDictionary(), StringComparer.Ordinal)
        {
            [FeedbackKey] = Convert.ToHexStringLower(SHA256.HashData(stream)),
        };
        return new Sst2Dataset(Directory, [.. Train, .. extra], Dev, Test, sha);
    }

    /// <summary>The metrics file's key for the feedback set's sha256.</summary>
    public const string FeedbackKey = "feedback.tsv (appended to train)";

    /// <summary>
    /// Rows as the pipeline sees them: normalised exactly as <see cref="SentimentModel"/> normalises
    /// a served sentence, so training and serving agree.
    /// </summary>
    public static IDataView ToDataView(MLContext ml, IEnumerable<LabelledSentence> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(r => new SentimentInput { Sentence = TextNormalizer.Normalize(r.Sentence), Label = r.Label }).ToList());

    /// <summary>The schema a saved model declares as its input.</summary>
    public static DataViewSchema InputSchema(MLContext ml) => ml.Data.LoadFromEnumerable(new List<SentimentInput>()).Schema;
}
