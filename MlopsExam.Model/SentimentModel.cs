using System.Security.Cryptography;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsExam.Model;

/// <summary>Thrown when a model file is missing, is not the file its metrics describe, or cannot be served as it was trained.</summary>
public sealed class ModelIntegrityException(string message) : Exception(message);

/// <summary>
/// A loaded, verified sentiment model. Thread-safe: ML.NET's <c>PredictionEngine</c> is not,
/// so each call (single or batch) borrows a scorer (one or more engines) from a pool. A
/// negation-gated ensemble (v2) is scored by <see cref="GatedScorer"/>, which skips the members the
/// gate does not use for the sentence; any other model by its whole pipeline.
/// </summary>
public sealed class SentimentModel
{
    private readonly ObjectPool<ISentenceScorer> _engines;
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;

    private SentimentModel(MLContext ml, ITransformer transformer, string path, string sha256, ModelMetrics? metrics)
    {
        _ml = ml;
        _transformer = transformer;
        Path = path;
        Sha256 = sha256;
        Metrics = metrics;
        // The provider makes a pool that disposes engines it does not keep (PredictionEngine is IDisposable).
        // It keeps up to 16 per core: under load more requests predict at once than there are cores
        // (thread-pool threads), and with only 2 per core kept, each request beyond them built a scorer
        // over the whole pipeline and threw it away after one sentence (v2 in-process, 16 clients: 40-60
        // req/s with 2 kept per core, 220 with 16; VariantThroughputBenchmark). A kept scorer costs its
        // row buffers only; the model is shared.
        var gated = GatedLayout.Find(ml, transformer);
        // The gated ensemble's members computed directly when every step is one LinearMembers reproduces (v2: about
        // 4x faster than its ML.NET engines, same bits); otherwise they run as engines.
        var linear = gated is null ? null : LinearMembers.TryBuild(ml, gated.Members, gated.Logits, out _);
        _engines = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 16 }
            .Create(new EnginePolicy(ml, transformer, gated, linear));
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
        // Served text must be normalised exactly as the training text was (issue 12).
        if (!TextNormalizer.FoldsCompatibilityCharacters)
            throw new ModelIntegrityException(
                "This process cannot normalise text as training did: Unicode normalisation (FormKC) is unavailable, " +
                "which happens with invariant globalization (InvariantGlobalization=true or DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1) " +
                "or without ICU (libicu). Full-width letters, '…' and ligatures would reach the model unfolded. " +
                "Run with InvariantGlobalization=false and libicu installed.");
        if (!File.Exists(full))
            throw new ModelIntegrityException($"Model file '{full}' does not exist. Run 'make train' or fix the configured model path.");

        ModelMetrics? metrics = null;
        var metricsPath = ModelMetrics.PathFor(full);
        if (File.Exists(metricsPath))
        {
            try
            {
                metrics = ModelMetrics.Read(metricsPath);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException)
            {
                throw new ModelIntegrityException($"The metrics file '{metricsPath}' is not valid: {ex.Message}");
            }
        }

        var expected = expectedSha256 ?? metrics?.ModelSha256;
        if (string.IsNullOrWhiteSpace(expected))
            throw new ModelIntegrityException(
                $"No sha256 is recorded for '{full}': expected one in configuration or in '{metricsPath}'. Refusing to load an unverified model.");

        // One read: the bytes that are hashed are the bytes that are loaded, so the file cannot be
        // swapped between the check and the load.
        var bytes = File.ReadAllBytes(full);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new ModelIntegrityException(
                $"Model file '{full}' has sha256 {actual}, but {expected.Trim()} was expected. The file was changed or replaced; refusing to load it.");

        var ml = new MLContext(seed: 0);
        // Pipelines may contain this library's custom mappings (e.g. NegationScopeMapping), found by contract name.
        ml.ComponentCatalog.RegisterAssembly(typeof(SentimentModel).Assembly);
        ITransformer transformer;
        using (var stream = new MemoryStream(bytes, writable: false))
            transformer = ml.Model.Load(stream, out _);
        return new SentimentModel(ml, transformer, full, actual, metrics);
    }

    public static string ComputeSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Why this model cannot answer as a sentiment classifier, or null. ML.NET's prediction engine
    /// leaves an output field it does not find at its default, so a pipeline without a calibrated
    /// classifier would "answer" probability 0 for every sentence: its output must have the
    /// <c>Probability</c> column (a float) for the served input.
    /// </summary>
    public string? ScoringProblem()
    {
        try
        {
            var output = _transformer.GetOutputSchema(_ml.Data.LoadFromEnumerable(Array.Empty<SentimentInput>()).Schema);
            var probability = output.GetColumnOrNull(nameof(SentimentOutput.Probability));
            return probability is { } column && column.Type == NumberDataViewType.Single
                ? null
                : $"its output has no float '{nameof(SentimentOutput.Probability)}' column (columns: {string.Join(", ", output.Select(c => c.Name))})";
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return $"it cannot read the served input: {ex.Message}";
        }
    }

    public SentimentPrediction Predict(string sentence) => PredictNormalized(TextNormalizer.Normalize(sentence));

    /// <summary>Scores a sentence already brought to training's form by <see cref="TextNormalizer.Normalize"/>
    /// (for a caller that needs the normalised text too, so that it is computed once).</summary>
    public SentimentPrediction PredictNormalized(string normalizedSentence)
    {
        var engine = _engines.Get();
        try
        {
            var output = new SentimentOutput();
            engine.Score(new SentimentInput { Sentence = normalizedSentence }, ref output);
            return ToPrediction(output);
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    /// <summary>
    /// Scores many sentences with one engine borrowed for the whole batch. (Not
    /// <c>ITransformer.Transform</c>: for batches this small, building the data view and its cursors
    /// costs more than the scoring itself.)
    /// </summary>
    public IReadOnlyList<SentimentPrediction> PredictBatch(IEnumerable<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new List<SentimentPrediction>();
        var engine = _engines.Get();
        try
        {
            var input = new SentimentInput();
            var output = new SentimentOutput();
            foreach (var sentence in sentences)
            {
                input.Sentence = TextNormalizer.Normalize(sentence);
                engine.Score(input, ref output);
                results.Add(ToPrediction(output));
            }
        }
        finally
        {
            _engines.Return(engine);
        }
        return results;
    }

    private static SentimentPrediction ToPrediction(SentimentOutput o)
    {
        // Some trainers leave Probability NaN on degenerate input; fall back on the sign of the score.
        var p = float.IsNaN(o.Probability) ? (o.Score > 0 ? 1f : 0f) : o.Probability;
        return new SentimentPrediction(p >= 0.5f, p);
    }

    private sealed class EnginePolicy(MLContext ml, ITransformer transformer, GatedLayout? gated, LinearMembers? linear)
        : PooledObjectPolicy<ISentenceScorer>
    {
        public override ISentenceScorer Create() => gated is null
            ? new PipelineScorer(ml.Model.CreatePredictionEngine<SentimentInput, SentimentOutput>(transformer))
            : new GatedScorer(ml, gated, linear);

        public override bool Return(ISentenceScorer obj) => true;
    }
}
