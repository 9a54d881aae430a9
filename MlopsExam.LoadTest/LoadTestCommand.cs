using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MlopsExam.LoadTest;

/// <summary>The command line of make loadtest (LOADTEST_ARGS): the run's size, or --redraw from saved figures.</summary>
internal static class LoadTestCommand
{
    public static RootCommand Create()
    {
        var clients = new Option<int>("--clients") { HelpName = "N", Description = "Concurrent streams of each h2load run", DefaultValueFactory = _ => 16 };
        var duration = Seconds("--duration", "Measured seconds of each run", 10);
        var warmUp = Seconds("--warm-up", "Discarded seconds before each run", 5);
        var stackWarmUp = Seconds("--stack-warm-up", "Discarded seconds at full speed on each path before the first run (JIT, pools, TLS sessions)", 30);
        var shares = new Option<double[]>("--shares")
        {
            HelpName = "0.1,0.25,...|none",
            Description = "Offered loads of the latency sweep (c), as fractions of the gateway's maximum; none skips the sweep",
            DefaultValueFactory = _ => [0.1, 0.25, 0.5, 0.75, 0.9],
            CustomParser = ParseShares,
            Arity = ArgumentArity.ExactlyOne,
        };
        var noReference = new Option<bool>("--no-reference") { Description = "Skip (d), the bare nginx in front of the same replicas" };
        var repo = new Option<string?>("--repo") { HelpName = "DIR", Description = "The repository whose compose stack runs [default: the one around the working directory]" };
        var redraw = new Option<string?>("--redraw") { HelpName = "FILE.json", Description = "Print the table and draw the chart again from saved figures; nothing is measured" };

        var root = new RootCommand("make loadtest: the compose stack's gateway against its API replicas (direct), side by side; a table, JSON and a PNG in .artifacts/loadtest")
        {
            clients, duration, warmUp, shares, stackWarmUp, noReference, repo, redraw,
        };
        root.SetAction(parse => parse.GetValue(redraw) is { } saved
            ? Task.FromResult(LoadTestRun.Redraw(saved))
            : LoadTestRun.RunAsync(new Options(
                parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(parse.GetValue(warmUp)),
                parse.GetValue(shares)!, parse.GetValue(repo), TimeSpan.FromSeconds(parse.GetValue(stackWarmUp)),
                Reference: !parse.GetValue(noReference))));
        return root;
    }

    // Parsed with the invariant culture that Program.cs sets before parsing.
    private static Option<double> Seconds(string name, string description, double seconds) => new(name)
    {
        HelpName = "SECONDS",
        Description = description,
        DefaultValueFactory = _ => seconds,
    };

    private static double[] ParseShares(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (text == "none") return [];
        var shares = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || share <= 0)
                return Error<double[]>(result, $"--shares takes positive fractions separated by commas, or none; '{part}' is not one.");
            shares.Add(share);
        }
        return [.. shares];
    }

    private static T Error<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
