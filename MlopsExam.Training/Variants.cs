using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>The committed models. Every choice below was made on the dev split (see the explore command).</summary>
internal static class Variants
{
    public static readonly ModelVariant V1 = new(
        "v1", "ngram-sdca",
        "Word 1-2-grams + char 4-grams, TF-IDF, L2-normalised; SDCA logistic regression (1 thread).",
        (ml, train) => Pipelines.Featurize(ml, wordNgrams: 2, charNgrams: 4)
            .Append(Pipelines.Sdca(ml))
            .Fit(train));

    public static IReadOnlyList<ModelVariant> All => [V1];

    public static IReadOnlyList<ModelVariant> Select(string which) => which switch
    {
        "all" => All,
        _ => All.Where(v => v.Name == which).ToList() is { Count: > 0 } found
            ? found
            : throw new ArgumentException($"Unknown variant '{which}': expected {string.Join(", ", All.Select(v => v.Name))} or all."),
    };
}
