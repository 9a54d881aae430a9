using System.Globalization;
using System.Text;
using Microsoft.ML.Transforms;

namespace MlopsExam.Model;

/// <summary>
/// The sentence as a sequence of prior polarities: each word of the VADER lexicon
/// (Hutto and Gilbert 2014; Resources/NOTICE.md) becomes <c>lexpos</c>/<c>lexneg</c>
/// (<c>lexpos2</c>/<c>lexneg2</c> when strong), prefixed <c>not_</c> inside a negation's scope
/// (<see cref="NegationScope"/>); negators, contrastive conjunctions and clause punctuation are
/// kept, every other word dropped. "no problems at all , but the battery is awful" becomes
/// "no not_lexneg , but lexneg2". N-grams of this view let a model learn from SST-2 what "not"
/// + any negative word means, and carry it to words SST-2 never had ("problems" in a phone review).
/// Expects <see cref="TextNormalizer"/> form.
/// </summary>
public static class LexiconView
{
    private static readonly Lazy<IReadOnlyDictionary<string, float>> Valences = new(ReadLexicon);

    private static readonly HashSet<string> Kept =
    [
        "not", "n't", "no", "never", "nothing", "nobody", "none", "neither", "nor", "nowhere", "cannot", "without",
        "hardly", "barely", "scarcely", "lack", "lacks", "lacking",
        "but", "yet", "though", "although", "however",
        ".", ",", ";", ":", "!", "?", "--", "...",
    ];

    public static IReadOnlyDictionary<string, float> Lexicon => Valences.Value;

    public static string Map(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var builder = new StringBuilder(normalized.Length);
        var lexicon = Valences.Value;
        foreach (var token in NegationScope.Mark(normalized).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var negated = token.StartsWith(NegationScope.Prefix, StringComparison.Ordinal) && token.Length > NegationScope.Prefix.Length;
            var word = negated ? token[NegationScope.Prefix.Length..] : token;
            string? output = null;
            if (Kept.Contains(token))
                output = token;
            else if (lexicon.TryGetValue(word, out var valence))
                output = (negated ? NegationScope.Prefix : "") + (valence > 0 ? "lexpos" : "lexneg") + (Math.Abs(valence) >= 2 ? "2" : "");
            if (output is null) continue;
            if (builder.Length > 0) builder.Append(' ');
            builder.Append(output);
        }
        return builder.ToString();
    }

    private static IReadOnlyDictionary<string, float> ReadLexicon()
    {
        using var stream = typeof(LexiconView).Assembly.GetManifestResourceStream("MlopsExam.Model.Resources.vader-lexicon.tsv")
            ?? throw new InvalidOperationException("The embedded VADER lexicon is missing from MlopsExam.Model.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lexicon = new Dictionary<string, float>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t');
            if (tab <= 0) continue;
            var word = line[..tab];
            // Single words only, never the negators (VADER rates "no" -1.2: here it is a negator), first entry wins.
            if (word.Contains(' ', StringComparison.Ordinal) || Kept.Contains(word)) continue;
            lexicon.TryAdd(word, float.Parse(line[(tab + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        return lexicon;
    }
}

/// <summary><see cref="LexiconView"/> as a saved pipeline step (registered by <see cref="SentimentModel.Load"/>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class LexiconViewMapping : CustomMappingFactory<LexiconViewMapping.Input, LexiconViewMapping.Output>
{
    public const string ContractName = "MlopsExam.LexiconView.v1";

    public sealed class Input
    {
        public string Sentence { get; set; } = string.Empty;
    }

    public sealed class Output
    {
        public string Lexicon { get; set; } = string.Empty;
    }

    public static void Map(Input input, Output output) => output.Lexicon = LexiconView.Map(input.Sentence);

    public override Action<Input, Output> GetMapping() => Map;
}
