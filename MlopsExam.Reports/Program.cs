using System.CommandLine;
using MlopsExam.Reports;
using MlopsExam.Reports.Rollout;

// Reports drawn from a running stack; `--help` lists them, `ab --help` its options.
var root = new RootCommand("Reports drawn from a running stack, and the rollout that acts on one") { AbCommand.Create() };
foreach (var command in RolloutCommand.Create())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
