using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>
/// A named way of turning the normalised training view (columns Sentence, Label, Weight) into a
/// scoring transformer. <paramref name="Weight"/> gives each training phrase its example weight
/// from its normalised text (null: every phrase weighs 1).
/// </summary>
internal sealed record ModelVariant(
    string Name, string IdSuffix, string Description, Func<MLContext, IDataView, ITransformer> Fit, Func<string, float>? Weight = null)
{
    public string ModelId => $"sentiment-{Name}-{IdSuffix}";
    public string FileName => $"sentiment-{Name}.zip";
}
