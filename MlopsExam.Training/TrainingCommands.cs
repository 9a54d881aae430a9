using System.CommandLine;
using System.Globalization;
using MlopsExam.Model;
using MlopsExam.Tooling;

namespace MlopsExam.Training;

/// <summary>
/// The commands of the training tool: <c>train</c> (make train) and <c>bench</c> (make bench),
/// and the development-only comparisons that chose the committed pipelines (<c>explore</c>,
/// <c>weights</c>, <c>cases</c>). Relative folders are read from the working directory when they
/// exist there, else under the repository root.
/// </summary>
internal static class TrainingCommands
{
    /// <summary>The seed of every fit, so that make train rebuilds the committed models byte for byte.</summary>
    public const int Seed = 20250601;

    private static readonly Option<string?> Data = new("--data")
    {
        HelpName = "DIR",
        Description = "SST-2 (train.tsv, dev.tsv, test.tsv) [default: SST2_DIR, else ../shared/data/sst2 beside the repository]",
    };

    private static readonly Option<string?> OutOfDomainData = new("--ood")
    {
        HelpName = "DIR",
        Description = "UCI Sentiment Labelled Sentences, measured and never trained on [default: UCI_SLS_DIR, else ../shared/data/uci-sls]",
    };

    private static readonly Option<string?> Feedback = new("--feedback")
    {
        HelpName = "FILE",
        Description = "Extra training rows in SST-2's format (make feedback-export); without it training is SST-2 alone, byte for byte reproducible",
    };

    public static RootCommand Create()
    {
        var output = ModelsOption("--out", "--models", "Where the models and their metrics files are written");
        var variants = new Option<string>("--variant") { HelpName = "v1|v2|all", Description = "Which variant to train", DefaultValueFactory = _ => "all" };
        variants.AcceptOnlyFromAmong([.. Variants.All.Select(v => v.Name), "all"]);
        var train = new Command("train", "Fit v1 and v2 on SST-2 train; write models/sentiment-<v>.zip and .metrics.json (make train)")
        {
            Data, OutOfDomainData, output, variants, Feedback,
        };
        train.SetAction(parse => Guarded(() => Train(parse, parse.GetValue(output)!, parse.GetValue(variants)!)));

        var models = ModelsOption("--models", "--out", "Where the committed models are");
        var runs = new Option<int>("--runs") { HelpName = "N", Description = "Latency runs (the table gives their median and spread)", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { HelpName = "FILE", Description = "Raw figures [default: .artifacts/bench.json]" };
        var bench = new Command("bench", "v1 vs v2: accuracy (SST-2 test, each uci-sls file), capability table, latency (make bench)")
        {
            Data, OutOfDomainData, models, runs, json,
        };
        bench.SetAction(parse => Guarded(() => Bench(parse, parse.GetValue(models)!, parse.GetValue(runs), parse.GetValue(json))));

        var only = new Option<string?>("--only") { HelpName = "NAME", Description = "Only the candidates whose name contains NAME" };
        var explore = new Command("explore", "Development only: candidate pipelines compared on SST-2 dev, uci-sls and the capabilities")
        {
            Data, OutOfDomainData, only,
        };
        explore.SetAction(parse => Guarded(() => Explore(parse, parse.GetValue(only))));

        var weights = new Command("weights", "Development only: a grid over v2's gated member weights (SST-2 dev, uci-sls, capabilities)")
        {
            Data, OutOfDomainData,
        };
        weights.SetAction(parse => Guarded(() =>
        {
            var root = RepoRoot.Find();
            WeightSearch.Run(Sst2Dataset.Load(DataDir(parse, root)), LoadOutOfDomain(parse, root), Seed, [0f, 1f, 2f, 3f]);
            return 0;
        }));

        var caseModels = ModelsOption("--models", "--out", "Where the committed models are");
        var caseVariant = new Option<string>("--variant") { HelpName = "NAME", Description = "The model, models/sentiment-NAME.zip", DefaultValueFactory = _ => "v2" };
        var capability = new Option<string>("--capability") { HelpName = "NAME", Description = "A capability of the bench table", DefaultValueFactory = _ => "negated negative" };
        var cases = new Command("cases", "Every case of one capability with the model's p(positive), for reading failures by template")
        {
            caseModels, caseVariant, capability,
        };
        cases.SetAction(parse => Guarded(() => Cases(parse.GetValue(caseModels)!, parse.GetValue(caseVariant)!, parse.GetValue(capability)!)));

        return new RootCommand("MlopsExam's sentiment models: train the committed ones, measure them, compare candidates.")
        {
            train, bench, explore, weights, cases,
        };
    }

    private static int Train(ParseResult parse, string output, string variants)
    {
        var root = RepoRoot.Find();
        var dataDir = DataDir(parse, root);
        var data = Sst2Dataset.Load(dataDir);
        if (parse.GetValue(Feedback) is { Length: > 0 } feedback)
        {
            var trainRows = data.Train.Count;
            data = data.WithFeedback(RepoRoot.Resolve(feedback, root));
            Console.WriteLine($"feedback: {data.Train.Count - trainRows} rows from {feedback} appended to SST-2 train");
        }
        var trainer = new ModelTrainer(data, Seed, LoadOutOfDomain(parse, root));
        var modelsDir = RepoRoot.Resolve(output, root);
        Console.WriteLine($"SST-2 from {dataDir}: {data.Train.Count} train, {data.Dev.Count} dev, {data.Test.Count} test; ML.NET {ModelTrainer.MlNetVersion}; seed {Seed}");
        foreach (var variant in Variants.Select(variants))
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

    private static int Bench(ParseResult parse, string models, int runs, string? json)
    {
        var root = RepoRoot.Find();
        Benchmark.Run(RepoRoot.Resolve(models, root), Sst2File.Read(Path.Combine(DataDir(parse, root), "test.tsv")), LoadOutOfDomain(parse, root),
            runs, json ?? Path.Combine(root, ".artifacts", "bench.json"));
        return 0;
    }

    private static int Explore(ParseResult parse, string? only)
    {
        var root = RepoRoot.Find();
        var trainer = new ModelTrainer(Sst2Dataset.Load(DataDir(parse, root)), Seed, LoadOutOfDomain(parse, root));
        foreach (var candidate in Candidates.All.Where(c => only is null || c.IdSuffix.Contains(only, StringComparison.Ordinal)))
        {
            var e = trainer.Explore(candidate);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{candidate.IdSuffix,-28} dev {e.Dev.Accuracy:P2} AUC {e.Dev.Auc:F4} | uci-sls {string.Join(" ", e.OutOfDomain.Select(kv => $"{kv.Key[..3]} {kv.Value.Accuracy:P1}"))} mean {(e.OutOfDomain.Count > 0 ? e.OutOfDomainMean : 0):P2} | " +
                $"fail% {string.Join(" ", e.Capabilities.Select(r => $"{Abbreviate(r.Capability.Name)} {100 * r.FailureRate:F0}"))} | {e.Seconds,5:F1}s {e.Bytes / 1024.0 / 1024.0,5:F2} MiB {e.SingleP50Us,5:F0}µs"));
        }
        return 0;
    }

    private static int Cases(string models, string variant, string capabilityName)
    {
        var model = SentimentModel.Load(Path.Combine(RepoRoot.Resolve(models, RepoRoot.Find()), $"sentiment-{variant}.zip"));
        var capability = CapabilitySuite.All.SingleOrDefault(c => c.Name == capabilityName)
            ?? throw new ArgumentException($"Unknown capability '{capabilityName}': expected one of {string.Join(", ", CapabilitySuite.All.Select(c => $"'{c.Name}'"))}.");
        foreach (var c in capability.Cases)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model.Predict(c.Text).PositiveProbability:F3}\t{c.Expected}\t{c.Text}"));
        return 0;
    }

    private static Option<string> ModelsOption(string name, string alias, string description) =>
        new(name, alias) { HelpName = "DIR", Description = description, DefaultValueFactory = _ => "models" };

    private static string DataDir(ParseResult parse, string root) =>
        parse.GetValue(Data) is { } dir ? RepoRoot.Resolve(dir, root) : RepoRoot.SharedData(root, "sst2", "SST2_DIR");

    private static IReadOnlyList<OutOfDomainSet> LoadOutOfDomain(ParseResult parse, string root) =>
        OutOfDomain.Load(parse.GetValue(OutOfDomainData) is { } dir ? RepoRoot.Resolve(dir, root) : RepoRoot.SharedData(root, "uci-sls", "UCI_SLS_DIR"));

    private static string Abbreviate(string capability) =>
        string.Concat(capability.Split(' ', '(').Where(w => w.Length > 0).Select(w => w[..Math.Min(3, w.Length)]));

    /// <summary>Missing or unreadable data, a bad value, an altered model: one line on stderr and exit code 1, no stack trace.</summary>
    private static int Guarded(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException or ModelIntegrityException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
