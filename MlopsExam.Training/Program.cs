using System.Globalization;
using MlopsExam.Model;
using MlopsExam.Training;

// Usage:
//   train [--data DIR] [--out DIR] [--variant v1|v2|all]   fit, save models/sentiment-<v>.zip + .metrics.json
//   bench [--data DIR] [--models DIR]                        accuracy and latency of the committed models
//   explore [--data DIR] [--only NAME]                       dev-only comparison of candidate pipelines
const int Seed = 20250601;

try
{
    var command = args.Length > 0 ? args[0] : "help";
    var options = ParseOptions(args.Skip(1).ToArray());
    var root = RepoLocator.FindRoot();
    var dataDir = options.TryGetValue("data", out var d) ? RepoLocator.Resolve(d, root) : RepoLocator.DefaultDataDir(root);
    var modelsDir = RepoLocator.Resolve(options.GetValueOrDefault("out") ?? options.GetValueOrDefault("models") ?? "models", root);

    switch (command)
    {
        case "train":
        {
            var variants = Variants.Select(options.GetValueOrDefault("variant") ?? "all");
            var data = Sst2Dataset.Load(dataDir);
            var trainer = new ModelTrainer(data, Seed);
            Console.WriteLine($"SST-2 from {dataDir}: {data.Train.Count} train, {data.Dev.Count} dev, {data.Test.Count} test; ML.NET {ModelTrainer.MlNetVersion}; seed {Seed}");
            foreach (var variant in variants)
            {
                Console.WriteLine($"[{variant.Name}] training {variant.ModelId}: {variant.Description}");
                var m = trainer.Train(variant, modelsDir);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{variant.Name}] {m.TrainingSeconds:F1}s, {m.ModelSizeBytes / 1024.0 / 1024.0:F2} MiB, sha256 {m.ModelSha256}\n" +
                    $"[{variant.Name}] dev  acc {m.Dev!.Accuracy:P2} macro-F1 {m.Dev.MacroF1:F4} AUC {m.Dev.Auc:F4}\n" +
                    $"[{variant.Name}] test acc {m.Test!.Accuracy:P2} macro-F1 {m.Test.MacroF1:F4} AUC {m.Test.Auc:F4}"));
            }
            return 0;
        }
        case "explore":
        {
            var data = Sst2Dataset.Load(dataDir);
            var trainer = new ModelTrainer(data, Seed);
            var only = options.GetValueOrDefault("only");
            foreach (var candidate in Candidates.All.Where(c => only is null || c.IdSuffix.Contains(only, StringComparison.Ordinal)))
            {
                var (dev, seconds, bytes) = trainer.Explore(candidate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{candidate.IdSuffix,-40} dev acc {dev.Accuracy:P2}  F1 {dev.MacroF1:F4}  AUC {dev.Auc:F4}  {seconds,6:F1}s  {bytes / 1024.0 / 1024.0,6:F2} MiB"));
            }
            return 0;
        }
        case "bench":
            Benchmark.Run(modelsDir, Sst2File.Read(Path.Combine(dataDir, "test.tsv")));
            return 0;
        default:
            Console.WriteLine("usage: MlopsExam.Training train [--data DIR] [--out DIR] [--variant v1|v2|all]\n" +
                              "       MlopsExam.Training bench [--data DIR] [--models DIR]\n" +
                              "       MlopsExam.Training explore [--data DIR] [--only NAME]");
            return command is "help" or "--help" or "-h" ? 0 : 2;
    }
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException or ModelIntegrityException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static Dictionary<string, string> ParseOptions(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            throw new ArgumentException($"Unexpected argument '{args[i]}': options are '--name value'.");
        options[args[i][2..]] = args[++i];
    }
    return options;
}
