using System.CommandLine;
using MlopsExam.Reports;

// Reports drawn from a running stack; `--help` lists them, `ab --help` its options.
var root = new RootCommand("Reports drawn from a running stack") { AbCommand.Create() };
return await root.Parse(args).InvokeAsync();
