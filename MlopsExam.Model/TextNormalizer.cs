using System.Text;
using System.Text.RegularExpressions;

namespace MlopsExam.Model;

/// <summary>
/// Brings free text to the form of SST-2's sentences: lower case, Penn-Treebank-like tokens
/// separated by single spaces (<c>"It's not good!"</c> becomes <c>"it 's not good !"</c>).
/// Training applies it too, so a served sentence and a training phrase look alike. On text that
/// is already in SST-2 form it changes (almost) nothing, so training data pass through unchanged.
/// </summary>
public static partial class TextNormalizer
{
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // FormKC folds compatibility characters ("…" -> "...", full-width letters -> ASCII).
        var s = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        // Typographic quotes, apostrophes and dashes as SST-2 writes them.
        s = s.Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u201C', '"').Replace('\u201D', '"')
             .Replace("\u2014", " -- ").Replace("\u2013", " -- ");
        // Contractions: "don't" -> "do n't", "it's" -> "it 's", "we're" -> "we 're".
        s = NegativeContraction().Replace(s, "$1 n't");
        s = Clitic().Replace(s, "$1 '$2");
        // Punctuation becomes its own token, except inside numbers ("3.5") and words ("well-made").
        // "..." and "--" are tried first: SST-2 keeps them as single tokens.
        s = Punctuation().Replace(s, " $1 ");
        return Whitespace().Replace(s, " ").Trim();
    }

    [GeneratedRegex(@"(\w+)n't\b")]
    private static partial Regex NegativeContraction();

    [GeneratedRegex(@"(\w+)'(s|re|ve|ll|d|m)\b")]
    private static partial Regex Clitic();

    [GeneratedRegex(@"(\.\.\.|--|(?<!\d)[.,](?!\d)|[!?;:()\[\]""])")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
