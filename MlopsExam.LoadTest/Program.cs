using System.Globalization;
using MlopsExam.LoadTest;

// make loadtest (LoadTestRun.cs says what it measures); `--help` lists the options.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

return await LoadTestCommand.Create().Parse(args).InvokeAsync();
