using Microsoft.ML;

namespace MlopsExam.Training;

/// <summary>A named way of turning the normalised training view (Sentence, Label) into a scoring transformer.</summary>
internal sealed record ModelVariant(string Name, string IdSuffix, string Description, Func<MLContext, IDataView, ITransformer> Fit)
{
    /// <summary>Resources other than SST-2 the variant is built with, recorded in its metrics file.</summary>
    public IReadOnlyList<MlopsExam.Model.ExternalResource> ExternalData { get; init; } = [];

    /// <summary>Extra training rows made from the training split (none by default), e.g. <see cref="NegationAugmentation"/>.</summary>
    public Func<IReadOnlyList<LabelledSentence>, IReadOnlyList<LabelledSentence>>? Augment { get; init; }

    /// <summary>
    /// When set, the variant is fitted from the training rows themselves (it makes its own views,
    /// e.g. SST-2 alone and SST-2 plus counterfactuals) and <see cref="Fit"/> and <see cref="Augment"/> are not used.
    /// </summary>
    public Func<MLContext, IReadOnlyList<LabelledSentence>, ITransformer>? FitRows { get; init; }

    public string ModelId => $"sentiment-{Name}-{IdSuffix}";
    public string FileName => $"sentiment-{Name}.zip";
}
