using System.Security.Cryptography;
using System.Text.Json;

namespace MlopsExam.Reports.Rollout;

/// <summary>
/// The model store as the replicas see it (models/, mounted at /models): which model each variant
/// serves (<c>serving/&lt;variant&gt;.model</c>, a file name; absent: the variant's default) and the
/// champion's history (<c>serving/v1.history</c>, one earlier selection per line, the newest last),
/// so that a rollback after a promotion restores the previous champion.
/// </summary>
public sealed class ModelStore(string directory)
{
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["v1"] = "sentiment-v1.zip",
        ["v2"] = "sentiment-v2.zip",
    };

    public string Directory { get; } = directory;
    private string Serving => Path.Combine(Directory, "serving");
    private string HistoryFile => Path.Combine(Serving, "v1.history");

    /// <summary>The file name the variant serves (its selection, else its default).</summary>
    public string Selected(string variant)
    {
        var file = Path.Combine(Serving, variant + ".model");
        var name = File.Exists(file) ? File.ReadAllText(file).Trim() : "";
        return name.Length > 0 ? name : Defaults[variant];
    }

    /// <summary>The model id recorded in the model's metrics file.</summary>
    public string ModelId(string fileName) =>
        JsonDocument.Parse(File.ReadAllText(MetricsPath(fileName))).RootElement.GetProperty("modelId").GetString()
        ?? throw new InvalidDataException($"{MetricsPath(fileName)} has no modelId");

    /// <summary>Why the model cannot be served (missing, no metrics, sha256 differs), or null: it may be.
    /// The replicas check again (and load and smoke-test) before they swap.</summary>
    public string? Problem(string fileName)
    {
        var zip = Path.Combine(Directory, Path.GetFileName(fileName));
        if (!File.Exists(zip)) return $"{zip} does not exist";
        if (!File.Exists(MetricsPath(fileName))) return $"{MetricsPath(fileName)} does not exist";
        string? expected;
        try
        {
            expected = JsonDocument.Parse(File.ReadAllText(MetricsPath(fileName))).RootElement.GetProperty("modelSha256").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException)
        {
            return $"{MetricsPath(fileName)} is not a metrics file: {ex.Message}";
        }
        using var stream = File.OpenRead(zip);
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"{zip} has sha256 {actual}, its metrics file records {expected}";
    }

    /// <summary>v1 serves <paramref name="fileName"/>; the selection it replaces goes to the history.</summary>
    public void Promote(string fileName)
    {
        System.IO.Directory.CreateDirectory(Serving);
        File.AppendAllText(HistoryFile, SelectionOf("v1") + "\n");
        Write("v1", fileName);
    }

    /// <summary>v1 serves the selection before the last promotion; false when there was none.</summary>
    public bool RestorePrevious()
    {
        var history = File.Exists(HistoryFile) ? File.ReadAllLines(HistoryFile).ToList() : [];
        if (history.Count == 0) return false;
        Write("v1", history[^1]);
        File.WriteAllLines(HistoryFile, history[..^1]);
        return true;
    }

    /// <summary>Puts v1's selection back to <paramref name="selection"/> (a file name, or empty for the default), without history.</summary>
    public void Write(string variant, string selection)
    {
        System.IO.Directory.CreateDirectory(Serving);
        var file = Path.Combine(Serving, variant + ".model");
        // Atomic: a replica never reads half a name.
        File.WriteAllText(file + ".tmp", selection.Trim() + "\n");
        File.Move(file + ".tmp", file, overwrite: true);
    }

    private string SelectionOf(string variant)
    {
        var file = Path.Combine(Serving, variant + ".model");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : "";
    }

    private string MetricsPath(string fileName) =>
        Path.Combine(Directory, Path.GetFileNameWithoutExtension(Path.GetFileName(fileName)) + ".metrics.json");
}
