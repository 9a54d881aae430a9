using System.Globalization;
using MlopsExam.Model;
using MlopsExam.Tooling;
using MlopsExam.Training;

// Usage:
//   train [--data DIR] [--out DIR] [--variant v1|v2|all]   fit, save models/sentiment-<v>.zip + .metrics.json
//   bench [--data DIR] [--models DIR] [--ood DIR] [--runs N] [--json FILE]
//                                                            accuracy (SST-2 test, each uci-sls file), capabilities, latency
//   explore [--data DIR] [--ood DIR] [--only NAME]           dev-only comparison of candidate pipelines (SST-2 dev + uci-sls)
//   cases [--models DIR] [--variant v2] [--capability NAME]  each case of a capability with the model's p(positive)
//   weights [--data DIR] [--ood DIR]                         dev-only grid over v2's gated member weights (SST-2 dev + uci-sls + capabilities)
const int Seed = 20250601;

try
{
    var command = args.Length > 0 ? args[0] : "help";
    var options = ParseOptions(args.Skip(1).ToArray());
    var root = RepoRoot.Find();
    var dataDir = options.TryGetValue("data", out var d) ? RepoRoot.Resolve(d, root) : RepoRoot.SharedData(root, "sst2", "SST2_DIR");
    var modelsDir = RepoRoot.Resolve(options.GetValueOrDefault("out") ?? options.GetValueOrDefault("models") ?? "models", root);
    // Out-of-domain development data (never trained on): reported in metrics files, bench and explore.
    var outOfDomain = OutOfDomain.Load(options.TryGetValue("ood", out var o) ? RepoRoot.Resolve(o, root) : RepoRoot.SharedData(root, "uci-sls", "UCI_SLS_DIR"));

    switch (command)
    {
        case "train":
        {
            var variants = Variants.Select(options.GetValueOrDefault("variant") ?? "all");
            var data = Sst2Dataset.Load(dataDir);
            var trainer = new ModelTrainer(data, Seed, outOfDomain);
            Console.WriteLine($"SST-2 from {dataDir}: {data.Train.Count} train, {data.Dev.Count} dev, {data.Test.Count} test; ML.NET {ModelTrainer.MlNetVersion}; seed {Seed}");
            foreach (var variant in variants)
            {
                Console.WriteLine($"[{variant.Name}] training {variant.ModelId}: {variant.Description}");
                var m = trainer.Train(variant, modelsDir);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{variant.Name}] {m.TrainingSeconds:F1}s, {m.ModelSizeBytes / 1024.0 / 1024.0:F2} MiB, sha256 {m.ModelSha256}\n" +
                    $"[{variant.Name}] dev  acc {m.Dev!.Accuracy:P2} macro-F1 {m.Dev.MacroF1:F4} AUC {m.Dev.Auc:F4}\n" +
                    $"[{variant.Name}] test acc {m.Test!.Accuracy:P2} macro-F1 {m.Test.MacroF1:F4} AUC {m.Test.Auc:F4}"));
                if (m.OutOfDomain is { Count: > 0 } ood)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{variant.Name}] uci-sls {string.Join("  ", ood.Select(kv => $"{kv.Key} {kv.Value.Accuracy:P2}"))}  mean {ood.Values.Average(v => v.Accuracy):P2}"));
            }
            return 0;
        }
        case "explore":
        {
            var data = Sst2Dataset.Load(dataDir);
            var trainer = new ModelTrainer(data, Seed, outOfDomain);
            var only = options.GetValueOrDefault("only");
            foreach (var candidate in Candidates.All.Where(c => only is null || c.IdSuffix.Contains(only, StringComparison.Ordinal)))
            {
                var e = trainer.Explore(candidate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{candidate.IdSuffix,-28} dev {e.Dev.Accuracy:P2} AUC {e.Dev.Auc:F4} | uci-sls {string.Join(" ", e.OutOfDomain.Select(kv => $"{kv.Key[..3]} {kv.Value.Accuracy:P1}"))} mean {(e.OutOfDomain.Count > 0 ? e.OutOfDomainMean : 0):P2} | " +
                    $"fail% {string.Join(" ", e.Capabilities.Select(r => $"{Abbreviate(r.Capability.Name)} {100 * r.FailureRate:F0}"))} | {e.Seconds,5:F1}s {e.Bytes / 1024.0 / 1024.0,5:F2} MiB {e.SingleP50Us,5:F0}µs"));
            }
            return 0;
        }
        case "cases":
        {
            // Every case of one capability with v2's (or --variant's) probability, for reading failures by template.
            var model = SentimentModel.Load(Path.Combine(modelsDir, $"sentiment-{options.GetValueOrDefault("variant") ?? "v2"}.zip"));
            var capability = CapabilitySuite.All.Single(c => c.Name == (options.GetValueOrDefault("capability") ?? "negated negative"));
            foreach (var c in capability.Cases)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model.Predict(c.Text).PositiveProbability:F3}\t{c.Expected}\t{c.Text}"));
            return 0;
        }
        case "weights":
            WeightSearch.Run(Sst2Dataset.Load(dataDir), outOfDomain, Seed, [0f, 1f, 2f, 3f]);
            return 0;
        case "bench":
            Benchmark.Run(modelsDir, Sst2File.Read(Path.Combine(dataDir, "test.tsv")), outOfDomain,
                int.Parse(options.GetValueOrDefault("runs") ?? "5", CultureInfo.InvariantCulture),
                options.TryGetValue("json", out var json) ? json : Path.Combine(root, ".artifacts", "bench.json"));
            return 0;
        default:
            Console.WriteLine("usage: MlopsExam.Training train [--data DIR] [--out DIR] [--variant v1|v2|all]\n" +
                              "       MlopsExam.Training bench [--data DIR] [--models DIR] [--ood DIR] [--runs N] [--json FILE]\n" +
                              "       MlopsExam.Training explore [--data DIR] [--ood DIR] [--only NAME]\n" +
                              "       MlopsExam.Training weights [--data DIR] [--ood DIR]");
            return command is "help" or "--help" or "-h" ? 0 : 2;
    }
}
catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException or ModelIntegrityException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static string Abbreviate(string capability) => string.Concat(capability.Split(' ', '(').Where(w => w.Length > 0).Select(w => w[..Math.Min(3, w.Length)]));

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
