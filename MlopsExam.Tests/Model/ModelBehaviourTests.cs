using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

/// <summary>What each committed model must get right on plain English, whatever its accuracy.</summary>
public class ModelBehaviourTests
{
    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ClearPositivesArePositive(string variant) => AssertAll(variant, positive: true,
    [
        "This movie was wonderful, I loved it.",
        "A beautiful, moving and funny film.",
        "One of the best films of the year, with superb acting.",
        "A delightful and charming comedy.",
        "It's a masterpiece.",
    ]);

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ClearNegativesAreNegative(string variant) => AssertAll(variant, positive: false,
    [
        "A dull, boring and painfully bad film.",
        "The worst movie I have ever seen.",
        "The plot is stupid and the acting is terrible.",
        "A tedious, lifeless mess.",
        "I hated every minute of it.",
    ]);

    private static void AssertAll(string variant, bool positive, string[] sentences)
    {
        var model = CommittedModels.Get(variant);
        var expected = positive ? "positive" : "negative";
        foreach (var sentence in sentences)
        {
            var prediction = model.Predict(sentence);
            Assert.True(prediction.IsPositive == positive, $"{variant}: '{sentence}' scored {prediction.PositiveProbability:F3}, expected {expected}.");
            Assert.Equal(expected, prediction.Label);
            Assert.True(prediction.Confidence >= 0.5f);
        }
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void SimpleNegationFlipsPolarity(string variant)
    {
        var model = CommittedModels.Get(variant);
        Assert.True(model.Predict("good").IsPositive, $"{variant}: 'good' should be positive.");
        Assert.False(model.Predict("not good").IsPositive, $"{variant}: 'not good' should be negative.");
        Assert.False(model.Predict("The film is not good.").IsPositive, $"{variant}: 'The film is not good.' should be negative.");
        Assert.True(model.Predict("The film is good.").IsPositive, $"{variant}: 'The film is good.' should be positive.");
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void CaseAndSurroundingWhitespaceDoNotMatter(string variant)
    {
        var model = CommittedModels.Get(variant);
        foreach (var sentence in new[] { "This movie was wonderful, I loved it.", "A dull, boring and painfully bad film.", "The film is not good." })
        {
            var reference = model.Predict(sentence);
            foreach (var variantText in new[] { sentence.ToUpperInvariant(), sentence.ToLowerInvariant(), $"  \t{sentence}\n ", $"   {sentence.ToUpperInvariant()}   " })
            {
                var prediction = model.Predict(variantText);
                Assert.Equal(reference.Label, prediction.Label);
                Assert.Equal(reference.PositiveProbability, prediction.PositiveProbability);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void BatchAgreesWithSinglePredictions(string variant)
    {
        var model = CommittedModels.Get(variant);
        var sentences = Sst2.Read("dev").Take(100).Select(r => r.Sentence).Append("Not bad at all!").Append("").ToList();
        var batch = model.PredictBatch(sentences);
        Assert.Equal(sentences.Count, batch.Count);
        for (var i = 0; i < sentences.Count; i++)
        {
            var single = model.Predict(sentences[i]);
            Assert.Equal(single.Label, batch[i].Label);
            Assert.Equal(single.PositiveProbability, batch[i].PositiveProbability, 1e-6f);
        }
        Assert.Empty(model.PredictBatch([]));
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ParallelPredictionsMatchSequentialOnes(string variant)
    {
        var model = CommittedModels.Get(variant);
        var sentences = Sst2.Read("dev").Select(r => r.Sentence).Take(300).ToArray();
        var sequential = sentences.Select(model.Predict).ToArray();

        // Each sentence several times, from many threads at once, in an order unlike the sequential one.
        const int Repeats = 4;
        var parallel = new SentimentPrediction[sentences.Length * Repeats];
        Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            i => parallel[i] = model.Predict(sentences[(i * 7) % sentences.Length]));

        for (var i = 0; i < parallel.Length; i++)
            Assert.Equal(sequential[(i * 7) % sentences.Length], parallel[i]);
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ProbabilitiesAreProbabilities(string variant)
    {
        var model = CommittedModels.Get(variant);
        foreach (var sentence in new[] { "", "   ", "!!!", "12345", "ok", new string('a', 5000), "Ünïcödé ｆｕｌｌｗｉｄｔｈ — “quotes”…" })
        {
            var prediction = model.Predict(sentence);
            Assert.InRange(prediction.PositiveProbability, 0f, 1f);
            Assert.InRange(prediction.Confidence, 0.5f, 1f);
        }
    }
}
