using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlopsExam.Model;

/// <summary>
/// The metrics file written beside each model file (<c>sentiment-v1.zip</c> ->
/// <c>sentiment-v1.metrics.json</c>): how it was trained, what it scores, and the sha256 the
/// server checks before loading it.
/// </summary>
public sealed record ModelMetrics
{
    public required string ModelId { get; init; }
    public required string ModelSha256 { get; init; }
    public string Description { get; init; } = string.Empty;
    public long ModelSizeBytes { get; init; }
    public string MlNetVersion { get; init; } = string.Empty;
    public int Seed { get; init; }
    public double TrainingSeconds { get; init; }
    public IReadOnlyDictionary<string, string> DataSha256 { get; init; } = new Dictionary<string, string>();
    public SplitMetrics? Dev { get; init; }
    public SplitMetrics? Test { get; init; }

    /// <summary>
    /// Out-of-domain development data (UCI Sentiment Labelled Sentences), per file ("amazon",
    /// "yelp", "imdb"); measured and used for choosing, never trained on. Their sha256 are in
    /// <see cref="DataSha256"/> under "uci-sls/&lt;file&gt;.tsv".
    /// </summary>
    public IReadOnlyDictionary<string, SplitMetrics>? OutOfDomain { get; init; }

    /// <summary>Mean accuracy over the <see cref="OutOfDomain"/> files.</summary>
    public double? OutOfDomainMeanAccuracy { get; init; }

    /// <summary>Resources other than SST-2 that the model was built with (none, or e.g. a lexicon), with source, licence and sha256.</summary>
    public IReadOnlyList<ExternalResource>? ExternalData { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Human-readable descriptions ("1-2-grams + char" rather than \u002B escapes); the file is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PathFor(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".metrics.json");

    public static ModelMetrics Read(string metricsPath) =>
        JsonSerializer.Deserialize<ModelMetrics>(File.ReadAllText(metricsPath), JsonOptions)
        ?? throw new InvalidDataException($"{metricsPath} is empty.");

    public void Write(string metricsPath) =>
        File.WriteAllText(metricsPath, JsonSerializer.Serialize(this, JsonOptions) + "\n");
}

public sealed record SplitMetrics(int Rows, double Accuracy, double MacroF1, double Auc);

/// <summary>A third-party resource a model uses: where it came from, under which licence, and the sha256 of what was used.</summary>
public sealed record ExternalResource(string Name, string Source, string Licence, string Sha256, string Use);
