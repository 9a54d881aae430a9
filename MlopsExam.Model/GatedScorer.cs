using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlopsExam.Model;

/// <summary>
/// Scores one normalised sentence and writes Score, Probability and PredictedLabel. Not
/// thread-safe (it holds ML.NET prediction engines): <see cref="SentimentModel"/> pools them.
/// </summary>
internal interface ISentenceScorer : IDisposable
{
    void Score(SentimentInput input, ref SentimentOutput output);
}

/// <summary>The saved pipeline as it is, in one prediction engine (v1, and any model that is not a gated ensemble).</summary>
internal sealed class PipelineScorer(PredictionEngine<SentimentInput, SentimentOutput> engine) : ISentenceScorer
{
    public void Score(SentimentInput input, ref SentimentOutput output) => engine.Predict(input, ref output);

    public void Dispose() => engine.Dispose();
}

/// <summary>
/// A negation-gated ensemble (v2: MlopsExam.Training's GatedEnsemble) scored without the members
/// the gate does not use for the sentence at hand. The saved pipeline is the members, then a
/// gate step: <c>Negated</c> (<see cref="NegationGateMapping"/>), <c>ScorePlain</c> and
/// <c>ScoreNegated</c> (weighted means of some members' logits), and
/// <c>Score = Negated * ScoreNegated + (1 - Negated) * ScorePlain</c>. Run whole, every member is
/// scored for every sentence, though one side of that sum is multiplied by 0. Here the members run
/// as one engine that is asked only for the logits the sentence's side needs (ML.NET computes a
/// column only when an output depends on it), and the gate step runs as saved, with 0 for the
/// logits not computed: <c>0 * x</c> is 0 for any finite x, so Score, Probability and the label
/// are bit for bit those of the whole pipeline (MlopsExam.Tests' GatedScorerTests compare them on
/// SST-2 and uci-sls). Nothing in the model file changes.
/// </summary>
internal sealed class GatedScorer : ISentenceScorer
{
    /// <summary>Most members a gated ensemble may have here (fields of <see cref="MemberScores"/>).</summary>
    public const int MaxMembers = 8;

    private readonly GatedLayout _layout;
    private readonly LinearMembers? _linear;
    private readonly LinearMembers.Scratch _scratch = LinearMembers.NewScratch();
    private readonly float[] _logits = new float[MaxMembers];
    private readonly PredictionEngine<SentimentInput, MemberScores> _plain;
    private readonly PredictionEngine<SentimentInput, MemberScores> _negated;
    private readonly PredictionEngine<GateInput, GateOutput> _gate;
    private MemberScores _scores = new();
    private GateInput _gateInput = new();
    private GateOutput _gateOutput = new();

    /// <param name="linear">the members computed directly (<see cref="LinearMembers"/>), or null to run them as ML.NET engines</param>
    public GatedScorer(MLContext ml, GatedLayout layout, LinearMembers? linear = null)
    {
        _layout = layout;
        _linear = linear;
        _plain = ml.Model.CreatePredictionEngine<SentimentInput, MemberScores>(layout.Members, outputSchemaDefinition: layout.ScoresSchema(layout.Plain));
        _negated = ml.Model.CreatePredictionEngine<SentimentInput, MemberScores>(layout.Members, outputSchemaDefinition: layout.ScoresSchema(layout.Negated));
        _gate = ml.Model.CreatePredictionEngine<GateInput, GateOutput>(layout.Gate, inputSchemaDefinition: layout.GateInputSchema());
    }

    public void Score(SentimentInput input, ref SentimentOutput output)
    {
        var negated = NegationScope.HasScope(input.Sentence);
        Gate(input, negated, ref output);
        // The gate step computes Negated itself (the saved NegationGateMapping); should it ever
        // disagree with the side chosen above, score again with the logits of its side.
        if ((_gateOutput.Negated != 0) != negated)
            Gate(input, !negated, ref output);
    }

    private void Gate(SentimentInput input, bool negated, ref SentimentOutput output)
    {
        var side = negated ? _layout.Negated : _layout.Plain;
        Array.Clear(_logits);
        if (_linear is not null && _linear.TryScore(input.Sentence, side, _scratch, _logits))
            _scores.Set(_logits);
        else
        {
            _scores.Clear();
            (negated ? _negated : _plain).Predict(input, ref _scores);
        }
        _gateInput.Sentence = input.Sentence;
        _scores.CopyTo(_gateInput);
        _gate.Predict(_gateInput, ref _gateOutput);
        output ??= new SentimentOutput();
        output.Score = _gateOutput.Score;
        output.Probability = _gateOutput.Probability;
        output.PredictedLabel = _gateOutput.PredictedLabel;
    }

    public void Dispose()
    {
        _plain.Dispose();
        _negated.Dispose();
        _gate.Dispose();
    }

    /// <summary>The logits of up to <see cref="MaxMembers"/> members, by their index in <see cref="GatedLayout.Logits"/>.</summary>
    internal sealed class MemberScores
    {
        public float S0, S1, S2, S3, S4, S5, S6, S7;

        public void Clear() => S0 = S1 = S2 = S3 = S4 = S5 = S6 = S7 = 0;

        public void Set(ReadOnlySpan<float> s) => (S0, S1, S2, S3, S4, S5, S6, S7) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);

        public void CopyTo(GateInput g) =>
            (g.S0, g.S1, g.S2, g.S3, g.S4, g.S5, g.S6, g.S7) = (S0, S1, S2, S3, S4, S5, S6, S7);
    }

    internal sealed class GateInput
    {
        public string Sentence = string.Empty;
        public float S0, S1, S2, S3, S4, S5, S6, S7;
    }

    internal sealed class GateOutput
    {
        public float Negated { get; set; }
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }
}

/// <summary>
/// Where a loaded pipeline keeps a negation-gated ensemble: the members (every step but the last)
/// and the gate step (the last), and which members' logits each side of the gate reads, asked of
/// the gate step itself (<see cref="IRowToRowMapper.GetDependencies"/>), not assumed.
/// </summary>
internal sealed record GatedLayout(ITransformer Members, ITransformer Gate, IReadOnlyList<string> Logits, IReadOnlyList<int> Plain, IReadOnlyList<int> Negated)
{
    private static readonly string[] GateColumns = ["Negated", "ScorePlain", "ScoreNegated", "Score", "Probability", "PredictedLabel"];

    /// <summary>The layout of <paramref name="model"/>, or null when it is not a gated ensemble this class can score by parts.</summary>
    public static GatedLayout? Find(MLContext ml, ITransformer model)
    {
        if (model is not TransformerChain<ITransformer> chain) return null;
        var steps = chain.ToArray();
        if (steps.Length < 3) return null;
        var members = new TransformerChain<ITransformer>(steps[..^1]);
        var gate = steps[^1];
        var input = ml.Data.LoadFromEnumerable(Array.Empty<SentimentInput>()).Schema;
        var scored = members.GetOutputSchema(input);
        var mapper = gate.GetRowToRowMapper(scored);
        if (GateColumns.Any(c => mapper.OutputSchema.GetColumnOrNull(c) is null)) return null;

        var sides = new[] { "ScorePlain", "ScoreNegated" }
            .Select(c => mapper.GetDependencies([mapper.OutputSchema[c]]).Select(d => d.Name).ToList()).ToArray();
        var gateInputs = mapper.GetDependencies(GateColumns.Select(c => mapper.OutputSchema[c])).Select(d => d.Name).ToList();
        var logits = sides.SelectMany(s => s).Distinct().ToList();
        // The gate must read the sentence and member logits (single floats that the members write) and nothing else.
        if (logits.Count is 0 or > GatedScorer.MaxMembers
            || gateInputs.Any(n => n != "Sentence" && !logits.Contains(n))
            || logits.Any(n => input.GetColumnOrNull(n) is not null || scored.GetColumnOrNull(n)?.Type != NumberDataViewType.Single))
            return null;
        return new GatedLayout(members, gate, logits,
            sides[0].Select(n => logits.IndexOf(n)).ToList(), sides[1].Select(n => logits.IndexOf(n)).ToList());
    }

    /// <summary>The member engine's output: the logits of <paramref name="side"/> in their fields S0..S7.</summary>
    public SchemaDefinition ScoresSchema(IReadOnlyList<int> side)
    {
        var schema = SchemaDefinition.Create(typeof(GatedScorer.MemberScores));
        schema.RemoveAll(c => !side.Contains(Index(c.MemberName)));
        foreach (var column in schema) column.ColumnName = Logits[Index(column.MemberName)];
        return schema;
    }

    /// <summary>The gate engine's input: Sentence and every logit under its column name.</summary>
    public SchemaDefinition GateInputSchema()
    {
        var schema = SchemaDefinition.Create(typeof(GatedScorer.GateInput));
        schema.RemoveAll(c => c.MemberName != nameof(GatedScorer.GateInput.Sentence) && Index(c.MemberName) >= Logits.Count);
        foreach (var column in schema.Where(c => c.MemberName != nameof(GatedScorer.GateInput.Sentence)))
            column.ColumnName = Logits[Index(column.MemberName)];
        return schema;
    }

    private static int Index(string field) => int.Parse(field.AsSpan(1), provider: System.Globalization.CultureInfo.InvariantCulture);
}
