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
        var rounds = new Option<int>("--rounds") { HelpName = "N", Description = "Rounds of (a), (b), (d) and (e), in alternating order; ratios are taken within a round and reported as median and spread", DefaultValueFactory = _ => 3 };
        var overload = new Option<bool>("--overload") { Description = "Instead: the gateway at 1x-10x its saturating connections and 1,000, and an open-loop rate of 1.5x its peak (make overload)" };
        var noPython = new Option<bool>("--no-python") { Description = "Skip (p), the Python solution (FastAPI + scikit-learn, 3 replicas) behind the bare nginx" };
        var noReference = new Option<bool>("--no-reference") { Description = "Skip (d), the bare nginx in front of the same replicas" };
        var repo = new Option<string?>("--repo") { HelpName = "DIR", Description = "The repository whose compose stack runs [default: the one around the working directory]" };
        var redraw = new Option<string?>("--redraw") { HelpName = "FILE.json", Description = "Print the table and draw the chart again from saved figures; nothing is measured" };

        var root = new RootCommand("make loadtest: the compose stack's gateway against its API replicas (direct), side by side; a table, JSON and a PNG in .artifacts/loadtest")
        {
            clients, duration, warmUp, shares, stackWarmUp, rounds, noReference, noPython, overload, repo, redraw,
        };
        root.Add(ChaosCommand());
        root.Add(SoakCommand());
        Options Read(ParseResult parse) => new(
            parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(duration)), TimeSpan.FromSeconds(parse.GetValue(warmUp)),
            parse.GetValue(shares)!, parse.GetValue(repo), TimeSpan.FromSeconds(parse.GetValue(stackWarmUp)),
            Reference: !parse.GetValue(noReference), Rounds: Math.Max(1, parse.GetValue(rounds)), Python: !parse.GetValue(noPython));
        root.SetAction(parse => parse.GetValue(redraw) is { } saved
            ? Task.FromResult(LoadTestRun.Redraw(saved))
            : parse.GetValue(overload) ? OverloadRun.RunAsync(Read(parse))
            : LoadTestRun.RunAsync(Read(parse)));
        return root;
    }

    /// <summary>make chaos (Reliability/ChaosRun.cs).</summary>
    private static Command ChaosCommand()
    {
        var within = Seconds("--within", "Longest wait for a killed container to be healthy again", 60);
        var daemon = new Option<bool>("--daemon-restart") { Description = "Also restart the Docker daemon (stops every container on the machine for a while)" };
        var repo = new Option<string?>("--repo") { HelpName = "DIR", Description = "The repository whose compose stack runs" };
        var command = new Command("chaos", "SIGKILL each kind of container of the running compose stack in turn under a steady client; table, JSON and PNG in .artifacts/chaos")
        {
            within, daemon, repo,
        };
        command.SetAction(parse => Reliability.ChaosRun.RunAsync(parse.GetValue(repo), TimeSpan.FromSeconds(parse.GetValue(within)), parse.GetValue(daemon)));
        return command;
    }

    /// <summary>make soak (Reliability/SoakRun.cs).</summary>
    private static Command SoakCommand()
    {
        var minutes = new Option<int>("--minutes") { HelpName = "N", Description = "Minutes of load, sampled at the end of each", DefaultValueFactory = _ => 30 };
        var share = new Option<double>("--share") { HelpName = "0..1", Description = "Offered load as a share of the gateway's measured capacity", DefaultValueFactory = _ => 0.5 };
        var repo = new Option<string?>("--repo") { HelpName = "DIR", Description = "The repository whose compose stack runs" };
        var command = new Command("soak", "Steady load on the running compose stack; memory, CPU, logs and Prometheus disk every minute; table, JSON and PNG in .artifacts/soak")
        {
            minutes, share, repo,
        };
        command.SetAction(parse =>
        {
            var (n, fraction) = (parse.GetValue(minutes), parse.GetValue(share));
            if (n is >= 1 and <= 24 * 60 && fraction is > 0 and <= 1)
                return Reliability.SoakRun.RunAsync(parse.GetValue(repo), n, fraction);
            Console.Error.WriteLine("--minutes takes 1 to 1440, --share a fraction in (0, 1].");
            return Task.FromResult(2);
        });
        return command;
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
