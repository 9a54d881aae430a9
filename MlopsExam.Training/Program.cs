using MlopsExam.Training;

// make train, make bench and the development-only comparisons; `--help` lists the commands,
// `<command> --help` their options.
return TrainingCommands.Create().Parse(args).Invoke();
