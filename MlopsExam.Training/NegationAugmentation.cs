using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// Counterfactual negation examples made from SST-2's own training phrases. SST-2 has few negated
/// negatives (27 training phrases with "not/never/no" + "bad/dull/boring/problem..."), so a model
/// learns "not" as a negative word and scores "not bad" negative. For each short training phrase
/// (at most <see cref="MaxTokens"/> tokens, no negator) whose one strong VADER word agrees with its
/// label ("dull" 0, "a charming film" 1), this adds the phrase after "not", "never" and "no" with
/// the opposite label. Deterministic, derived from the training split and the lexicon only: no
/// dev, test or uci-sls text is used.
/// </summary>
internal static class NegationAugmentation
{
    public const int MaxTokens = 3;
    public const float MinValence = 1.5f;
    private static readonly string[] Negators = ["not", "never", "no"];

    public static IReadOnlyList<LabelledSentence> Apply(IReadOnlyList<LabelledSentence> train) => Apply(train, MaxTokens, MinValence);

    /// <summary>
    /// The negation frames of v2's counterfactuals (issue 12, second pass): besides "not/never/no P",
    /// "not P at all", "nothing P" and "is n't P". A negative-polarity "at all" follows "not" in
    /// SST-2 almost only in negative phrases ("not funny at all"), and "nothing"/"is n't" are the
    /// other common English negators; without these frames the model read them as negative words.
    /// </summary>
    public static readonly string[] Frames = ["not {p}", "never {p}", "no {p}", "not {p} at all", "nothing {p}", "is n't {p}"];

    public static IReadOnlyList<LabelledSentence> ApplyFrames(IReadOnlyList<LabelledSentence> train) => Apply(train, MaxTokens, MinValence, Frames);

    public static IReadOnlyList<LabelledSentence> Apply(IReadOnlyList<LabelledSentence> train, int maxTokens, float minValence) =>
        Apply(train, maxTokens, minValence, Negators.Select(n => n + " {p}").ToArray());

    /// <summary>As above with other negation frames ("{p}" is the phrase).</summary>
    public static IReadOnlyList<LabelledSentence> Apply(IReadOnlyList<LabelledSentence> train, int maxTokens, float minValence, string[] frames)
    {
        var seen = new HashSet<string>(train.Select(r => TextNormalizer.Normalize(r.Sentence)), StringComparer.Ordinal);
        var added = new List<LabelledSentence>();
        foreach (var row in train)
        {
            var phrase = TextNormalizer.Normalize(row.Sentence);
            var tokens = phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0 || tokens.Length > maxTokens) continue;
            if (NegationScope.Mark(phrase) != phrase || tokens.Any(t => t is "not" or "n't" or "no" or "never")) continue;
            var polar = tokens.Where(t => LexiconView.Lexicon.TryGetValue(t, out var v) && Math.Abs(v) >= minValence).ToList();
            if (polar.Count != 1 || LexiconView.Lexicon[polar[0]] > 0 != row.Label) continue;
            foreach (var frame in frames)
            {
                var negated = frame.Replace("{p}", phrase, StringComparison.Ordinal);
                if (seen.Add(negated)) added.Add(new LabelledSentence(negated, !row.Label));
            }
        }
        return [.. train, .. added];
    }
}
