using System.Text;
using System.Text.RegularExpressions;

namespace MlopsExam.Model;

/// <summary>
/// Brings free text to the form of SST-2's sentences: lower case, Penn-Treebank-like tokens
/// separated by single spaces (<c>"It's not good!"</c> becomes <c>"it 's not good !"</c>).
/// Training applies it too, so a served sentence and a training phrase look alike. On SST-2's
/// training phrases it changes (almost) nothing; it also undoes the treebank escapes that only
/// SST-2's dev and test files use (<c>-lrb-</c>, <c>\/</c>), so every split looks like the training one.
/// </summary>
public static partial class TextNormalizer
{
    // Kept with their period, as the treebank does ("mr. hill", "us vs. them", "etc.").
    private static readonly HashSet<string> Abbreviations =
    [
        "mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "vs.", "etc.", "bros.", "mt.", "prof.", "inc.", "co.", "ltd.", "gen.", "sgt.", "lt.", "col.",
    ];

    /// <summary>
    /// Whether this process folds compatibility characters as training did. It needs ICU: in
    /// invariant-globalization mode <c>string.Normalize(FormKC)</c> returns its input unchanged, so
    /// "ＧＯＯＤ" would stay full-width and score like an empty string. <see cref="SentimentModel.Load"/>
    /// refuses to load a model in a process where this is false.
    /// </summary>
    public static bool FoldsCompatibilityCharacters { get; } =
        "\uFF27\u2026\uFB01e\u0301".Normalize(NormalizationForm.FormKC) == "G...fi\u00E9";

    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // FormKC folds compatibility characters ("…" -> "...", full-width letters -> ASCII).
        var s = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        // Typographic quotes, apostrophes and dashes as SST-2 writes them.
        s = s.Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u201C', '"').Replace('\u201D', '"')
             .Replace("\u2014", " -- ").Replace("\u2013", " -- ");
        // Treebank escapes found in SST-2's dev and test files but not in its training file.
        s = s.Replace("-lrb-", "(").Replace("-rrb-", ")").Replace("-lsb-", "[").Replace("-rsb-", "]")
             .Replace("-lcb-", "{").Replace("-rcb-", "}").Replace("\\/", "/").Replace("\\*", "*");
        // Contractions: "don't" -> "do n't", "it's" -> "it 's", "we're" -> "we 're".
        s = NegativeContraction().Replace(s, "$1 n't");
        s = Clitic().Replace(s, "$1 '$2");
        // Punctuation becomes its own token, except commas inside numbers ("1,000") and hyphens
        // inside words ("well-made"); "..." and "--" stay single tokens. Periods are handled below.
        s = Punctuation().Replace(s, " $1 ");

        var builder = new StringBuilder(s.Length + 8);
        foreach (var token in s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (builder.Length > 0) builder.Append(' ');
            AppendSplittingFinalPeriod(builder, token);
        }
        return builder.ToString();
    }

    /// <summary>
    /// "film." -> "film ." but "mr.", "u.s.", "d.j." and "3.5" stay whole: the treebank detaches a
    /// period only when it ends a sentence, not when it belongs to an abbreviation or a number.
    /// </summary>
    private static void AppendSplittingFinalPeriod(StringBuilder builder, string token)
    {
        var periods = 0;
        while (token.Length > 1 && token[^1] == '.' && !token.EndsWith("...", StringComparison.Ordinal) && !IsAbbreviation(token))
        {
            token = token[..^1];
            periods++;
        }
        builder.Append(token);
        for (var i = 0; i < periods; i++) builder.Append(" .");
    }

    private static bool IsAbbreviation(string token) => Abbreviations.Contains(token) || Initials().IsMatch(token);

    [GeneratedRegex(@"(\w+)n't\b")]
    private static partial Regex NegativeContraction();

    [GeneratedRegex(@"(\w+)'(s|re|ve|ll|d|m)\b")]
    private static partial Regex Clitic();

    [GeneratedRegex(@"(\.\.\.|--|(?<!\d),|,(?!\d)|[!?;:()\[\]{}""])")]
    private static partial Regex Punctuation();

    /// <summary>Initials and dotted acronyms: "r.", "j.k.", "u.s.", "a.i.".</summary>
    [GeneratedRegex(@"^(?:[a-z]\.)+$")]
    private static partial Regex Initials();
}
