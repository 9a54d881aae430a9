using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MlopsExam.Model;

/// <summary>
/// A few dense numbers that summarise the sentence's VADER valences with VADER's own rules
/// (Hutto and Gilbert 2014): a word under a negation (<see cref="NegationScope"/>) counts -0.74
/// times its valence, a booster word before it ("very", "extremely"; "slightly" lowers) adds
/// +-0.293, words before the last "but" count half and words after it 1.5 times, and the sum is
/// squashed as VADER's compound score, sum / sqrt(sum^2 + 15). Unlike the n-grams of
/// <see cref="LexiconView"/>, these do not depend on which words SST-2 happens to have: a model
/// learns one weight for "how positive the lexicon finds this" and applies it to any word of
/// the lexicon, in any domain. Expects <see cref="TextNormalizer"/> form.
/// </summary>
public static class LexiconScore
{
    /// <summary>Number of features: see <see cref="Compute"/>.</summary>
    public const int Size = 8;

    private const float NegationScalar = -0.74f;
    private const float BoosterIncrement = 0.293f;

    private static readonly Dictionary<string, float> Boosters = new(StringComparer.Ordinal)
    {
        ["absolutely"] = 1,
        ["amazingly"] = 1,
        ["awfully"] = 1,
        ["completely"] = 1,
        ["considerably"] = 1,
        ["decidedly"] = 1,
        ["deeply"] = 1,
        ["enormously"] = 1,
        ["entirely"] = 1,
        ["especially"] = 1,
        ["exceptionally"] = 1,
        ["extremely"] = 1,
        ["fully"] = 1,
        ["greatly"] = 1,
        ["highly"] = 1,
        ["hugely"] = 1,
        ["incredibly"] = 1,
        ["intensely"] = 1,
        ["most"] = 1,
        ["more"] = 1,
        ["particularly"] = 1,
        ["purely"] = 1,
        ["quite"] = 1,
        ["really"] = 1,
        ["remarkably"] = 1,
        ["so"] = 1,
        ["substantially"] = 1,
        ["thoroughly"] = 1,
        ["totally"] = 1,
        ["tremendously"] = 1,
        ["unbelievably"] = 1,
        ["unusually"] = 1,
        ["utterly"] = 1,
        ["very"] = 1,
        ["too"] = 1,
        ["truly"] = 1,
        ["almost"] = -1,
        ["barely"] = -1,
        ["hardly"] = -1,
        ["less"] = -1,
        ["little"] = -1,
        ["marginally"] = -1,
        ["occasionally"] = -1,
        ["partly"] = -1,
        ["scarcely"] = -1,
        ["slightly"] = -1,
        ["somewhat"] = -1,
        ["kinda"] = -1,
        ["sorta"] = -1,
    };

    private static readonly HashSet<string> Contrast = ["but", "yet", "however"];

    /// <summary>
    /// [0] compound score of the whole sentence; [1] positive mass / 4; [2] negative mass / 4
    /// (both after negation, boosters and "but"); [3] negated positive words; [4] negated negative
    /// words; [5] compound score of the clause after the last "but" (0 when none); [6] 1 when any
    /// lexicon word occurs; [7] "!" count (at most 3) / 3.
    /// </summary>
    public static float[] Compute(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var features = new float[Size];
        Compute(normalized, features);
        return features;
    }

    public static void Compute(string normalized, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        features.Clear();
        var lexicon = LexiconView.Lexicon;
        var tokens = NegationScope.Mark(normalized).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var lastContrast = -1;
        for (var i = 0; i < tokens.Length; i++)
            if (Contrast.Contains(tokens[i])) lastContrast = i;

        float sum = 0, afterSum = 0, positive = 0, negative = 0;
        int negatedPositive = 0, negatedNegative = 0, exclamations = 0;
        var any = false;
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (token == "!") { exclamations++; continue; }
            var negated = token.StartsWith(NegationScope.Prefix, StringComparison.Ordinal) && token.Length > NegationScope.Prefix.Length;
            var word = negated ? token[NegationScope.Prefix.Length..] : token;
            if (Boosters.ContainsKey(word) || !lexicon.TryGetValue(word, out var valence)) continue;
            any = true;

            for (var back = 1; back <= 3 && i - back >= 0; back++)
            {
                var previous = tokens[i - back];
                if (previous.StartsWith(NegationScope.Prefix, StringComparison.Ordinal)) previous = previous[NegationScope.Prefix.Length..];
                if (Boosters.TryGetValue(previous, out var direction))
                    valence += Math.Sign(valence) * direction * BoosterIncrement * (back == 1 ? 1f : back == 2 ? 0.95f : 0.9f);
            }
            if (negated)
            {
                if (valence > 0) negatedPositive++; else negatedNegative++;
                valence *= NegationScalar;
            }
            if (lastContrast >= 0) valence *= i < lastContrast ? 0.5f : 1.5f;
            if (i > lastContrast && lastContrast >= 0) afterSum += valence;
            sum += valence;
            if (valence > 0) positive += valence; else negative -= valence;
        }

        features[0] = Squash(sum);
        features[1] = positive / 4;
        features[2] = negative / 4;
        features[3] = negatedPositive;
        features[4] = negatedNegative;
        features[5] = lastContrast >= 0 ? Squash(afterSum) : 0;
        features[6] = any ? 1 : 0;
        features[7] = Math.Min(exclamations, 3) / 3f;
    }

    private static float Squash(float sum) => sum / MathF.Sqrt(sum * sum + 15);
}

/// <summary><see cref="LexiconScore"/> as a saved pipeline step (registered by <see cref="SentimentModel.Load"/>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class LexiconScoreMapping : CustomMappingFactory<LexiconScoreMapping.Input, LexiconScoreMapping.Output>
{
    public const string ContractName = "MlopsExam.LexiconScore.v1";

    public sealed class Input
    {
        public string Sentence { get; set; } = string.Empty;
    }

    public sealed class Output
    {
        [VectorType(MlopsExam.Model.LexiconScore.Size)]
        public float[] LexiconScore { get; set; } = new float[MlopsExam.Model.LexiconScore.Size];
    }

    public static void Map(Input input, Output output)
    {
        // A new array per row: ML.NET may keep the previous row's array.
        output.LexiconScore = MlopsExam.Model.LexiconScore.Compute(input.Sentence);
    }

    public override Action<Input, Output> GetMapping() => Map;
}
