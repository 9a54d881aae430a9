using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// Development aid for choosing ensemble weights (the <c>weights</c> command): fits each member
/// once, keeps its logits on SST-2 dev, the uci-sls files and the capability cases judged by label
/// (minimum-functionality ones), then scores every weight vector of a small grid from those logits.
/// Never reads the test split. The chosen weights are then checked with <c>explore</c> on a real,
/// saved ensemble.
/// </summary>
internal static class WeightSearch
{
    public static void Run(Sst2Dataset data, IReadOnlyList<OutOfDomainSet> outOfDomain, int seed, float[] grid)
    {
        var l2 = float.Parse(Environment.GetEnvironmentVariable("L2") ?? "1", CultureInfo.InvariantCulture);
        Member[] Set() => [Members.NegatedNgramLr("a", 3, 4, l2), Members.LexLr("e", 3, 4, 3, 2, negatedChars: true, l2, lexScale: float.Parse(Environment.GetEnvironmentVariable("LEXSCALE") ?? "1", CultureInfo.InvariantCulture)), Members.NbLr("c", 2, 5, l2, negated: true)];
        var ml = new MLContext(seed);
        var minTokens = int.Parse(Environment.GetEnvironmentVariable("MINTOK") ?? "0", CultureInfo.InvariantCulture);
        var sst = data.Train.Where(r => r.Sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= minTokens).ToList();
        var aug = (Environment.GetEnvironmentVariable("AUG") ?? "3|1.5|not {p};never {p};no {p}").Split('|');
        var augmented = Sst2Dataset.ToDataView(ml, NegationAugmentation.Apply(sst, int.Parse(aug[0], CultureInfo.InvariantCulture),
            float.Parse(aug[1], CultureInfo.InvariantCulture), aug[2].Split(';')));
        var plainTrain = Sst2Dataset.ToDataView(ml, sst);

        var capabilities = CapabilitySuite.All.Where(c => c.Kind == CapabilityKind.Mft).ToList();
        var sets = new List<(string Name, IReadOnlyList<LabelledSentence> Rows)> { ("dev", data.Dev) };
        sets.AddRange(outOfDomain.Select(o => (o.Name, o.Rows)));
        sets.AddRange(capabilities.Select(c => (c.Name, (IReadOnlyList<LabelledSentence>)c.Cases.Select(x => new LabelledSentence(x.Text, x.Expected!.Value)).ToList())));
        var negated = sets.Select(s => s.Rows.Select(r => NegationScope.HasScope(TextNormalizer.Normalize(r.Sentence))).ToArray()).ToList();
        foreach (var (s, k) in sets.Select((s, k) => (s, k)))
            Console.WriteLine($"{s.Name}: {negated[k].Count(x => x)} of {s.Rows.Count} negated");

        // logits[member][set][row]: members 0..2 plain, 3..5 augmented
        var logits = new List<List<float[]>>();
        foreach (var (member, train) in Set().Select(m => (m, plainTrain)).Concat(Set().Select(m => (m, augmented))))
        {
            var fitted = member.Fit(ml, train);
            var perSet = new List<float[]>();
            foreach (var (_, rows) in sets)
            {
                var view = fitted.Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new SentimentInput { Sentence = TextNormalizer.Normalize(r.Sentence), Label = r.Label })));
                perSet.Add(view.GetColumn<float>(member.ScoreColumn).ToArray());
            }
            logits.Add(perSet);
            Console.WriteLine($"fitted {member.Name}");
        }

        // Non-negated rows: plain weights P; negated rows: weights G over plain+augmented (6).
        var results = new List<(float[] P, float[] G, double[] Acc)>();
        var plainGrid = Grid(3, grid).Where(w => w.Sum() > 0).ToList();
        var gatedGrid = Grid(6, [0f, 1f, 2f]).Where(w => w.Sum() > 0).ToList();
        foreach (var p in plainGrid)
            foreach (var g in gatedGrid)
            {
                var acc = new double[sets.Count];
                for (var s = 0; s < sets.Count; s++)
                {
                    var rows = sets[s].Rows;
                    var correct = 0;
                    for (var i = 0; i < rows.Count; i++)
                    {
                        double score = 0;
                        if (negated[s][i]) { for (var m = 0; m < 6; m++) score += g[m] / g.Sum() * logits[m][s][i]; }
                        else { for (var m = 0; m < 3; m++) score += p[m] / p.Sum() * logits[m][s][i]; }
                        if (score >= 0 == rows[i].Label) correct++;
                    }
                    acc[s] = (double)correct / rows.Count;
                }
                results.Add((p, g, acc));
            }

        var oodCount = outOfDomain.Count;
        string Line((float[] P, float[] G, double[] Acc) r) => string.Create(CultureInfo.InvariantCulture,
            $"p=[{string.Join(",", r.P)}] g=[{string.Join(",", r.G)}] dev {r.Acc[0]:P2} ood {string.Join(" ", r.Acc.Skip(1).Take(oodCount).Select(a => $"{a:P1}"))} mean {r.Acc.Skip(1).Take(oodCount).Average():P2} | fail% {string.Join(" ", capabilities.Select((c, k) => $"{c.Name[..Math.Min(9, c.Name.Length)]} {100 * (1 - r.Acc[1 + oodCount + k]):F0}"))}");
        bool Is(float[] w, params float[] v) => w.SequenceEqual(v);
        Console.WriteLine("current v2 (all augmented, equal): " + Line(results.First(r => Is(r.P, 1, 1, 1) && Is(r.G, 0, 0, 0, 1, 1, 1))));
        Console.WriteLine("all plain, equal: " + Line(results.First(r => Is(r.P, 1, 1, 1) && Is(r.G, 1, 1, 1, 0, 0, 0))));
        Console.WriteLine("plain equal, negated -> augmented equal: " + Line(results.First(r => Is(r.P, 1, 1, 1) && Is(r.G, 0, 0, 0, 1, 1, 1))));
        int negIdx = 1 + oodCount + capabilities.FindIndex(c => c.Name == "negated negative");
        int posIdx = 1 + oodCount + capabilities.FindIndex(c => c.Name == "negated positive");
        Console.WriteLine("best with both negation failure rates <= 20 %, by uci-sls mean + dev:");
        foreach (var r in results.Where(r => r.Acc[negIdx] >= 0.8 && r.Acc[posIdx] >= 0.8).OrderByDescending(r => r.Acc.Skip(1).Take(oodCount).Average() + r.Acc[0]).Take(25)) Console.WriteLine(Line(r));
        int Used((float[] P, float[] G, double[] Acc) r) => Enumerable.Range(0, 3).Count(m => r.P[m] > 0 || r.G[m] > 0) + Enumerable.Range(3, 3).Count(m => r.G[m] > 0);
        Console.WriteLine("best with both negation failure rates <= 20 % and at most 4 members:");
        foreach (var r in results.Where(r => r.Acc[negIdx] >= 0.8 && r.Acc[posIdx] >= 0.8 && Used(r) <= 4).OrderByDescending(r => r.Acc.Skip(1).Take(oodCount).Average() + r.Acc[0]).Take(12)) Console.WriteLine(Line(r));
        Console.WriteLine("best by uci-sls mean + dev, any negation:");
        foreach (var r in results.OrderByDescending(r => r.Acc.Skip(1).Take(oodCount).Average() + r.Acc[0]).Take(10)) Console.WriteLine(Line(r));
    }

    private static IEnumerable<float[]> Grid(int n, float[] values)
    {
        if (n == 0) { yield return []; yield break; }
        foreach (var head in values)
            foreach (var tail in Grid(n - 1, values))
                yield return [head, .. tail];
    }

}
