using MlopsExam.Training;

namespace MlopsExam.Tests.Model;

/// <summary><c>make train FEEDBACK_TSV=...</c>: the exported feedback set is appended to SST-2 train (dev and test
/// untouched) and its sha256 recorded, so the metrics file says which feedback a model saw.</summary>
public sealed class FeedbackTrainingSetTests
{
    [Fact]
    public void The_feedback_set_is_appended_to_train_only_and_recorded_by_its_sha256()
    {
        var file = Path.Combine(Path.GetTempPath(), $"feedback-{Guid.NewGuid():N}.tsv");
        File.WriteAllText(file, "sentence\tlabel\nan unexpectedly warm film\t1\na tedious mess\t0\n");
        try
        {
            var sst2 = Sst2Dataset.Load(RepoLayout.Sst2);
            var with = sst2.WithFeedback(file);

            Assert.Equal(sst2.Train.Count + 2, with.Train.Count);
            Assert.Equal([new LabelledSentence("an unexpectedly warm film", true), new LabelledSentence("a tedious mess", false)], with.Train.TakeLast(2));
            Assert.Same(sst2.Dev, with.Dev);
            Assert.Same(sst2.Test, with.Test);
            Assert.Equal(MlopsExam.Model.SentimentModel.ComputeSha256(file), with.Sha256[Sst2Dataset.FeedbackKey]);
            Assert.DoesNotContain(Sst2Dataset.FeedbackKey, sst2.Sha256.Keys);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
