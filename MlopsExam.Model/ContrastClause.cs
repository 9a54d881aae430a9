using Microsoft.ML.Transforms;

namespace MlopsExam.Model;

/// <summary>
/// The clause after the last contrastive conjunction ("the acting is fine , but the story is a
/// mess" -> "the story is a mess"), empty when there is none. In "A but B" the sentiment of B
/// usually wins (Hu et al. 2016 used this as a rule on SST-2); given as a feature group of its
/// own, the model can learn how much more B counts. Expects <see cref="TextNormalizer"/> form.
/// </summary>
public static class ContrastClause
{
    private static readonly string[] Conjunctions = [" but ", " yet ", " however "];

    public static string After(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var padded = " " + normalized + " ";
        var cut = -1;
        foreach (var conjunction in Conjunctions)
        {
            var at = padded.LastIndexOf(conjunction, StringComparison.Ordinal);
            if (at >= 0) cut = Math.Max(cut, at + conjunction.Length);
        }
        return cut < 0 ? string.Empty : padded[cut..].Trim();
    }
}

/// <summary><see cref="ContrastClause"/> as a saved pipeline step (registered by <see cref="SentimentModel.Load"/>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ContrastClauseMapping : CustomMappingFactory<ContrastClauseMapping.Input, ContrastClauseMapping.Output>
{
    public const string ContractName = "MlopsExam.ContrastClause.v1";

    public sealed class Input
    {
        public string Sentence { get; set; } = string.Empty;
    }

    public sealed class Output
    {
        public string Contrast { get; set; } = string.Empty;
    }

    public static void Map(Input input, Output output) => output.Contrast = ContrastClause.After(input.Sentence);

    public override Action<Input, Output> GetMapping() => Map;
}
