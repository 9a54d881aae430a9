using System.CommandLine;
using System.Text.RegularExpressions;
using MlopsExam.LoadTest;
using MlopsExam.Reports;
using MlopsExam.Training;

namespace MlopsExam.Tests.Tools;

/// <summary>
/// The command lines of the three tools: what the Makefile passes them parses, and --help lists
/// every command. Parsing only: nothing is trained, measured or queried.
/// </summary>
public sealed partial class CommandLineTests
{
    public static TheoryData<string> MakefileTools => new() { "MlopsExam.Training", "MlopsExam.LoadTest", "MlopsExam.Reports" };

    [Theory]
    [MemberData(nameof(MakefileTools))]
    public void Every_command_line_the_Makefile_passes_a_tool_parses_without_errors(string project)
    {
        var lines = MakefileInvocations(project);
        Assert.NotEmpty(lines);
        foreach (var arguments in lines)
        {
            var parse = RootCommandOf(project).Parse(arguments);
            Assert.True(parse.Errors.Count == 0,
                $"`{project} {string.Join(' ', arguments)}` (Makefile): {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public void Training_help_lists_every_command()
    {
        var help = Help(TrainingCommands.Create(), "--help");

        foreach (var command in new[] { "train", "bench", "explore", "weights", "cases" })
            Assert.Matches(new Regex($@"^\s+{command}\s", RegexOptions.Multiline), help);
    }

    [Fact]
    public void Training_options_reach_the_commands_as_given()
    {
        var root = TrainingCommands.Create();
        var parse = root.Parse(["bench", "--models", "elsewhere", "--runs", "3", "--json", "out.json"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("elsewhere", parse.GetValue<string>("--models"));
        Assert.Equal(3, parse.GetValue<int>("--runs"));
        Assert.Equal("out.json", parse.GetValue<string>("--json"));
        Assert.NotEmpty(root.Parse(["train", "--variant", "v3"]).Errors);
    }

    [Theory]
    [InlineData("none", new double[0])]
    [InlineData("0.5", new[] { 0.5 })]
    [InlineData("0.1,0.25,0.9", new[] { 0.1, 0.25, 0.9 })]
    public void Load_test_shares_are_a_comma_separated_list_or_none(string text, double[] expected)
    {
        var parse = LoadTestCommand.Create().Parse(["--shares", text]);

        Assert.Empty(parse.Errors);
        Assert.Equal(expected, parse.GetValue<double[]>("--shares"));
    }

    [Fact]
    public void Load_test_rejects_a_share_that_is_not_a_number()
    {
        Assert.NotEmpty(LoadTestCommand.Create().Parse(["--shares", "0.1,lots"]).Errors);
    }

    [Fact]
    public void Reports_ab_has_its_defaults()
    {
        var parse = new RootCommand { AbCommand.Create() }.Parse(["ab"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("http://127.0.0.1:9090", parse.GetValue<string>("--prometheus"));
        Assert.Equal(Path.Combine(".artifacts", "ab-report.png"), parse.GetValue<string>("--out"));
    }

    private static RootCommand RootCommandOf(string project) => project switch
    {
        "MlopsExam.Training" => TrainingCommands.Create(),
        "MlopsExam.LoadTest" => LoadTestCommand.Create(),
        "MlopsExam.Reports" => Reports(),
        _ => throw new ArgumentOutOfRangeException(nameof(project)),
    };

    private static RootCommand Reports()
    {
        var root = new RootCommand { AbCommand.Create() };
        foreach (var command in MlopsExam.Reports.Rollout.RolloutCommand.Create())
            root.Subcommands.Add(command);
        return root;
    }

    /// <summary>The arguments of each <c>dotnet run --project PROJECT ... -- ARGS</c> line of the Makefile,
    /// its variables replaced by sample values.</summary>
    private static List<string[]> MakefileInvocations(string project) =>
        File.ReadLines(RepoLayout.Path("Makefile"))
            .Select(line => DotnetRun().Match(line))
            .Where(m => m.Success && m.Groups["project"].Value == project)
            .Select(m => Words(MakeVariable().Replace(m.Groups["args"].Value, v => v.Groups[1].Value switch
            {
                "BENCH_RUNS" => "5",
                "LOADTEST_ARGS" => "--duration 20 --clients 32",
                "CHAOS_ARGS" => "--daemon-restart --within 45",
                "SOAK_MINUTES" => "10",
                "ROLLOUT_ARGS" => "--steps 5,50,100 --interval 15s --min-requests 20 --max-wait 2m --failure-limit 2 --max-p99-ms 300",
                "TRAIN_FEEDBACK_ARGS" => "--feedback /sample/feedback.tsv",
                var name => $"/sample/{name.ToLowerInvariant()}",
            })))
            .ToList();

    /// <summary>Words of a shell line: spaces separate, double quotes group.</summary>
    private static string[] Words(string line) =>
        [.. ShellWord().Matches(line).Select(m => m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Value)];

    private static string Help(RootCommand root, params string[] args)
    {
        var output = new StringWriter();
        root.Parse(args).Invoke(new InvocationConfiguration { Output = output });
        return output.ToString();
    }

    [GeneratedRegex(@"dotnet run --project (?<project>\S+) .*?-- ?(?<args>.*)$")]
    private static partial Regex DotnetRun();

    [GeneratedRegex(@"\$\((\w+)\)")]
    private static partial Regex MakeVariable();

    [GeneratedRegex(@"""(?<quoted>[^""]*)""|\S+")]
    private static partial Regex ShellWord();
}
