using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

public class TextNormalizerTests
{
    [Theory]
    [InlineData("It's not good!", "it 's not good !")]
    [InlineData("I don't like it", "i do n't like it")]
    [InlineData("I can't, I won't, I shouldn't.", "i ca n't , i wo n't , i should n't .")]
    [InlineData("We're sure you'll love what they've done; I'd go, I'm in.", "we 're sure you 'll love what they 've done ; i 'd go , i 'm in .")]
    [InlineData("The movie's plot", "the movie 's plot")]
    [InlineData("It\u2019s \u201Cgreat\u201D", "it 's \" great \"")]
    public void SplitsContractionsLikeTheTreebank(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("Wait... what?", "wait ... what ?")]
    [InlineData("Well-made, 3.5 stars (out of 5): fine.", "well-made , 3.5 stars ( out of 5 ) : fine .")]
    [InlineData("1,000 extras -- all bored", "1,000 extras -- all bored")]
    [InlineData("bad\u2014really bad", "bad -- really bad")]
    [InlineData("Wow!!!", "wow ! ! !")]
    public void PunctuationBecomesTokens(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("GREAT Film", "great film")]
    [InlineData("  lots \t of\n\nspace  ", "lots of space")]
    [InlineData("", "")]
    [InlineData("   ", "")]
    [InlineData("\uFF27\uFF4F\uFF4F\uFF44", "good")] // full-width letters
    public void LowerCasesAndCollapsesWhitespace(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    /// <summary>
    /// The inputs of issue 12 and their kin: the served API gave the left column to the model
    /// unchanged (invariant globalization); training and serving must both give the right one.
    /// </summary>
    [Theory]
    [InlineData("\uFF27\uFF2F\uFF2F\uFF24 \uFF26\uFF29\uFF2C\uFF2D\uFF01", "good film !")]            // full-width
    [InlineData("A terrible\u2026boring film", "a terrible ... boring film")]                              // ellipsis
    [InlineData("\uFF29 \uFF44\uFF4F\uFF4E\uFF07\uFF54 like it", "i do n't like it")]                   // full-width apostrophe
    [InlineData("\u201CGreat\u201D, isn\u2019t it?", "\" great \" , is n't it ?")]                      // curly quotes
    [InlineData("A \uFB01ne, \uFB02awless e\uFB00ect", "a fine , flawless effect")]                         // ligatures
    [InlineData("cafe\u0301 clich\u00E9", "caf\u00E9 clich\u00E9")]                                     // combining accent -> composed
    [InlineData("I love it \U0001F60D\U0001F44D", "i love it \U0001F60D\U0001F44D")]                    // emoji kept
    [InlineData("Great \u0444\u0438\u043B\u044C\u043C \u597D", "great \u0444\u0438\u043B\u044C\u043C \u597D")] // mixed scripts
    [InlineData("\u2460 x\u00B2 \u00BD", "1 x2 1\u20442")]                                            // compatibility digits
    public void FoldsCompatibilityCharactersAsTrainingDoes(string input, string expected)
    {
        Assert.True(TextNormalizer.FoldsCompatibilityCharacters, "This process has no Unicode normalisation (invariant globalization?).");
        Assert.Equal(expected, TextNormalizer.Normalize(input));
    }

    [Theory]
    [InlineData("It's not good!")]
    [InlineData("Wait... what? I don't know -- (maybe) 3.5/5.")]
    [InlineData("it 's a charming and often affecting journey . ")]
    public void IsIdempotent(string input)
    {
        var once = TextNormalizer.Normalize(input);
        Assert.Equal(once, TextNormalizer.Normalize(once));
    }

    [Theory]
    [InlineData("Mr. Hill and Ms. Redgrave, etc.", "mr. hill and ms. redgrave , etc.")]
    [InlineData("The U.S. release of A.I. was fine.", "the u.s. release of a.i. was fine .")]
    [InlineData("It ends.", "it ends .")]
    [InlineData("Rated 3.5.", "rated 3.5 .")]
    public void KeepsAbbreviationsButDetachesTheFinalPeriod(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("early rap records -lrb- sugar hill gang -rrb- , the skate\\/surf culture", "early rap records ( sugar hill gang ) , the skate/surf culture")]
    public void UndoesTreebankEscapesOfTheDevAndTestFiles(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Fact]
    public void LeavesSst2TrainingPhrasesAlmostUnchanged()
    {
        // SST-2 is already in treebank form: training phrases and served text must meet in the middle.
        var train = Sst2.Read("train");
        var changed = train.Where(r => TextNormalizer.Normalize(r.Sentence) != r.Sentence.Trim()).ToList();
        Assert.True(changed.Count <= train.Count / 100,
            $"{changed.Count} of {train.Count} training phrases change, e.g. {string.Join(" | ", changed.Take(5).Select(r => $"'{r.Sentence}' -> '{TextNormalizer.Normalize(r.Sentence)}'"))}");
    }

    [Fact]
    public void IsIdempotentOnEveryDevSentence()
    {
        foreach (var row in Sst2.Read("dev"))
        {
            var once = TextNormalizer.Normalize(row.Sentence);
            Assert.Equal(once, TextNormalizer.Normalize(once));
        }
    }

    [Fact]
    public void RejectsNull() => Assert.Throws<ArgumentNullException>(() => TextNormalizer.Normalize(null!));
}
