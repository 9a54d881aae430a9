using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// Loads the committed models as the API does (<see cref="SentimentModel.Load"/>, sha256 checked)
/// and prints, side by side: accuracy on SST-2 test and on each uci-sls file, the capability
/// table (<see cref="CapabilitySuite"/>), and predict latency, single and batched, as the median
/// of several runs with their spread. v1 and v2 are measured alternately in each run, so both see
/// the same machine load and the v2/v1 ratio is taken within a run. Raw figures go to a JSON file.
/// A measurement, not a test: it asserts nothing.
/// </summary>
internal static class Benchmark
{
    private const int BatchSize = 64;
    private const int WarmupCalls = 300;

    public static void Run(string modelsDir, IReadOnlyList<LabelledSentence> test, IReadOnlyList<OutOfDomainSet> outOfDomain,
        int runs, string? jsonPath)
    {
        var models = new List<(string Name, SentimentModel Model, double LoadMs)>();
        foreach (var name in new[] { "v1", "v2" })
        {
            var path = Path.Combine(modelsDir, $"sentiment-{name}.zip");
            if (!File.Exists(path))
            {
                Console.WriteLine($"{name}: {path} not found, skipped (run 'make train').");
                continue;
            }
            var watch = Stopwatch.StartNew();
            var model = SentimentModel.Load(path);
            models.Add((name, model, watch.Elapsed.TotalMilliseconds));
        }
        if (models.Count == 0) return;
        var inv = CultureInfo.InvariantCulture;

        Console.WriteLine(string.Create(inv,
            $"MlopsExam bench: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {Environment.OSVersion}; " +
            $"latency: {runs} runs, each {test.Count} single Predict calls and {test.Count} sentences in PredictBatch({BatchSize}) per model, v1 and v2 alternating"));
        Console.WriteLine();

        // Accuracy.
        var accuracy = models.Select(m => (m.Name, Test: ModelEvaluator.Evaluate(m.Model, test),
            Ood: outOfDomain.Select(o => (o.Name, Metrics: ModelEvaluator.Evaluate(m.Model, o.Rows))).ToList())).ToList();
        var accuracyRows = new List<(string Label, double[] Values, string Format)>
        {
            ($"SST-2 test accuracy ({test.Count}) %", accuracy.Select(a => 100 * a.Test.Accuracy).ToArray(), "F2"),
            ("SST-2 test AUC", accuracy.Select(a => a.Test.Auc).ToArray(), "F4"),
        };
        foreach (var file in outOfDomain)
            accuracyRows.Add(($"uci-sls {file.Name} accuracy ({file.Rows.Count}) %", accuracy.Select(a => 100 * a.Ood.Single(o => o.Name == file.Name).Metrics.Accuracy).ToArray(), "F2"));
        if (outOfDomain.Count > 0)
            accuracyRows.Add(("uci-sls mean accuracy %", accuracy.Select(a => 100 * a.Ood.Average(o => o.Metrics.Accuracy)).ToArray(), "F2"));
        else
            Console.WriteLine("uci-sls not found (UCI_SLS_DIR or --ood DIR): out-of-domain accuracy not reported.");
        accuracyRows.Add(("model size (MiB)", models.Select(m => new FileInfo(m.Model.Path).Length / 1024.0 / 1024.0).ToArray(), "F2"));
        accuracyRows.Add(("load incl. sha256 (ms)", models.Select(m => m.LoadMs).ToArray(), "F0"));
        PrintTable("accuracy", models.Select(m => m.Name).ToList(), accuracyRows);

        // Capabilities.
        var capabilities = models.Select(m => CapabilitySuite.Run(m.Model)).ToList();
        Console.WriteLine();
        Console.WriteLine($"{"capability (failure rate %)",-30}{"kind",-8}{"cases",6}" + string.Concat(models.Select(m => $"{m.Name,10}")));
        for (var i = 0; i < CapabilitySuite.All.Count; i++)
        {
            var c = CapabilitySuite.All[i];
            Console.WriteLine($"{c.Name,-30}{c.Kind.ToString().ToUpperInvariant(),-8}{c.Cases.Count,6}" +
                string.Concat(capabilities.Select(r => (100 * r[i].FailureRate).ToString("F1", inv).PadLeft(10))));
        }

        // Latency: runs x models, alternating.
        var sentences = test.Select(r => r.Sentence).ToArray();
        foreach (var m in models) Warm(m.Model, sentences);
        var latency = models.ToDictionary(m => m.Name, _ => new List<Latency>());
        for (var run = 0; run < runs; run++)
            foreach (var m in run % 2 == 0 ? models : Enumerable.Reverse(models))
                latency[m.Name].Add(Measure(m.Model, sentences));

        Console.WriteLine();
        Console.WriteLine($"latency, median of {runs} runs [min - max]");
        var header = $"{"",-28}" + string.Concat(models.Select(m => $"{m.Name,26}")) + (models.Count == 2 ? $"{"v2/v1",22}" : "");
        Console.WriteLine(header);
        foreach (var (label, pick) in new (string, Func<Latency, double>)[]
                 {
                     ("single p50 (µs)", l => l.SingleP50), ("single p99 (µs)", l => l.SingleP99),
                     ("batched p50 (µs/sentence)", l => l.BatchP50), ("batched p99 (µs/sentence)", l => l.BatchP99),
                 })
        {
            var line = $"{label,-28}" + string.Concat(models.Select(m => Spread(latency[m.Name].Select(pick).ToList(), "F1").PadLeft(26)));
            if (models.Count == 2)
            {
                // Ratio within each run, then the median and spread of the ratios.
                var ratios = latency["v2"].Zip(latency["v1"], (b, a) => pick(b) / pick(a)).ToList();
                line += Spread(ratios, "F2").PadLeft(22);
            }
            Console.WriteLine(line);
        }
        foreach (var m in models)
            Console.WriteLine($"{m.Name}: {m.Model.ModelId} sha256 {m.Model.Sha256[..12]}…");

        if (jsonPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
            var raw = new
            {
                machine = new { cores = Environment.ProcessorCount, dotnet = Environment.Version.ToString(), os = Environment.OSVersion.ToString() },
                runs,
                models = models.Select((m, k) => new
                {
                    name = m.Name,
                    modelId = m.Model.ModelId,
                    sha256 = m.Model.Sha256,
                    loadMs = m.LoadMs,
                    test = accuracy[k].Test,
                    outOfDomain = accuracy[k].Ood.ToDictionary(o => o.Name, o => o.Metrics),
                    capabilities = capabilities[k].Select(r => new { name = r.Capability.Name, kind = r.Capability.Kind.ToString(), cases = r.Capability.Cases.Count, failures = r.Failures, examples = r.Examples }),
                    latencyRuns = latency[m.Name],
                }),
            };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(raw, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
            Console.WriteLine($"raw figures: {jsonPath}");
        }
    }

    public sealed record Latency(double SingleP50, double SingleP99, double BatchP50, double BatchP99);

    private static void Warm(SentimentModel model, string[] sentences)
    {
        // JIT, the engine pool, the first allocation of the featurisers' buffers.
        for (var i = 0; i < WarmupCalls; i++) model.Predict(sentences[i % sentences.Length]);
        model.PredictBatch(sentences.Take(BatchSize));
    }

    private static Latency Measure(SentimentModel model, string[] sentences)
    {
        var single = new double[sentences.Length];
        for (var i = 0; i < sentences.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            model.Predict(sentences[i]);
            single[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        // Per-sentence cost of a batch: each batch's time divided by its size.
        var batched = new List<double>();
        foreach (var chunk in sentences.Chunk(BatchSize))
        {
            var start = Stopwatch.GetTimestamp();
            model.PredictBatch(chunk);
            batched.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / chunk.Length);
        }
        return new Latency(Percentile(single, 0.50), Percentile(single, 0.99), Percentile(batched, 0.50), Percentile(batched, 0.99));
    }

    private static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        // Nearest-rank percentile.
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Spread(IReadOnlyList<double> values, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        return $"{Percentile(values, 0.5).ToString(format, inv)} [{values.Min().ToString(format, inv)} - {values.Max().ToString(format, inv)}]";
    }

    private static void PrintTable(string title, IReadOnlyList<string> names, IEnumerable<(string Label, double[] Values, string Format)> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{title,-36}" + string.Concat(names.Select(n => $"{n,10}")));
        foreach (var (label, values, format) in rows)
            Console.WriteLine($"{label,-36}" + string.Concat(values.Select(v => v.ToString(format, inv).PadLeft(10))));
    }
}
