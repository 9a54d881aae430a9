using System.Globalization;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>How a capability's cases are judged (Ribeiro et al., "Beyond Accuracy: Behavioral
/// Testing of NLP Models with CheckList", ACL 2020).</summary>
public enum CapabilityKind
{
    /// <summary>Minimum functionality: each sentence has an expected label.</summary>
    Mft,
    /// <summary>Invariance: a perturbation must not change the predicted label.</summary>
    Inv,
    /// <summary>Directional: a perturbation must move the probability the expected way (or not against it).</summary>
    Dir,
    /// <summary>Text without sentiment: the model must not be confident either way.</summary>
    Neutral,
}

/// <summary>
/// One generated case. <see cref="Text"/> is what is scored; <see cref="Reference"/> is the
/// unperturbed text for invariance and directional cases; <see cref="Expected"/> the label for
/// minimum-functionality and directional cases.
/// </summary>
public sealed record CapabilityCase(string Text, bool? Expected = null, string? Reference = null);

public sealed record Capability(string Name, CapabilityKind Kind, string Description, IReadOnlyList<CapabilityCase> Cases);

/// <summary>A capability's failures on one model.</summary>
public sealed record CapabilityResult(Capability Capability, int Failures, IReadOnlyList<string> Examples)
{
    public double FailureRate => (double)Failures / Capability.Cases.Count;
}

/// <summary>
/// CheckList-style behaviour tests: templates filled from small lexicons written here, so each
/// capability has dozens to hundreds of cases and a failure rate rather than a handful of
/// hand-picked sentences. Deterministic: the same cases in the same order on every run. Used by
/// <c>bench</c> (the table) and by the tests (invariance asserted fully, the rest against
/// thresholds set from the measured rates).
/// </summary>
public static class CapabilitySuite
{
    /// <summary>A neutral sentence fails when the model gives either label at least this probability.</summary>
    public const float NeutralMaxConfidence = 0.70f;

    /// <summary>An intensified sentence fails when it loses more than this of its label's probability.</summary>
    public const float IntensifierTolerance = 0.05f;

    private static readonly string[] PositiveAdjectives =
        ["good", "great", "excellent", "amazing", "wonderful", "fantastic", "enjoyable", "brilliant", "impressive", "superb", "lovely", "perfect"];

    private static readonly string[] NegativeAdjectives =
        ["bad", "terrible", "awful", "boring", "horrible", "dull", "disappointing", "poor", "mediocre", "annoying", "lousy", "useless"];

    private static readonly string[] PositiveVerbs = ["like", "love", "enjoy", "recommend", "appreciate"];

    private static readonly string[] NegativeVerbs = ["hate", "dislike", "regret buying", "despise"];

    private static readonly string[] MovieNouns = ["film", "movie", "story", "acting", "script"];
    private static readonly string[] ProductNouns = ["phone", "battery", "headset", "charger", "case", "product"];
    private static readonly string[] RestaurantNouns = ["food", "service", "pizza", "staff", "place"];
    private static readonly string[] AllNouns = [.. MovieNouns, .. ProductNouns, .. RestaurantNouns];

    private static readonly string[] Intensifiers = ["very", "really", "extremely", "incredibly", "so"];

    public static IReadOnlyList<Capability> All { get; } = Build();

    /// <summary>Scores every case of every capability with <paramref name="model"/>.</summary>
    public static IReadOnlyList<CapabilityResult> Run(SentimentModel model) => All.Select(c => Run(model, c)).ToList();

    public static CapabilityResult Run(SentimentModel model, Capability capability)
    {
        var failures = 0;
        var examples = new List<string>();
        foreach (var c in capability.Cases)
        {
            var p = model.Predict(c.Text);
            string? why = capability.Kind switch
            {
                CapabilityKind.Mft => p.IsPositive != c.Expected ? $"'{c.Text}' p(pos)={p.PositiveProbability:F2}" : null,
                CapabilityKind.Neutral => p.Confidence >= NeutralMaxConfidence ? $"'{c.Text}' p(pos)={p.PositiveProbability:F2}" : null,
                CapabilityKind.Inv => Inv(model.Predict(c.Reference!), p, c),
                CapabilityKind.Dir => Dir(model.Predict(c.Reference!), p, c),
                _ => throw new InvalidOperationException(capability.Kind.ToString()),
            };
            if (why is null) continue;
            failures++;
            if (examples.Count < 3) examples.Add(why);
        }
        return new CapabilityResult(capability, failures, examples);
    }

    private static string? Inv(SentimentPrediction reference, SentimentPrediction perturbed, CapabilityCase c) =>
        reference.IsPositive == perturbed.IsPositive ? null
            : string.Create(CultureInfo.InvariantCulture, $"'{c.Reference}' {reference.PositiveProbability:F2} -> '{c.Text}' {perturbed.PositiveProbability:F2}");

    /// <summary>The intensified sentence keeps the expected label and does not lose more than the tolerance of its probability.</summary>
    private static string? Dir(SentimentPrediction reference, SentimentPrediction intensified, CapabilityCase c)
    {
        float Of(SentimentPrediction p) => c.Expected == true ? p.PositiveProbability : 1f - p.PositiveProbability;
        return intensified.IsPositive == c.Expected && Of(intensified) >= Of(reference) - IntensifierTolerance ? null
            : string.Create(CultureInfo.InvariantCulture, $"'{c.Reference}' {reference.PositiveProbability:F2} -> '{c.Text}' {intensified.PositiveProbability:F2}");
    }

    private static List<Capability> Build()
    {
        var capabilities = new List<Capability>
        {
            new("negated positive", CapabilityKind.Mft, "'not good', 'I don't like': negative",
                Mft(false, Fill(["The {n} is not {pa}.", "This {n} isn't {pa}.", "The {n} was never {pa}.", "Not a {pa} {n}.", "The {n} is not {pa} at all."], AllNouns, PositiveAdjectives)
                    .Concat(Fill(["I don't {pv} this {n}.", "I would not {pv} this {n}.", "I did not {pv} the {n}.", "I can't say I {pv} this {n}."], AllNouns, verbs: PositiveVerbs)))),
            new("negated negative", CapabilityKind.Mft, "'not bad', 'no problems', 'never disappointed': positive",
                Mft(true, Fill(["The {n} is not {na}.", "This {n} isn't {na} at all.", "The {n} was never {na}.", "Nothing {na} about this {n}.", "Not a {na} {n} at all."], AllNouns, NegativeAdjectives)
                    .Concat(Fill(["No problems with the {n}.", "I had no problems with this {n}.", "The {n} is not a problem.", "I was never disappointed by the {n}.",
                                  "Never disappointed with this {n}.", "I have no complaints about the {n}.", "The {n} never fails.", "No issues with the {n} at all."], AllNouns))
                    .Concat(Fill(["I don't {nv} this {n}.", "I did not {nv} the {n}."], AllNouns, verbs: NegativeVerbs)))),
            new("contrast (but)", CapabilityKind.Mft, "'A but B': B decides",
                Contrast()),
            new("intensifiers", CapabilityKind.Dir, "'very good' at least as positive as 'good' (and as negative for 'bad')",
                Intensified()),
            new("neutral", CapabilityKind.Neutral, $"no sentiment: confidence below {NeutralMaxConfidence:F2}",
                Neutral()),
            new("typos", CapabilityKind.Inv, "one swap of adjacent letters in the sentiment word keeps the label",
                Typos()),
            new("casing", CapabilityKind.Inv, "upper, lower and title case keep the label",
                Casing()),
            new("punctuation", CapabilityKind.Inv, "final period removed, '!' or '...' added: same label",
                Punctuation()),
            new("text forms", CapabilityKind.Inv, "full-width letters, curly quotes, '…', doubled whitespace: same label (the normaliser's promise)",
                TextForms()),
            new("product vocabulary", CapabilityKind.Mft, "product-review phrases: 'works great', 'waste of money'",
                Product()),
            new("restaurant vocabulary", CapabilityKind.Mft, "restaurant-review phrases: 'delicious', 'rude staff'",
                Restaurant()),
        };
        return capabilities;
    }

    private static List<CapabilityCase> Mft(bool expected, IEnumerable<string> texts) =>
        texts.Distinct(StringComparer.Ordinal).Select(t => new CapabilityCase(t, expected)).ToList();

    /// <summary>Every template filled with every noun and every adjective (or verb) it names.</summary>
    private static IEnumerable<string> Fill(IEnumerable<string> templates, string[] nouns, string[]? adjectives = null, string[]? verbs = null)
    {
        foreach (var template in templates)
            foreach (var noun in nouns)
                foreach (var adjective in template.Contains("{pa}", StringComparison.Ordinal) || template.Contains("{na}", StringComparison.Ordinal) ? adjectives! : [""])
                    foreach (var verb in template.Contains("{pv}", StringComparison.Ordinal) || template.Contains("{nv}", StringComparison.Ordinal) ? verbs! : [""])
                    {
                        var text = template.Replace("{n}", noun).Replace("{pa}", adjective).Replace("{na}", adjective)
                            .Replace("{pv}", verb).Replace("{nv}", verb);
                        yield return char.ToUpperInvariant(text[0]) + text[1..];
                    }
    }

    private static List<CapabilityCase> Contrast()
    {
        var cases = new List<CapabilityCase>();
        for (var i = 0; i < AllNouns.Length; i++)
        {
            var (first, second) = (AllNouns[i], AllNouns[(i + 3) % AllNouns.Length]);
            for (var j = 0; j < 6; j++)
            {
                var (pa, na) = (PositiveAdjectives[(i + j) % PositiveAdjectives.Length], NegativeAdjectives[(i + 2 * j) % NegativeAdjectives.Length]);
                cases.Add(new($"The {first} is {pa}, but the {second} is {na}.", false));
                cases.Add(new($"The {first} is {na}, but the {second} is {pa}.", true));
                cases.Add(new($"I expected a {pa} {first}, but it was {na}.", false));
                cases.Add(new($"It looked {na} at first, but the {second} turned out {pa}.", true));
            }
        }
        return cases;
    }

    private static List<CapabilityCase> Intensified()
    {
        var cases = new List<CapabilityCase>();
        foreach (var noun in AllNouns)
            foreach (var (adjectives, expected) in new[] { (PositiveAdjectives, true), (NegativeAdjectives, false) })
                foreach (var adjective in adjectives.Take(6))
                {
                    var reference = $"The {noun} is {adjective}.";
                    var intensifier = Intensifiers[(noun.Length + adjective.Length) % Intensifiers.Length];
                    cases.Add(new($"The {noun} is {intensifier} {adjective}.", expected, reference));
                }
        return cases;
    }

    private static List<CapabilityCase> Neutral()
    {
        string[] templates =
        [
            "The {n} arrived on {d}.", "I bought the {n} on {d}.", "This is a {n}.", "The {n} is {c}.", "We talked about the {n} on {d}.",
            "The {n} comes in a {c} box.", "There is a {n} on the table.", "Is this {n} available in {c}?", "The {n} was made in {p}.",
        ];
        string[] days = ["Monday", "Tuesday", "Friday"];
        string[] colours = ["black", "blue", "white"];
        string[] places = ["China", "Canada", "Germany"];
        var texts = new List<string> { "the", "a", "it", "ok then", "Sentence.", "The end.", "This is a sentence.", "I read it on Tuesday." };
        var k = 0;
        foreach (var template in templates)
            foreach (var noun in AllNouns)
            {
                k++;
                texts.Add(template.Replace("{n}", noun).Replace("{d}", days[k % days.Length]).Replace("{c}", colours[k % colours.Length]).Replace("{p}", places[k % places.Length]));
            }
        return texts.Distinct(StringComparer.Ordinal).Select(t => new CapabilityCase(t)).ToList();
    }

    /// <summary>Clear sentences whose sentiment word is misspelt by swapping two adjacent letters in its middle.</summary>
    private static List<CapabilityCase> Typos()
    {
        var cases = new List<CapabilityCase>();
        foreach (var noun in AllNouns)
            foreach (var adjective in PositiveAdjectives.Concat(NegativeAdjectives))
            {
                var at = adjective.Length / 2 - 1;
                var typo = adjective[..at] + adjective[at + 1] + adjective[at] + adjective[(at + 2)..];
                if (typo == adjective) continue;
                cases.Add(new($"The {noun} is {typo}.", null, $"The {noun} is {adjective}."));
            }
        return cases;
    }

    /// <summary>Sentences of the other capabilities (clear ones) in other letter cases.</summary>
    private static List<CapabilityCase> Casing()
    {
        var cases = new List<CapabilityCase>();
        foreach (var reference in ClearSentences())
        {
            cases.Add(new(reference.ToUpperInvariant(), null, reference));
            cases.Add(new(reference.ToLowerInvariant(), null, reference));
            cases.Add(new(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(reference), null, reference));
        }
        return cases;
    }

    private static List<CapabilityCase> Punctuation()
    {
        var cases = new List<CapabilityCase>();
        foreach (var reference in ClearSentences())
        {
            var bare = reference.TrimEnd('.', '!');
            cases.Add(new(bare, null, reference));
            cases.Add(new(bare + "!", null, reference));
            cases.Add(new(bare + "...", null, reference));
        }
        return cases;
    }

    /// <summary>The same text in other Unicode and spacing forms, which TextNormalizer folds back (issue 12).</summary>
    private static List<CapabilityCase> TextForms()
    {
        static string FullWidth(string text) => string.Concat(text.Select(c => c is > ' ' and <= '~' ? (char)(c + 0xFEE0) : c));
        var cases = new List<CapabilityCase>();
        foreach (var reference in ClearSentences().Concat(["I don't like this film.", "It's not bad...", "It isn't \"great\"."]))
        {
            cases.Add(new(FullWidth(reference), null, reference));
            cases.Add(new(reference.Replace('\'', '\u2019').Replace("\"great\"", "\u201Cgreat\u201D"), null, reference));
            cases.Add(new(reference.Replace("...", "\u2026"), null, reference));
            cases.Add(new("  " + reference.Replace(" ", " \t ", StringComparison.Ordinal) + " \n", null, reference));
        }
        return cases;
    }

    private static IEnumerable<string> ClearSentences()
    {
        foreach (var noun in AllNouns)
        {
            foreach (var adjective in PositiveAdjectives.Take(4)) yield return $"The {noun} is {adjective}.";
            foreach (var adjective in NegativeAdjectives.Take(4)) yield return $"The {noun} is {adjective}.";
            yield return $"I really {PositiveVerbs[noun.Length % PositiveVerbs.Length]} this {noun}.";
        }
    }

    private static List<CapabilityCase> Product()
    {
        string[] positive =
        [
            "This {n} works great.", "The {n} works perfectly.", "Highly recommend this {n}.", "The {n} is worth every penny.", "Great value for the money.",
            "The {n} does exactly what I needed.", "Very happy with this {n}.", "The {n} is sturdy and reliable.", "Excellent {n}, fast shipping.",
            "The sound quality of this {n} is clear.", "Battery life is long.", "The {n} fits well and feels solid.",
        ];
        string[] negative =
        [
            "This {n} stopped working after a week.", "The {n} broke after two days.", "This {n} is a waste of money.", "Do not buy this {n}.",
            "The {n} is cheap and flimsy.", "I returned the {n}.", "The {n} keeps disconnecting.", "Poor quality, the {n} fell apart.",
            "The {n} does not hold a charge.", "Customer support never answered about the {n}.", "The {n} died after a month.", "Save your money and avoid this {n}.",
        ];
        return [.. Mft(true, Fill(positive, ProductNouns)), .. Mft(false, Fill(negative, ProductNouns))];
    }

    private static List<CapabilityCase> Restaurant()
    {
        string[] dishes = ["food", "pizza", "steak", "pasta", "soup", "burger"];
        string[] positive =
        [
            "The {n} was delicious.", "The {n} was fresh and tasty.", "Friendly staff and great {n}.", "We will definitely come back for the {n}.",
            "The {n} was cooked perfectly.", "Best {n} in town.", "The waitress was attentive and the {n} was hot.", "Loved the {n} here.",
        ];
        string[] negative =
        [
            "The {n} was cold and bland.", "The {n} was overcooked.", "The staff was rude and the {n} was late.", "We will never come back.",
            "The {n} tasted like nothing.", "We waited an hour for the {n}.", "The {n} was greasy and stale.", "The {n} was overpriced for what you get.",
        ];
        return [.. Mft(true, Fill(positive, dishes)), .. Mft(false, Fill(negative, dishes))];
    }
}
