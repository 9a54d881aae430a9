using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// The UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015; amazon, yelp, imdb; 1,000 each):
/// out-of-domain development data, for measuring and choosing only, never for training.
/// Same file format as SST-2 (header, sentence TAB 0|1).
/// </summary>
public sealed record OutOfDomainSet(string Name, IReadOnlyList<LabelledSentence> Rows, string Sha256);

public static class OutOfDomain
{
    public static readonly string[] Files = ["amazon", "yelp", "imdb"];

    /// <summary>The three files, or an empty list when the folder is absent (the numbers are then not reported).</summary>
    public static IReadOnlyList<OutOfDomainSet> Load(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return Files.Select(name =>
        {
            var path = Path.Combine(directory, $"{name}.tsv");
            return new OutOfDomainSet(name, Sst2File.Read(path), SentimentModel.ComputeSha256(path));
        }).ToList();
    }
}
