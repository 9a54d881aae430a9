using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

/// <summary>The text mappings that the models' pipelines use as saved, named steps.</summary>
public class FeatureMappingTests
{
    [Theory]
    [InlineData("the film is not good .", "the film is not not_good .")]
    [InlineData("it 's not funny , but it 's smart", "it 's not not_funny , but it 's smart")]
    [InlineData("i do n't like it at all", "i do n't not_like not_it not_at not_all")]
    [InlineData("never boring but never great either", "never not_boring but never not_great not_either")]
    [InlineData("a good film", "a good film")]
    [InlineData("", "")]
    public void NegationScopeRunsToTheEndOfTheClause(string input, string expected) =>
        Assert.Equal(expected, NegationScope.Mark(input));

    [Fact]
    public void RepeatedCallsReuseOnlyTheSameSentencesAnswer()
    {
        // NegationScope keeps each thread's last answer (a v2 prediction asks several times per sentence).
        string[] sentences = ["not good", "good", "not good", "never dull", "never dull", "good"];
        string[] marked = ["not not_good", "good", "not not_good", "never not_dull", "never not_dull", "good"];
        Assert.Equal(marked, sentences.Select(NegationScope.Mark));
        Assert.Equal([true, false, true, true, true, false], sentences.Select(NegationScope.HasScope));
        // Equal text in another string object is the same sentence.
        Assert.Equal("not not_good", NegationScope.Mark(new string("not good".ToCharArray())));
    }

    [Theory]
    [InlineData("the acting is fine , but the story is a mess .", "the story is a mess .")]
    [InlineData("slow but sure , yet oddly moving", "oddly moving")]
    [InlineData("a good film", "")]
    [InlineData("but", "")]
    [InlineData("", "")]
    public void ContrastClauseIsWhatFollowsTheLastConjunction(string input, string expected) =>
        Assert.Equal(expected, ContrastClause.After(input));

    [Theory]
    [InlineData("the film is not good .", true)]
    [InlineData("i do n't like it", true)]
    [InlineData("nothing bad about it", true)]
    [InlineData("a good film", false)]
    [InlineData("not .", false)]
    [InlineData("not , but good", false)]
    [InlineData("", false)]
    public void NegationGateOpensWhenANegationScopesOverAWord(string input, bool expected)
    {
        Assert.Equal(expected, NegationScope.HasScope(input));
        var output = new NegationGateMapping.Output();
        NegationGateMapping.Map(new NegationGateMapping.Input { Sentence = input }, output);
        Assert.Equal(expected ? 1f : 0f, output.Negated);
    }

    [Fact]
    public void LexiconScoreFollowsVaderRules()
    {
        var good = LexiconScore.Compute("a good film");
        var notGood = LexiconScore.Compute("not good");
        var veryGood = LexiconScore.Compute("a very good film");
        var notBad = LexiconScore.Compute("not bad");
        var butBad = LexiconScore.Compute("good , but bad");
        Assert.True(good[0] > 0 && notGood[0] < 0, "negation flips the compound score");
        Assert.True(veryGood[0] > good[0], "a booster raises it");
        Assert.True(notBad[0] > 0 && notBad[4] == 1, "a negated negative word counts positive");
        Assert.True(butBad[0] < 0 && butBad[5] < 0, "the clause after 'but' weighs more");
        Assert.Equal(new float[LexiconScore.Size], LexiconScore.Compute("the table"));
    }
}
