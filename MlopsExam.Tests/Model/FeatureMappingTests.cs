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

    [Theory]
    [InlineData("the acting is fine , but the story is a mess .", "the story is a mess .")]
    [InlineData("slow but sure , yet oddly moving", "oddly moving")]
    [InlineData("a good film", "")]
    [InlineData("but", "")]
    [InlineData("", "")]
    public void ContrastClauseIsWhatFollowsTheLastConjunction(string input, string expected) =>
        Assert.Equal(expected, ContrastClause.After(input));
}
