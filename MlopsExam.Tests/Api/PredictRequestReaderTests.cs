using System.Text;
using MlopsExam.Api.Predict;

namespace MlopsExam.Tests.Api;

/// <summary>The reader's name comparison, which works on raw (escaped) JSON names.</summary>
public sealed class PredictRequestReaderTests
{
    [Theory]
    [InlineData("sentence", true)]
    [InlineData(@"sent\u0065nce", true)]
    [InlineData(@"\u0073\u0065\u006E\u0074\u0065\u006e\u0063\u0065", true)]
    [InlineData(@"\u0053entence", false)]   // "Sentence": names are case-sensitive
    [InlineData("Sentence", false)]
    [InlineData("sentenc", false)]
    [InlineData("sentences", false)]
    [InlineData(@"sentence\udc00", false)]  // a lone surrogate: not "sentence", and no exception
    [InlineData(@"\ud800", false)]
    [InlineData(@"sentenc\u0065\u", false)]
    [InlineData(@"sentenc\u006", false)]
    [InlineData(@"sentenc\u+065", false)]
    [InlineData(@"sentenc\n", false)]
    [InlineData("", false)]
    public void Sentence_field_is_recognised_however_it_is_escaped(string rawName, bool expected) =>
        Assert.Equal(expected, PredictRequestReader.IsSentenceField(Encoding.UTF8.GetBytes(rawName)));
}
