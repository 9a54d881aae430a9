using System.Security.Cryptography;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace MlopsExam.Model;

/// <summary>Thrown when a model file is missing or is not the file its metrics describe.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// A loaded, verified sentiment model. Thread-safe: ML.NET's <c>PredictionEngine</c> is not,
/// so each call borrows one from a pool; batches go through the transformer directly.
/// </summary>
public sealed class SentimentModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly ObjectPool<Microsoft.ML.PredictionEngine<SentimentInput, SentimentOutput>> _engines;

    private SentimentModel(MLContext ml, ITransformer transformer, string path, string sha256, ModelMetrics? metrics)
    {
        _ml = ml;
        _transformer = transformer;
        Path = path;
        Sha256 = sha256;
        Metrics = metrics;
        _engines = new DefaultObjectPool<Microsoft.ML.PredictionEngine<SentimentInput, SentimentOutput>>(
            new EnginePolicy(ml, transformer), Environment.ProcessorCount * 2);
    }

    public string Path { get; }
    public string Sha256 { get; }
    public ModelMetrics? Metrics { get; }
    public string ModelId => Metrics?.ModelId ?? System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>
    /// Loads <paramref name="modelPath"/> after checking its sha256 against
    /// <paramref name="expectedSha256"/>, or, when that is null, against the value recorded in the
    /// metrics file beside it. Throws <see cref="ModelIntegrityException"/> with a message that says
    /// what to do when the file is missing, has no recorded hash, or does not match.
    /// </summary>
    public static SentimentModel Load(string modelPath, string? expectedSha256 = null)
    {
        var full = System.IO.Path.GetFullPath(modelPath);
        if (!File.Exists(full))
            throw new ModelIntegrityException($"Model file '{full}' does not exist. Run 'make train' or fix the configured model path.");

        ModelMetrics? metrics = null;
        var metricsPath = ModelMetrics.PathFor(full);
        if (File.Exists(metricsPath))
            metrics = ModelMetrics.Read(metricsPath);

        var expected = expectedSha256 ?? metrics?.ModelSha256;
        if (string.IsNullOrWhiteSpace(expected))
            throw new ModelIntegrityException(
                $"No sha256 is recorded for '{full}': expected one in configuration or in '{metricsPath}'. Refusing to load an unverified model.");

        var actual = ComputeSha256(full);
        if (!string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new ModelIntegrityException(
                $"Model file '{full}' has sha256 {actual}, but {expected.Trim()} was expected. The file was changed or replaced; refusing to load it.");

        var ml = new MLContext(seed: 0);
        // Pipelines may contain this library's custom mappings (e.g. NegationScopeMapping), found by contract name.
        ml.ComponentCatalog.RegisterAssembly(typeof(SentimentModel).Assembly);
        ITransformer transformer;
        using (var stream = File.OpenRead(full))
            transformer = ml.Model.Load(stream, out _);
        return new SentimentModel(ml, transformer, full, actual, metrics);
    }

    public static string ComputeSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public SentimentPrediction Predict(string sentence)
    {
        var engine = _engines.Get();
        try
        {
            var output = engine.Predict(new SentimentInput { Sentence = TextNormalizer.Normalize(sentence) });
            return ToPrediction(output);
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    /// <summary>Scores many sentences in one pass of the transformer (no engine, no lock).</summary>
    public IReadOnlyList<SentimentPrediction> PredictBatch(IEnumerable<string> sentences)
    {
        var rows = sentences.Select(s => new SentimentInput { Sentence = TextNormalizer.Normalize(s) }).ToList();
        if (rows.Count == 0) return [];
        var scored = _transformer.Transform(_ml.Data.LoadFromEnumerable(rows));
        return _ml.Data.CreateEnumerable<SentimentOutput>(scored, reuseRowObject: false)
            .Select(ToPrediction)
            .ToList();
    }

    private static SentimentPrediction ToPrediction(SentimentOutput o)
    {
        // Some trainers leave Probability NaN on degenerate input; fall back on the sign of the score.
        var p = float.IsNaN(o.Probability) ? (o.Score > 0 ? 1f : 0f) : o.Probability;
        return new SentimentPrediction(p >= 0.5f, p);
    }

    private sealed class EnginePolicy(MLContext ml, ITransformer transformer)
        : PooledObjectPolicy<Microsoft.ML.PredictionEngine<SentimentInput, SentimentOutput>>
    {
        public override Microsoft.ML.PredictionEngine<SentimentInput, SentimentOutput> Create() =>
            ml.Model.CreatePredictionEngine<SentimentInput, SentimentOutput>(transformer);

        public override bool Return(Microsoft.ML.PredictionEngine<SentimentInput, SentimentOutput> obj) => true;
    }
}
