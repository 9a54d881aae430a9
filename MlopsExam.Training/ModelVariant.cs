using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>A named way of turning the normalised training view (Sentence, Label) into a scoring transformer.</summary>
internal sealed record ModelVariant(string Name, string IdSuffix, string Description, Func<MLContext, IDataView, ITransformer> Fit)
{
    public string ModelId => $"sentiment-{Name}-{IdSuffix}";
    public string FileName => $"sentiment-{Name}.zip";
}
