using Microsoft.ML;
using MlopsExam.Model;
using MlopsExam.Tooling;
using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary>
/// v2 is served by <see cref="GatedScorer"/>, which scores only the members the negation gate uses
/// for the sentence: its answers must be, bit for bit, those of the whole saved pipeline.
/// </summary>
public class GatedScorerTests
{
    [Fact]
    public void V2IsSplitIntoTheMembersEachSideOfTheGateReads()
    {
        var ml = NewContext();
        var layout = GatedLayout.Find(ml, ml.Model.Load(RepoLayout.ModelPath("v2"), out _));

        Assert.NotNull(layout);
        // Plain sentences: b and c; negated ones: c, b' and c' (Variants.V2, weights 1:2 and 1:2:1).
        Assert.Equal(["Score_lex", "Score_nb"], layout.Plain.Select(i => layout.Logits[i]).Order());
        Assert.Equal(["Score_lexneg", "Score_nb", "Score_nbneg"], layout.Negated.Select(i => layout.Logits[i]).Order());
    }

    [Fact]
    public void V1IsScoredByItsWholePipeline()
    {
        var ml = NewContext();
        Assert.Null(GatedLayout.Find(ml, ml.Model.Load(RepoLayout.ModelPath("v1"), out _)));
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ScoresAreBitForBitThoseOfTheWholePipelineOnSst2TestAndUciSls(string variant)
    {
        var ml = NewContext();
        using var whole = ml.Model.CreatePredictionEngine<SentimentInput, SentimentOutput>(ml.Model.Load(RepoLayout.ModelPath(variant), out _));
        var model = CommittedModels.Get(variant);
        var uciSls = OutOfDomain.Load(RepoRoot.SharedData(RepoLayout.Root, "uci-sls", "UCI_SLS_DIR"));
        var sentences = Sst2.Read("test").Concat(uciSls.SelectMany(s => s.Rows)).Select(r => r.Sentence)
            // And the gate's edge cases: a negator with no word in its scope, an empty sentence.
            .Concat(["not .", "not , but good", "", "no", "it 's not_good"]).ToList();

        var differences = new List<string>();
        var negated = 0;
        foreach (var sentence in sentences)
        {
            var normalized = TextNormalizer.Normalize(sentence);
            if (NegationScope.HasScope(normalized)) negated++;
            var expected = whole.Predict(new SentimentInput { Sentence = normalized });
            var expectedProbability = float.IsNaN(expected.Probability) ? (expected.Score > 0 ? 1f : 0f) : expected.Probability;
            var actual = model.PredictNormalized(normalized);
            if (BitConverter.SingleToInt32Bits(actual.PositiveProbability) != BitConverter.SingleToInt32Bits(expectedProbability)
                || actual.IsPositive != (expectedProbability >= 0.5f))
                differences.Add($"'{normalized}': {actual.PositiveProbability:R} instead of {expectedProbability:R}");
        }

        Assert.True(sentences.Count > 1821 && negated > 100, $"{sentences.Count} sentences, {negated} negated");
        Assert.True(differences.Count == 0, $"{differences.Count} of {sentences.Count} differ, e.g. {string.Join("; ", differences.Take(5))}");
        // Batches go the same way.
        Assert.Equal(sentences.Take(64).Select(s => model.Predict(s)), model.PredictBatch(sentences.Take(64)));
    }

    private static MLContext NewContext()
    {
        var ml = new MLContext(seed: 0);
        ml.ComponentCatalog.RegisterAssembly(typeof(SentimentModel).Assembly);
        return ml;
    }
}
