using System.Text;
using Microsoft.ML.Transforms;

namespace MlopsExam.Model;

/// <summary>
/// Marks the words that follow a negation, up to the end of the clause: "it 's not good , but fun"
/// becomes "it 's not not_good , but fun". A bag of n-grams then sees "not_good" as a word of its
/// own, which carries the opposite polarity of "good" (Das and Chen 2001; Pang et al. 2002).
/// Expects text in <see cref="TextNormalizer"/> form (lower case, space-separated tokens).
/// </summary>
public static class NegationScope
{
    public const string Prefix = "not_";

    private static readonly HashSet<string> Negators =
    [
        "not", "n't", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot", "without",
        "hardly", "barely", "scarcely", "lack", "lacks", "lacking",
    ];

    // A negation's scope ends at clause punctuation or at a contrastive conjunction.
    private static readonly HashSet<string> ScopeEnds =
    [
        ".", ",", ";", ":", "!", "?", "--", "...", "(", ")", "but", "yet", "though", "although", "however",
    ];

    // The last sentence each thread marked or gated, and the answer. One prediction of v2 asks
    // for the same sentence's marking once per member that reads it and again in the lexicon view,
    // and for its gate twice (GatedScorer, then the saved gate step): the first call computes, the
    // others compare the text (a memcmp) and reuse it. Pure functions of the text, so reuse cannot
    // change an answer; per thread, so no locking (a prediction engine runs on one thread).
    [ThreadStatic] private static string? _markedInput;
    [ThreadStatic] private static string? _marked;
    [ThreadStatic] private static string? _gatedInput;
    [ThreadStatic] private static bool _gated;

    /// <summary>Whether a negation scopes over at least one word ("not good"; not "not ." alone).</summary>
    public static bool HasScope(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (string.Equals(_gatedInput, normalized, StringComparison.Ordinal)) return _gated;
        var scoped = ComputeHasScope(normalized);
        (_gatedInput, _gated) = (normalized, scoped);
        return scoped;
    }

    private static bool ComputeHasScope(string normalized)
    {
        var inScope = false;
        foreach (var token in normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ScopeEnds.Contains(token)) inScope = false;
            else if (Negators.Contains(token)) inScope = true;
            else if (inScope) return true;
        }
        return false;
    }

    public static string Mark(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (string.Equals(_markedInput, normalized, StringComparison.Ordinal)) return _marked!;
        var marked = ComputeMark(normalized);
        (_markedInput, _marked) = (normalized, marked);
        return marked;
    }

    private static string ComputeMark(string normalized)
    {
        var builder = new StringBuilder(normalized.Length + 16);
        var inScope = false;
        foreach (var token in normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (builder.Length > 0) builder.Append(' ');
            if (ScopeEnds.Contains(token))
            {
                inScope = false;
                builder.Append(token);
            }
            else if (Negators.Contains(token))
            {
                inScope = true;
                builder.Append(token);
            }
            else
            {
                if (inScope) builder.Append(Prefix);
                builder.Append(token);
            }
        }
        return builder.ToString();
    }
}

/// <summary>
/// <see cref="NegationScope"/> as a step of an ML.NET pipeline, saved in the model file by its
/// contract name. <see cref="SentimentModel.Load"/> registers this assembly so the file loads.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class NegationScopeMapping : CustomMappingFactory<NegationScopeMapping.Input, NegationScopeMapping.Output>
{
    public const string ContractName = "MlopsExam.NegationScope.v1";

    public sealed class Input
    {
        public string Sentence { get; set; } = string.Empty;
    }

    public sealed class Output
    {
        public string NegationMarked { get; set; } = string.Empty;
    }

    public static void Map(Input input, Output output) => output.NegationMarked = NegationScope.Mark(input.Sentence);

    public override Action<Input, Output> GetMapping() => Map;
}

/// <summary>
/// 1 when the sentence has a negation with a word in its scope (<see cref="NegationScope.HasScope"/>),
/// else 0: v2 scores negated sentences with members trained on negation counterfactuals and the
/// others with members trained on SST-2 alone. A saved pipeline step, like <see cref="NegationScopeMapping"/>.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class NegationGateMapping : CustomMappingFactory<NegationGateMapping.Input, NegationGateMapping.Output>
{
    public const string ContractName = "MlopsExam.NegationGate.v1";

    public sealed class Input
    {
        public string Sentence { get; set; } = string.Empty;
    }

    public sealed class Output
    {
        public float Negated { get; set; }
    }

    public static void Map(Input input, Output output) => output.Negated = NegationScope.HasScope(input.Sentence) ? 1f : 0f;

    public override Action<Input, Output> GetMapping() => Map;
}
