using System.Collections.Immutable;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;

namespace MlopsExam.Model;

/// <summary>
/// The members of a gated ensemble (v2) computed without ML.NET's row machinery: their feature
/// vectors and logits, from the parameters of the loaded transformers, with ML.NET's own
/// arithmetic. Profiled with perf, most of a v2 prediction went to ML.NET's per-row plumbing and
/// n-gram lookups (a hash probe into a LEB128-encoded sequence pool per n-gram and per member);
/// here each view (negation-marked, contrast clause, lexicon) is made once per sentence and each
/// n-gram is one dictionary probe. What each saved step computes is reproduced exactly:
/// <list type="bullet">
/// <item>FeaturizeText: tokens split on ' ' (ML.NET's WordTokenizer), term keys (ValueToKey; 0 when
/// unknown), characters framed by 0x02/0x03 (TokenizingByCharacters), n-gram counts (an n-gram with
/// a key 0 is never in the vocabulary), value = (float)(count * idf) in slot order (TF-IDF), each of
/// the char and word parts scaled by 1 / its L2 norm (LpNorm; the sum of squares by ML.NET's own
/// CpuMathUtils.SumSq, so the SIMD summation order is the same), char part first;</item>
/// <item>the member's Concatenate (slot offsets in source order); a min-max normaliser without
/// offset (value * scale, zeros dropped as ML.NET's BufferBuilder does);</item>
/// <item>the linear model's score, Bias + CpuMathUtils.DotProductSparse(weights, values) (ML.NET's
/// method, called through a delegate).</item>
/// </list>
/// ML.NET keeps a vector sparse while under half its slots are filled; a sentence long enough to
/// come near that for any part is left to ML.NET (<see cref="TryScore"/> returns false), as is any
/// model made of other steps (<see cref="TryBuild"/> returns null). MlopsExam.Tests' GatedScorerTests
/// and LinearMembersTests compare every logit and answer with the whole pipeline's, bit for bit.
/// </summary>
internal sealed class LinearMembers
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private const BindingFlags Static = BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public;

    private delegate float SumSqFn(float mean, ReadOnlySpan<float> source);

    private delegate float DotProductSparseFn(ReadOnlySpan<float> left, ReadOnlySpan<float> right, ReadOnlySpan<int> indices, int count);

    private readonly Member[] _members;
    private readonly SumSqFn _sumSq;
    private readonly DotProductSparseFn _dot;

    private LinearMembers(Member[] members, SumSqFn sumSq, DotProductSparseFn dot)
    {
        _members = members;
        _sumSq = sumSq;
        _dot = dot;
    }

    /// <summary>The views of the sentence a member's featurisers read.</summary>
    internal enum View
    {
        Sentence,
        NegationMarked,
        Contrast,
        Lexicon,
    }

    /// <summary>
    /// The members of <paramref name="members"/> (a chain of member chains) that write the columns
    /// <paramref name="logits"/>, or null when a step is not one this class reproduces (then
    /// <paramref name="unsupported"/> says which).
    /// </summary>
    public static LinearMembers? TryBuild(MLContext ml, ITransformer members, IReadOnlyList<string> logits, out string? unsupported)
    {
        unsupported = null;
        try
        {
            var cpuMath = Type.GetType("Microsoft.ML.Internal.CpuMath.CpuMathUtils, Microsoft.ML.CpuMath", throwOnError: true)!;
            var sumSq = cpuMath.GetMethod("SumSq", Static, [typeof(float), typeof(ReadOnlySpan<float>)]);
            var dot = cpuMath.GetMethod("DotProductSparse", Static, [typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<int>), typeof(int)]);
            if (sumSq is null || dot is null || sumSq.ReturnType != typeof(float) || dot.ReturnType != typeof(float))
                throw new NotSupportedException("ML.NET's CpuMathUtils.SumSq or DotProductSparse");

            var builder = new Builder();
            var schema = ml.Data.LoadFromEnumerable(Array.Empty<SentimentInput>()).Schema;
            builder.Walk(members, ref schema);
            var found = new Member[logits.Count];
            for (var i = 0; i < logits.Count; i++)
            {
                if (!builder.Scores.TryGetValue(logits[i], out var member)) throw new NotSupportedException($"no member writes {logits[i]}");
                found[i] = member;
            }
            return new LinearMembers(found, sumSq.CreateDelegate<SumSqFn>(), dot.CreateDelegate<DotProductSparseFn>());
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or InvalidCastException
                                       or ArgumentException or TargetInvocationException or MemberAccessException or TypeLoadException)
        {
            unsupported = ex.Message;
            return null;
        }
    }

    /// <summary>
    /// Writes into <paramref name="logits"/> the logit of each member in <paramref name="members"/>
    /// (indices of the logits given to <see cref="TryBuild"/>), or returns false when the sentence is
    /// one to leave to ML.NET. <paramref name="scratch"/> belongs to one thread at a time.
    /// </summary>
    public bool TryScore(string normalized, IReadOnlyList<int> members, Scratch scratch, Span<float> logits)
    {
        scratch.Begin(normalized);
        foreach (var m in members)
        {
            if (!TryScore(_members[m], scratch, out var logit)) return false;
            logits[m] = logit;
        }
        return true;
    }

    public static Scratch NewScratch() => new();

    private bool TryScore(Member member, Scratch scratch, out float logit)
    {
        logit = 0;
        var indices = scratch.Indices;
        var values = scratch.Values;
        indices.Clear();
        values.Clear();
        foreach (var (group, offset) in member.Groups.Zip(member.Offsets))
        {
            var text = scratch.ViewOf(group.Source);
            var partOffset = offset;
            foreach (var part in group.Parts)
            {
                if (!TryAddPart(part, text, partOffset, scratch)) return false;
                partOffset += part.Slots;
            }
        }

        var count = values.Count;
        if (member.Scale is { } scale)
        {
            // NormalizingTransformer (affine, no offset): value * scale; BufferBuilder ignores zeros.
            var kept = 0;
            for (var i = 0; i < count; i++)
            {
                var v = values[i] * scale[indices[i]];
                if (v == 0) continue;
                values[kept] = v;
                indices[kept] = indices[i];
                kept++;
            }
            count = kept;
        }

        // LinearModelParameters.Score: Bias + VectorUtils.DotProduct(dense weights, sparse features), 0 for no features.
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values)[..count];
        var dot = count == 0 ? 0f : _dot(member.Weights, span, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(indices)[..count], count);
        logit = member.Bias + dot;
        return true;
    }

    /// <summary>Appends the L2-normalised TF-IDF n-gram values of <paramref name="part"/> at <paramref name="offset"/>.</summary>
    private bool TryAddPart(Part part, string text, int offset, Scratch scratch)
    {
        var keys = scratch.Keys;
        keys.Clear();
        if (part.Terms is { } terms)
        {
            // WordTokenizingTransformer with the separator ' ': empty tokens dropped; ValueToKey: unknown -> 0.
            var lookup = terms.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (var range in text.AsSpan().Split(' '))
            {
                var token = text.AsSpan(range);
                if (token.IsEmpty) continue;
                keys.Add(lookup.TryGetValue(token, out var key) ? key : 0u);
            }
        }
        else if (text.Length > 0)
        {
            // TokenizingByCharacters with markers: 0x02, the UTF-16 code units, 0x03 ('\0' is the missing key 0),
            // each renumbered densely; a character in no n-gram of the vocabulary is 0 too.
            var ids = part.CharIds!;
            keys.Add(ids[0x02]);
            foreach (var c in text) keys.Add(ids[c]);
            keys.Add(ids[0x03]);
        }

        var slots = scratch.Slots;
        slots.Clear();
        var table = part.Ngrams;
        for (var i = 0; i < keys.Count; i++)
        {
            ulong packed = 0;
            for (var n = 1; n <= table.MaxLength && i + n <= keys.Count; n++)
            {
                var key = keys[i + n - 1];
                if (key == 0) break; // never in the vocabulary, nor any longer n-gram holding it
                packed |= (ulong)key << (table.KeyBits * (n - 1));
                if (n < table.MinLength) continue;
                if (table.TryGet(packed, out var slot)) slots.Add(slot);
                else if (table.PrefixClosed) break; // no longer n-gram starts with one that is absent
            }
        }
        // ML.NET turns a vector dense (another summation order) when half its slots are filled: leave such sentences to it.
        if (slots.Count >= part.Slots / 4) return false;
        if (slots.Count == 0) return true;

        // BufferBuilder: sorted by slot, duplicates summed; then TF-IDF.
        slots.Sort();
        var values = scratch.Values;
        var indices = scratch.Indices;
        var start = values.Count;
        for (var i = 0; i < slots.Count;)
        {
            var j = i;
            while (j < slots.Count && slots[j] == slots[i]) j++;
            float tf = j - i;
            values.Add((float)(tf * part.Idf[slots[i]]));
            indices.Add(offset + slots[i]);
            i = j;
        }

        // LpNormNormalizingTransformer (L2, no mean): scale / sqrt(sum of squares), 1 when below 1e-8.
        var own = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values)[start..];
        var divisor = (float)Math.Sqrt(_sumSq(0, own));
        var normScale = part.NormScale;
        if (divisor > 0) normScale /= divisor;
        if (normScale < 1e-8f) normScale = 1;
        for (var i = 0; i < own.Length; i++) own[i] = normScale * own[i];
        return true;
    }

    /// <summary>Per-thread working buffers and the views of the sentence being scored.</summary>
    internal sealed class Scratch
    {
        private readonly string?[] _views = new string?[4];
        private string _sentence = string.Empty;

        public List<uint> Keys { get; } = new(256);
        public List<int> Slots { get; } = new(512);
        public List<int> Indices { get; } = new(1024);
        public List<float> Values { get; } = new(1024);

        public void Begin(string sentence)
        {
            _sentence = sentence;
            Array.Clear(_views);
        }

        public string ViewOf(View view) => _views[(int)view] ??= view switch
        {
            View.Sentence => _sentence,
            View.NegationMarked => NegationScope.Mark(_sentence),
            View.Contrast => ContrastClause.After(_sentence),
            View.Lexicon => LexiconView.Map(_sentence),
            _ => throw new ArgumentOutOfRangeException(nameof(view)),
        };
    }

    /// <summary>One logistic member: its feature groups in Concatenate order, an optional per-slot scale, the linear model.</summary>
    internal sealed record Member(Group[] Groups, int[] Offsets, float[]? Scale, float[] Weights, float Bias);

    /// <summary>One FeaturizeText step: a view of the sentence and its parts (char part first, as ML.NET concatenates them).</summary>
    internal sealed record Group(View Source, Part[] Parts, int Slots);

    /// <summary>
    /// One n-gram extractor: word terms with their keys (null for characters, which have
    /// <paramref name="CharIds"/>: a dense number per character of the vocabulary, 0 for others),
    /// the n-gram vocabulary, idf per slot, the L2 scale.
    /// </summary>
    internal sealed record Part(Dictionary<string, uint>? Terms, ushort[]? CharIds, NgramTable Ngrams, double[] Idf, int Slots, float NormScale);

    /// <summary>
    /// An n-gram vocabulary: the keys of an n-gram packed into 64 bits (<see cref="KeyBits"/> each,
    /// first key lowest) to its slot, in one open-addressing array (one cache line per probe, where
    /// a Dictionary reads its bucket and then its entry).
    /// </summary>
    internal sealed class NgramTable
    {
        private readonly (ulong Key, int Slot)[] _entries;
        private readonly int _shift;
        private readonly int _mask;

        private NgramTable(int capacity, int keyBits, int minLength, int maxLength, bool prefixClosed)
        {
            _entries = new (ulong, int)[capacity];
            _mask = capacity - 1;
            _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
            (KeyBits, MinLength, MaxLength, PrefixClosed) = (keyBits, minLength, maxLength, prefixClosed);
        }

        public int KeyBits { get; }

        /// <summary>The shortest and longest n-gram in the vocabulary.</summary>
        public int MinLength { get; }

        public int MaxLength { get; }

        /// <summary>Whether every n-gram longer than <see cref="MinLength"/> has its prefix in the vocabulary too (word 1-3-grams do).</summary>
        public bool PrefixClosed { get; }

        /// <param name="sequences">each slot's keys, all in 1..2^<paramref name="keyBits"/> - 1</param>
        public static NgramTable Build(uint[][] sequences, int keyBits)
        {
            var packed = sequences.Select(q => Pack(q, q.Length, keyBits)).ToArray();
            var minLength = sequences.Length == 0 ? 1 : sequences.Min(q => q.Length);
            var maxLength = sequences.Length == 0 ? 1 : sequences.Max(q => q.Length);
            var all = packed.ToHashSet();
            var prefixClosed = sequences.All(q => q.Length == minLength || all.Contains(Pack(q, q.Length - 1, keyBits)));
            // At most half full: short probe runs.
            var capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, sequences.Length * 2));
            var table = new NgramTable(capacity, keyBits, minLength, maxLength, prefixClosed);
            for (var slot = 0; slot < packed.Length; slot++)
            {
                var i = table.Home(packed[slot]);
                while (table._entries[i].Key != 0)
                {
                    if (table._entries[i].Key == packed[slot]) throw new NotSupportedException("duplicate n-gram");
                    i = (i + 1) & table._mask;
                }
                table._entries[i] = (packed[slot], slot);
            }
            return table;
        }

        public bool TryGet(ulong key, out int slot)
        {
            for (var i = Home(key); ; i = (i + 1) & _mask)
            {
                var entry = _entries[i];
                if (entry.Key == key)
                {
                    slot = entry.Slot;
                    return true;
                }
                if (entry.Key == 0)
                {
                    slot = -1;
                    return false;
                }
            }
        }

        private int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

        private static ulong Pack(uint[] keys, int n, int keyBits)
        {
            ulong packed = 0;
            for (var i = 0; i < n; i++) packed |= (ulong)keys[i] << (keyBits * i);
            return packed;
        }
    }

    /// <summary>Reads a chain of member chains, step by step, into <see cref="Member"/>s by the score column they write.</summary>
    private sealed class Builder
    {
        private readonly Dictionary<string, View> _views = new() { ["Sentence"] = View.Sentence };
        private readonly Dictionary<string, Group> _groups = [];
        private readonly Dictionary<string, (Group[] Groups, int[] Offsets)> _concats = [];
        private readonly Dictionary<string, ((Group[] Groups, int[] Offsets) Features, float[] Scale)> _scaled = [];
        private string? _lastScore;

        public Dictionary<string, Member> Scores { get; } = [];
        private readonly Dictionary<string, Member> _rawScores = [];

        public void Walk(ITransformer step, ref DataViewSchema schema)
        {
            if (step is TransformerChain<ITransformer> chain)
            {
                foreach (var inner in chain) Walk(inner, ref schema);
                return;
            }
            var before = schema;
            schema = step.GetOutputSchema(schema);
            var type = step.GetType();
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(CustomMappingTransformer<,>))
                AddView(type.GetGenericArguments()[0].DeclaringType);
            else if (type.FullName == "Microsoft.ML.Transforms.Text.TextFeaturizingEstimator+Transformer")
                AddFeaturizer(step, before, schema);
            else if (step is ColumnConcatenatingTransformer concat)
                AddConcat(concat);
            else if (step is NormalizingTransformer normalizer)
                AddScale(normalizer);
            else if (step is BinaryPredictionTransformer<CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>> predictor)
                AddPredictor(predictor);
            else if (step is ColumnCopyingTransformer copy)
                AddCopy(copy);
            else
                throw new NotSupportedException($"step {type.Name}");
        }

        private void AddView(Type? mapping)
        {
            var (column, view) = mapping == typeof(NegationScopeMapping) ? ("NegationMarked", View.NegationMarked)
                : mapping == typeof(ContrastClauseMapping) ? ("Contrast", View.Contrast)
                : mapping == typeof(LexiconViewMapping) ? ("Lexicon", View.Lexicon)
                : throw new NotSupportedException($"custom mapping {mapping?.Name}");
            _views[column] = view;
        }

        private void AddFeaturizer(ITransformer featurizer, DataViewSchema before, DataViewSchema after)
        {
            var chain = (TransformerChain<ITransformer>)Field(featurizer, "_chain");
            var schema = before;
            View? source = null;
            Dictionary<string, uint>? terms = null;
            var parts = new Dictionary<string, Part>();
            var normalized = new Dictionary<string, (string Input, float Scale)>();
            string? output = null;
            string[]? order = null;
            foreach (var step in Flatten(chain))
            {
                schema = step.GetOutputSchema(schema);
                switch (step)
                {
                    case WordTokenizingTransformer tokenizer:
                        {
                            var column = ((System.Collections.IEnumerable)Field(tokenizer, "Columns")).Cast<object>().Single();
                            if (!((IEnumerable<char>)Field(column, "Separators")).SequenceEqual([' '])) throw new NotSupportedException("separators");
                            source = ViewOf((string)Field(column, "InputColumnName"), source);
                            break;
                        }
                    case ValueToKeyMappingTransformer toKey:
                        {
                            var name = Pairs(toKey).Single().Output;
                            VBuffer<ReadOnlyMemory<char>> values = default;
                            schema[name].GetKeyValues(ref values);
                            terms = new Dictionary<string, uint>(StringComparer.Ordinal);
                            var k = 0u;
                            foreach (var term in values.DenseValues()) terms.Add(term.ToString(), ++k);
                            var keyType = schema[name].Type is VectorDataViewType vector ? vector.ItemType : schema[name].Type;
                            if (keyType is not KeyDataViewType { Count: var keyCount } || k != keyCount) throw new NotSupportedException("key count");
                            break;
                        }
                    case NgramExtractingTransformer ngrams:
                        {
                            // Words come through ValueToKey just before; characters are keys already.
                            var name = Pairs(ngrams).Single().Output;
                            parts[name] = ReadNgrams(ngrams, terms, ((VectorDataViewType)schema[name].Type).Size);
                            terms = null;
                            break;
                        }
                    case LpNormNormalizingTransformer norm:
                        foreach (var column in (System.Collections.IEnumerable)Field(norm, "_columns"))
                        {
                            if (!Equals(Field(column, "Norm"), LpNormNormalizingEstimatorBase.NormFunction.L2) || (bool)Field(column, "EnsureZeroMean"))
                                throw new NotSupportedException("norm");
                            normalized[(string)Field(column, "Name")] = ((string)Field(column, "InputColumnName"), (float)Field(column, "Scale"));
                        }
                        break;
                    case ColumnConcatenatingTransformer concat:
                        (output, order) = Sources(concat);
                        break;
                    case ColumnSelectingTransformer:
                        break;
                    default:
                        if (step.GetType().FullName != "Microsoft.ML.Transforms.Text.TokenizingByCharactersTransformer" || !(bool)Field(step, "_useMarkerChars"))
                            throw new NotSupportedException($"featurizer step {step.GetType().Name}");
                        source = ViewOf(Pairs(step).Single().Input, source);
                        break;
                }
            }
            if (source is null || output is null || order is null) throw new NotSupportedException("featurizer shape");
            // Each concatenated column is an L2-normalised n-gram column.
            var ordered = order.Select(name => normalized.TryGetValue(name, out var n) && parts.TryGetValue(n.Input, out var part)
                ? part with { NormScale = n.Scale }
                : throw new NotSupportedException($"featurizer part {name}")).ToArray();
            var slots = ordered.Sum(p => p.Slots);
            if (ordered.Length != parts.Count || ((VectorDataViewType)after[output].Type).Size != slots) throw new NotSupportedException("featurizer slots");
            _groups[output] = new Group(source.Value, ordered, slots);
        }

        private View ViewOf(string column, View? already)
        {
            var view = _views.TryGetValue(column, out var v) ? v : throw new NotSupportedException($"text column {column}");
            if (already is { } a && a != view) throw new NotSupportedException("two sources");
            return view;
        }

        private static Part ReadNgrams(NgramExtractingTransformer ngrams, Dictionary<string, uint>? terms, int slots)
        {
            var info = ((System.Collections.IEnumerable)Field(ngrams, "_transformInfos")).Cast<object>().Single();
            if ((int)Field(info, "SkipLength") != 0
                || !Equals(Field(info, "Weighting"), NgramExtractingEstimator.WeightingCriteria.TfIdf))
                throw new NotSupportedException("n-gram options");
            var length = (int)Field(info, "NgramLength");
            var pool = ((System.Collections.IEnumerable)Field(ngrams, "_ngramMaps")).Cast<object>().First();
            var idf = ((double[][])Field(ngrams, "_invDocFreqs"))[0];
            var count = (int)pool.GetType().GetProperty("Count", Instance)!.GetValue(pool)!;
            var getById = pool.GetType().GetMethod("GetById", Instance)!;
            if (count != slots || idf.Length < slots) throw new NotSupportedException($"n-gram slots: pool {count}, idf {idf.Length}, column {slots}");

            var sequences = new uint[count][];
            var args = new object?[2];
            for (var id = 0; id < count; id++)
            {
                args[0] = id;
                args[1] = null;
                var n = (int)getById.Invoke(pool, args)!;
                if (n < 1 || n > length) throw new NotSupportedException("n-gram entry");
                sequences[id] = ((uint[])args[1]!)[..n];
            }

            ushort[]? charIds = null;
            var maxKey = (uint)(terms?.Count ?? 0);
            if (terms is null)
            {
                // Characters: number those the vocabulary holds 1, 2, ... so that n of them pack into 64 bits.
                charIds = new ushort[char.MaxValue + 1];
                foreach (var key in sequences.SelectMany(q => q))
                {
                    if (key is 0 or > char.MaxValue) throw new NotSupportedException("char key");
                    if (charIds[key] == 0) charIds[key] = checked((ushort)++maxKey);
                }
                sequences = [.. sequences.Select(q => q.Select(k => (uint)charIds[k]).ToArray())];
            }
            else if (sequences.Any(q => q.Any(k => k == 0 || k > maxKey)))
                throw new NotSupportedException("word key");
            var keyBits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)maxKey);
            if (keyBits * length > 64) throw new NotSupportedException("n-grams do not pack into 64 bits");
            return new Part(terms, charIds, NgramTable.Build(sequences, keyBits), idf, slots, float.NaN);
        }

        private void AddConcat(ColumnConcatenatingTransformer concat)
        {
            var (name, sources) = Sources(concat);
            var groups = sources.Select(s => _groups.TryGetValue(s, out var g) ? g : throw new NotSupportedException($"concat source {s}")).ToArray();
            var offsets = new int[groups.Length];
            for (var i = 1; i < groups.Length; i++) offsets[i] = offsets[i - 1] + groups[i - 1].Slots;
            _concats[name] = (groups, offsets);
        }

        private void AddScale(NormalizingTransformer normalizer)
        {
            var (output, input) = Pairs(normalizer).Single();
            var features = Features(input);
            if (normalizer.GetNormalizerModelParameters(0) is not NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>> affine
                || !affine.Offset.IsDefaultOrEmpty || affine.Scale.Length != features.Groups.Sum(g => g.Slots))
                throw new NotSupportedException("normaliser");
            _scaled[output] = (features, affine.Scale.ToArray());
        }

        private (Group[] Groups, int[] Offsets) Features(string column) =>
            _concats.TryGetValue(column, out var c) ? c
            : _groups.TryGetValue(column, out var g) ? ([g], [0])
            : throw new NotSupportedException($"features {column}");

        private void AddPredictor(BinaryPredictionTransformer<CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>> predictor)
        {
            var model = predictor.Model.SubModel;
            var column = predictor.FeatureColumnName;
            var (features, scale) = _scaled.TryGetValue(column, out var s) ? s : (Features(column), null);
            var weights = model.Weights.ToArray();
            if (weights.Length != features.Groups.Sum(g => g.Slots)) throw new NotSupportedException("weights");
            _lastScore = "Score";
            _rawScores["Score"] = new Member(features.Groups, features.Offsets, scale, weights, model.Bias);
        }

        private void AddCopy(ColumnCopyingTransformer copy)
        {
            foreach (var (output, input) in Pairs(copy))
            {
                if (input != _lastScore || !_rawScores.TryGetValue(input, out var member)) throw new NotSupportedException($"copy of {input}");
                Scores[output] = member;
            }
        }

        private static IEnumerable<ITransformer> Flatten(TransformerChain<ITransformer> chain) =>
            chain.SelectMany(t => t is TransformerChain<ITransformer> inner ? Flatten(inner) : [t]);

        private static (string Output, string[] Sources) Sources(ColumnConcatenatingTransformer concat) =>
            ((IReadOnlyCollection<(string, string[])>)Field(concat, "Columns")).Single();

        private static (string Output, string Input)[] Pairs(object transformer) =>
            ((ValueTuple<string, string>[])Field(transformer, "ColumnPairs")).Select(p => (p.Item1, p.Item2)).ToArray();

        private static object Field(object owner, string name)
        {
            for (var type = owner.GetType(); type is not null; type = type.BaseType)
            {
                if (type.GetField(name, Instance | BindingFlags.DeclaredOnly) is { } field) return field.GetValue(owner) ?? throw new NotSupportedException($"{name} is null");
                if (type.GetProperty(name, Instance | BindingFlags.DeclaredOnly) is { } property) return property.GetValue(owner) ?? throw new NotSupportedException($"{name} is null");
            }
            throw new NotSupportedException($"no member {name} on {owner.GetType().Name}");
        }
    }
}
