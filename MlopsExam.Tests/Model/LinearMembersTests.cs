using Microsoft.ML;
using Microsoft.ML.Data;
using MlopsExam.Model;
using MlopsExam.Tooling;
using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary>
/// v2's members are computed by <see cref="LinearMembers"/> instead of ML.NET's engines: each
/// member's logit must be, bit for bit, the one its saved pipeline writes, and the sentences it
/// leaves to ML.NET must still get ML.NET's answer.
/// </summary>
public class LinearMembersTests
{
    [Fact]
    public void EveryMemberOfV2IsReproduced()
    {
        var (_, layout, linear, unsupported) = LoadV2();

        Assert.True(linear is not null, $"not reproduced: {unsupported}");
        Assert.Equal(4, layout.Logits.Count);
    }

    [Fact]
    public void V1IsNotAGatedEnsembleAndKeepsItsPipeline()
    {
        var ml = NewContext();
        Assert.Null(GatedLayout.Find(ml, ml.Model.Load(RepoLayout.ModelPath("v1"), out _)));
    }

    [Fact]
    public void EachLogitIsBitForBitTheMembersEngineOnSst2TestAndUciSls()
    {
        var (ml, layout, linear, _) = LoadV2();
        Assert.NotNull(linear);
        var every = Enumerable.Range(0, layout.Logits.Count).ToArray();
        using var engine = ml.Model.CreatePredictionEngine<SentimentInput, GatedScorer.MemberScores>(layout.Members, outputSchemaDefinition: layout.ScoresSchema(every));
        var uciSls = OutOfDomain.Load(RepoRoot.SharedData(RepoLayout.Root, "uci-sls", "UCI_SLS_DIR"));
        var sentences = Sst2.Read("test").Concat(uciSls.SelectMany(s => s.Rows)).Select(r => TextNormalizer.Normalize(r.Sentence))
            // Empty views (no contrast clause, no lexicon word), an empty sentence, characters no n-gram holds.
            .Concat(["", "no", "not .", "not , but good", "it 's not_good", "qqq zzz", "\u4e2d\u6587 !", "a|b c\u0001d"]).ToList();
        var scratch = LinearMembers.NewScratch();
        var logits = new float[GatedScorer.MaxMembers];
        var expected = new GatedScorer.MemberScores();

        var differences = new List<string>();
        foreach (var sentence in sentences)
        {
            Assert.True(linear.TryScore(sentence, every, scratch, logits), $"'{sentence}' was left to ML.NET");
            engine.Predict(new SentimentInput { Sentence = sentence }, ref expected);
            for (var m = 0; m < every.Length; m++)
                if (BitConverter.SingleToInt32Bits(logits[m]) != BitConverter.SingleToInt32Bits(Logit(expected, m)))
                    differences.Add($"{layout.Logits[m]} of '{sentence}': {logits[m]:R} instead of {Logit(expected, m):R}");
        }

        Assert.True(sentences.Count > 4800, $"{sentences.Count} sentences");
        Assert.True(differences.Count == 0, $"{differences.Count} logits of {sentences.Count} sentences differ, e.g. {string.Join("; ", differences.Take(5))}");
    }

    [Fact]
    public void ASentenceLongEnoughToFillAQuarterOfAPartIsLeftToMlNetAndStillAnsweredAsTheWholePipeline()
    {
        var (ml, layout, linear, _) = LoadV2();
        Assert.NotNull(linear);
        // Every word of the lexicon, so that the lexicon view's n-grams fill its small vocabulary.
        var sentence = TextNormalizer.Normalize(string.Join(" , not ", LexiconView.Lexicon.Keys.Take(3000)));
        var logits = new float[GatedScorer.MaxMembers];

        Assert.False(linear.TryScore(sentence, Enumerable.Range(0, layout.Logits.Count).ToArray(), LinearMembers.NewScratch(), logits));
        using var whole = ml.Model.CreatePredictionEngine<SentimentInput, SentimentOutput>(ml.Model.Load(RepoLayout.ModelPath("v2"), out _));
        var expected = whole.Predict(new SentimentInput { Sentence = sentence });
        Assert.Equal(BitConverter.SingleToInt32Bits(expected.Probability),
            BitConverter.SingleToInt32Bits(CommittedModels.Get("v2").PredictNormalized(sentence).PositiveProbability));
    }

    [Fact]
    public void AnNgramTableFindsEachSlotByItsPackedKeysAndKnowsWhetherPrefixesArePresent()
    {
        // Slots 0..3: "1", "2", "1 2", "1 2 3" (keys of 2 bits, first key lowest): each longer n-gram's prefix is there.
        var closed = LinearMembers.NgramTable.Build([[1], [2], [1, 2], [1, 2, 3]], keyBits: 2);
        Assert.True(closed.PrefixClosed);
        Assert.Equal((1, 3), (closed.MinLength, closed.MaxLength));
        Assert.True(closed.TryGet(1 | 2 << 2 | 3 << 4, out var slot));
        Assert.Equal(3, slot);
        Assert.True(closed.TryGet(2, out slot));
        Assert.Equal(1, slot);
        Assert.False(closed.TryGet(3, out _));
        Assert.False(closed.TryGet(2 | 1 << 2, out _));

        // "1 2 3" without "1 2": a miss on "1 2" must not end the search from there.
        Assert.False(LinearMembers.NgramTable.Build([[1], [1, 2, 3]], keyBits: 2).PrefixClosed);

        // Char 4-grams only: lookups start at length 4.
        var fourGrams = LinearMembers.NgramTable.Build([[1, 2, 3, 4], [2, 3, 4, 1]], keyBits: 3);
        Assert.Equal((4, 4), (fourGrams.MinLength, fourGrams.MaxLength));
        Assert.True(fourGrams.TryGet(2 | 3 << 3 | 4 << 6 | 1 << 9, out slot));
        Assert.Equal(1, slot);
    }

    private static (MLContext Ml, GatedLayout Layout, LinearMembers? Linear, string? Unsupported) LoadV2()
    {
        var ml = NewContext();
        var layout = GatedLayout.Find(ml, ml.Model.Load(RepoLayout.ModelPath("v2"), out _));
        Assert.NotNull(layout);
        var linear = LinearMembers.TryBuild(ml, layout.Members, layout.Logits, out var unsupported);
        return (ml, layout, linear, unsupported);
    }

    private static MLContext NewContext()
    {
        var ml = new MLContext(seed: 0);
        ml.ComponentCatalog.RegisterAssembly(typeof(SentimentModel).Assembly);
        return ml;
    }

    private static float Logit(GatedScorer.MemberScores scores, int member) => member switch
    {
        0 => scores.S0,
        1 => scores.S1,
        2 => scores.S2,
        3 => scores.S3,
        4 => scores.S4,
        5 => scores.S5,
        6 => scores.S6,
        _ => scores.S7,
    };
}
