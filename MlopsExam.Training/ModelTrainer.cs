using System.Diagnostics;
using System.Reflection;
using MlopsExam.Model;
using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>Fits a variant, saves it, and writes its metrics file from what the saved model scores.</summary>
internal sealed class ModelTrainer(Sst2Dataset data, int seed)
{
    public static string MlNetVersion =>
        (typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown")
        .Split('+')[0];

    /// <summary>Fits and saves <paramref name="variant"/> in <paramref name="outDir"/>; the test split is scored once, here.</summary>
    public ModelMetrics Train(ModelVariant variant, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var (modelPath, seconds) = FitAndSave(variant, Path.Combine(outDir, variant.FileName));

        var sha = SentimentModel.ComputeSha256(modelPath);
        var model = SentimentModel.Load(modelPath, sha);
        var metrics = new ModelMetrics
        {
            ModelId = variant.ModelId,
            ModelSha256 = sha,
            Description = variant.Description,
            ModelSizeBytes = new FileInfo(modelPath).Length,
            MlNetVersion = MlNetVersion,
            Seed = seed,
            TrainingSeconds = Math.Round(seconds, 1),
            DataSha256 = data.Sha256,
            Dev = ModelEvaluator.Evaluate(model, data.Dev),
            Test = ModelEvaluator.Evaluate(model, data.Test),
        };
        metrics.Write(ModelMetrics.PathFor(modelPath));
        return metrics;
    }

    /// <summary>Dev-only scoring of a candidate, for choosing features and hyper-parameters.</summary>
    public (SplitMetrics Dev, double Seconds, long Bytes) Explore(ModelVariant variant)
    {
        var dir = Directory.CreateTempSubdirectory("mlops-explore-");
        try
        {
            var (modelPath, seconds) = FitAndSave(variant, Path.Combine(dir.FullName, variant.FileName));
            var model = SentimentModel.Load(modelPath, SentimentModel.ComputeSha256(modelPath));
            return (ModelEvaluator.Evaluate(model, data.Dev), seconds, new FileInfo(modelPath).Length);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private (string Path, double Seconds) FitAndSave(ModelVariant variant, string modelPath)
    {
        // A fresh context per model: the seed alone decides every random choice of the fit.
        var ml = new MLContext(seed);
        var stopwatch = Stopwatch.StartNew();
        var trainView = Sst2Dataset.ToDataView(ml, data.Train);
        var transformer = variant.Fit(ml, trainView);
        stopwatch.Stop();

        // Written beside the target and moved in place, so a reader never sees half a file.
        var temporary = modelPath + ".tmp";
        using (var saved = new MemoryStream())
        {
            ml.Model.Save(transformer, Sst2Dataset.InputSchema(ml), saved);
            saved.Position = 0;
            using var stream = File.Create(temporary);
            ReproducibleZip.Rewrite(saved, stream);
        }
        File.Move(temporary, modelPath, overwrite: true);
        return (modelPath, stopwatch.Elapsed.TotalSeconds);
    }
}
