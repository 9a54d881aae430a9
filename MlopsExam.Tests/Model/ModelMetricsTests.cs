using MlopsExam.Model;
using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary>The committed metrics files tell the truth about the committed model files.</summary>
public class ModelMetricsTests
{
    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void RecordedDevMetricsAreWhatTheModelScores(string variant)
    {
        var model = CommittedModels.Get(variant);
        var recorded = model.Metrics?.Dev ?? throw new InvalidOperationException($"{variant}: the metrics file records no dev metrics.");

        var recomputed = ModelEvaluator.Evaluate(model, Sst2.Read("dev"));

        Assert.Equal(recorded.Rows, recomputed.Rows);
        Assert.Equal(recorded.Accuracy, recomputed.Accuracy, 1e-9);
        Assert.Equal(recorded.MacroF1, recomputed.MacroF1, 1e-9);
        Assert.Equal(recorded.Auc, recomputed.Auc, 1e-9);
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void MetricsFileIsComplete(string variant)
    {
        var path = RepoLayout.ModelPath(variant);
        var metrics = ModelMetrics.Read(ModelMetrics.PathFor(path));

        Assert.StartsWith($"sentiment-{variant}-", metrics.ModelId);
        Assert.Equal(SentimentModel.ComputeSha256(path), metrics.ModelSha256);
        Assert.Equal(new FileInfo(path).Length, metrics.ModelSizeBytes);
        Assert.False(string.IsNullOrWhiteSpace(metrics.MlNetVersion));
        Assert.False(string.IsNullOrWhiteSpace(metrics.Description));
        Assert.True(metrics.TrainingSeconds > 0);
        Assert.Equal(872, metrics.Dev?.Rows);
        Assert.Equal(1821, metrics.Test?.Rows);
        Assert.InRange(metrics.Test!.Accuracy, 0.5, 1.0);
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void ModelWasTrainedOnTheDataBesideTheRepository(string variant)
    {
        var metrics = ModelMetrics.Read(ModelMetrics.PathFor(RepoLayout.ModelPath(variant)));
        foreach (var split in new[] { "train", "dev", "test" })
            Assert.Equal(SentimentModel.ComputeSha256(RepoLayout.Sst2File(split)), metrics.DataSha256[$"{split}.tsv"]);
    }

    [Fact]
    public void ChallengerBeatsChampionOnTest()
    {
        var v1 = CommittedModels.Get("v1").Metrics!.Test!;
        var v2 = CommittedModels.Get("v2").Metrics!.Test!;
        Assert.True(v2.Accuracy > v1.Accuracy, $"v2 test accuracy {v2.Accuracy:P2} does not beat v1's {v1.Accuracy:P2}.");
    }

    [Fact]
    public void EvaluatorCountsAsExpected()
    {
        // Two right, one false positive, one false negative; scores rank both positives above both negatives but one.
        bool[] labels = [true, true, false, false];
        SentimentPrediction[] predictions = [new(true, 0.9f), new(false, 0.4f), new(true, 0.6f), new(false, 0.1f)];

        var metrics = ModelEvaluator.Score(labels, predictions);

        Assert.Equal(4, metrics.Rows);
        Assert.Equal(0.5, metrics.Accuracy, 1e-12);
        Assert.Equal(0.5, metrics.MacroF1, 1e-12);
        Assert.Equal(0.75, metrics.Auc, 1e-12);
    }
}
