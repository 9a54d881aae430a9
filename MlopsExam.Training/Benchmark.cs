using System.Diagnostics;
using System.Globalization;
using MlopsExam.Model;

namespace MlopsExam.Training;

/// <summary>
/// Loads the committed models as the API does (<see cref="SentimentModel.Load"/>, sha256 checked)
/// and prints, side by side, their test accuracy and their predict latency, single and batched.
/// A measurement, not a test: it asserts nothing.
/// </summary>
internal static class Benchmark
{
    private const int BatchSize = 64;
    private const int WarmupCalls = 300;
    private const int BatchedPasses = 5;

    public static void Run(string modelsDir, IReadOnlyList<LabelledSentence> test)
    {
        var names = new[] { "v1", "v2" };
        var results = new List<Result>();
        foreach (var name in names)
        {
            var path = Path.Combine(modelsDir, $"sentiment-{name}.zip");
            if (!File.Exists(path))
            {
                Console.WriteLine($"{name}: {path} not found, skipped (run 'make train').");
                continue;
            }
            var loadWatch = Stopwatch.StartNew();
            var model = SentimentModel.Load(path);
            loadWatch.Stop();
            results.Add(Measure(name, model, test, loadWatch.Elapsed.TotalMilliseconds));
        }
        Print(results, test.Count);
    }

    private sealed record Result(string Name, string ModelId, long Bytes, double LoadMs, SplitMetrics Test,
        double SingleP50Us, double SingleP99Us, double BatchP50Us, double BatchP99Us);

    private static Result Measure(string name, SentimentModel model, IReadOnlyList<LabelledSentence> test, double loadMs)
    {
        var sentences = test.Select(r => r.Sentence).ToArray();
        var metrics = ModelEvaluator.Evaluate(model, test);

        // Warm-up: JIT, the engine pool, the first allocation of the featurisers' buffers.
        for (var i = 0; i < WarmupCalls; i++) model.Predict(sentences[i % sentences.Length]);
        model.PredictBatch(sentences.Take(BatchSize));

        var single = new double[sentences.Length];
        for (var i = 0; i < sentences.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            model.Predict(sentences[i]);
            single[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        // Per-sentence cost of a batch: each batch's time divided by its size.
        var batched = new List<double>();
        for (var pass = 0; pass < BatchedPasses; pass++)
        {
            foreach (var chunk in sentences.Chunk(BatchSize))
            {
                var start = Stopwatch.GetTimestamp();
                model.PredictBatch(chunk);
                batched.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / chunk.Length);
            }
        }

        return new Result(name, model.ModelId, new FileInfo(model.Path).Length, loadMs, metrics,
            Percentile(single, 0.50), Percentile(single, 0.99), Percentile(batched, 0.50), Percentile(batched, 0.99));
    }

    private static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        // Nearest-rank percentile.
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static void Print(IReadOnlyList<Result> results, int testRows)
    {
        if (results.Count == 0) return;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv,
            $"SST-2 test: {testRows} sentences; single = Predict(string), batched = PredictBatch({BatchSize}) per sentence; " +
            $"{Environment.ProcessorCount} logical cores, .NET {Environment.Version}"));

        var rows = new (string Label, Func<Result, double> Value, string Format)[]
        {
            ("test accuracy (%)", r => 100 * r.Test.Accuracy, "F2"),
            ("test macro-F1", r => r.Test.MacroF1, "F4"),
            ("test AUC", r => r.Test.Auc, "F4"),
            ("model size (MiB)", r => r.Bytes / 1024.0 / 1024.0, "F2"),
            ("load time (ms)", r => r.LoadMs, "F0"),
            ("single p50 (µs)", r => r.SingleP50Us, "F1"),
            ("single p99 (µs)", r => r.SingleP99Us, "F1"),
            ("batched p50 (µs/sentence)", r => r.BatchP50Us, "F1"),
            ("batched p99 (µs/sentence)", r => r.BatchP99Us, "F1"),
        };

        var header = $"{"",-27}" + string.Concat(results.Select(r => $"{r.Name,12}")) + (results.Count == 2 ? $"{"v2/v1",10}" : "");
        Console.WriteLine(header);
        foreach (var (label, value, format) in rows)
        {
            var line = $"{label,-27}" + string.Concat(results.Select(r => value(r).ToString(format, inv).PadLeft(12)));
            if (results.Count == 2)
                line += (value(results[1]) / value(results[0])).ToString("F2", inv).PadLeft(10);
            Console.WriteLine(line);
        }
        foreach (var r in results)
            Console.WriteLine($"{r.Name}: {r.ModelId}");
    }
}
