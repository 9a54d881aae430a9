using System.Diagnostics;
using System.Reflection;
using Microsoft.ML;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>Fits a variant, saves it, and writes its metrics file from what the saved model scores.</summary>
internal sealed class ModelTrainer(Sst2Dataset data, int seed, IReadOnlyList<OutOfDomainSet> outOfDomain)
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
        var ood = outOfDomain.ToDictionary(o => o.Name, o => ModelEvaluator.Evaluate(model, o.Rows));
        var dataSha = new SortedDictionary<string, string>(data.Sha256.ToDictionary(), StringComparer.Ordinal);
        foreach (var o in outOfDomain) dataSha[$"uci-sls/{o.Name}.tsv"] = o.Sha256;
        var metrics = new ModelMetrics
        {
            ModelId = variant.ModelId,
            ModelSha256 = sha,
            Description = variant.Description,
            ModelSizeBytes = new FileInfo(modelPath).Length,
            MlNetVersion = MlNetVersion,
            Seed = seed,
            TrainingSeconds = Math.Round(seconds, 1),
            DataSha256 = dataSha,
            ExternalData = variant.ExternalData is { Count: > 0 } external ? external : null,
            Dev = ModelEvaluator.Evaluate(model, data.Dev),
            Test = ModelEvaluator.Evaluate(model, data.Test),
            OutOfDomain = ood.Count > 0 ? ood : null,
            OutOfDomainMeanAccuracy = ood.Count > 0 ? ood.Values.Average(m => m.Accuracy) : null,
        };
        metrics.Write(ModelMetrics.PathFor(modelPath));
        return metrics;
    }

    public sealed record ExploreResult(SplitMetrics Dev, IReadOnlyDictionary<string, SplitMetrics> OutOfDomain, double OutOfDomainMean,
        IReadOnlyList<CapabilityResult> Capabilities, double Seconds, long Bytes, double SingleP50Us);

    /// <summary>
    /// Development scoring of a candidate, for choosing features and hyper-parameters: SST-2 dev,
    /// the uci-sls files and the capability table; never the test split.
    /// </summary>
    public ExploreResult Explore(ModelVariant variant)
    {
        var dir = Directory.CreateTempSubdirectory("mlops-explore-");
        try
        {
            var (modelPath, seconds) = FitAndSave(variant, Path.Combine(dir.FullName, variant.FileName));
            var model = SentimentModel.Load(modelPath, SentimentModel.ComputeSha256(modelPath));
            var ood = outOfDomain.ToDictionary(o => o.Name, o => ModelEvaluator.Evaluate(model, o.Rows));
            var sentences = data.Dev.Select(r => r.Sentence).ToArray();
            foreach (var s in sentences) model.Predict(s);
            var times = sentences.Select(s => { var t = Stopwatch.GetTimestamp(); model.Predict(s); return Stopwatch.GetElapsedTime(t).TotalMicroseconds; }).Order().ToArray();
            return new ExploreResult(ModelEvaluator.Evaluate(model, data.Dev), ood, ood.Count > 0 ? ood.Values.Average(m => m.Accuracy) : 0,
                CapabilitySuite.Run(model), seconds, new FileInfo(modelPath).Length, times[times.Length / 2]);
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
        var transformer = variant.FitRows is { } fitRows
            ? fitRows(ml, data.Train)
            : variant.Fit(ml, Sst2Dataset.ToDataView(ml, variant.Augment is { } augment ? augment(data.Train) : data.Train));
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
