using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

/// <summary>A model is loaded only when it is the very file its sha256 says; tampering tests work on copies.</summary>
public sealed class ModelLoadingTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("mlops-model-tests-");

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>Copies a committed model and its metrics file into the scratch folder.</summary>
    private string CopyOf(string variant)
    {
        var source = RepoLayout.ModelPath(variant);
        var target = Path.Combine(_scratch.FullName, Path.GetFileName(source));
        File.Copy(source, target);
        File.Copy(ModelMetrics.PathFor(source), ModelMetrics.PathFor(target));
        return target;
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void LoadsWhenTheShaMatches(string variant)
    {
        var path = CopyOf(variant);
        var recorded = ModelMetrics.Read(ModelMetrics.PathFor(path));

        var model = SentimentModel.Load(path, recorded.ModelSha256.ToUpperInvariant());

        Assert.Equal(recorded.ModelId, model.ModelId);
        Assert.Equal(recorded.ModelSha256, model.Sha256);
        Assert.Equal(Path.GetFullPath(path), model.Path);
        Assert.InRange(model.Predict("fine").PositiveProbability, 0f, 1f);
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void WrongExpectedShaIsRefused(string variant)
    {
        var path = CopyOf(variant);
        var error = Assert.Throws<ModelIntegrityException>(() => SentimentModel.Load(path, new string('0', 64)));
        Assert.Contains("sha256", error.Message);
    }

    [Theory]
    [MemberData(nameof(CommittedModels.Variants), MemberType = typeof(CommittedModels))]
    public void TamperedFileIsRefused(string variant)
    {
        var path = CopyOf(variant);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            // Flip one byte in the middle of the archive.
            stream.Position = stream.Length / 2;
            var b = stream.ReadByte();
            stream.Position = stream.Length / 2;
            stream.WriteByte((byte)(b ^ 0xFF));
        }
        Assert.Throws<ModelIntegrityException>(() => SentimentModel.Load(path));
    }

    [Fact]
    public void MissingFileIsRefused()
    {
        var missing = Path.Combine(_scratch.FullName, "no-such-model.zip");
        var error = Assert.Throws<ModelIntegrityException>(() => SentimentModel.Load(missing));
        Assert.Contains("does not exist", error.Message);
        Assert.Throws<ModelIntegrityException>(() => SentimentModel.Load(missing, new string('0', 64)));
    }

    [Fact]
    public void ModelWithoutRecordedShaIsRefused()
    {
        var path = CopyOf("v1");
        File.Delete(ModelMetrics.PathFor(path));
        var error = Assert.Throws<ModelIntegrityException>(() => SentimentModel.Load(path));
        Assert.Contains("No sha256", error.Message);
    }
}
