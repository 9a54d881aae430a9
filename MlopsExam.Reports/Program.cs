using System.Text.Json;
using MlopsExam.Reports;

// Reports drawn from a running stack. Commands:
//   ab [--prometheus URL] [--out FILE.png]   the A/B comparison (make ab-report)
const string usage = """
    usage: MlopsExam.Reports ab [--prometheus URL] [--out FILE.png]
      --prometheus  Prometheus base URL (default http://127.0.0.1:9090, the stacks publish it on loopback)
      --out         the picture (default .artifacts/ab-report.png); the figures go beside it as .json
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 64 : 0;
}
if (args[0] != "ab")
{
    Console.Error.WriteLine($"unknown command '{args[0]}'\n{usage}");
    return 64;
}

var options = new Dictionary<string, string> { ["--prometheus"] = "http://127.0.0.1:9090", ["--out"] = Path.Combine(".artifacts", "ab-report.png") };
for (var i = 1; i < args.Length; i += 2)
{
    if (!options.ContainsKey(args[i]) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"bad option '{args[i]}'\n{usage}");
        return 64;
    }
    options[args[i]] = args[i + 1];
}

var prometheusUrl = options["--prometheus"].TrimEnd('/') + "/";
using var http = new HttpClient { BaseAddress = new Uri(prometheusUrl), Timeout = TimeSpan.FromSeconds(10) };
AbReport report;
try
{
    report = await AbReport.QueryAsync(new PrometheusClient(http), prometheusUrl, DateTimeOffset.UtcNow);
}
catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or PrometheusException)
{
    Console.Error.WriteLine($"ab-report: cannot query Prometheus at {prometheusUrl}: {ex.Message}");
    Console.Error.WriteLine("Is a stack running (make up / make run)? --prometheus URL to point elsewhere.");
    return 1;
}

Console.Write(report.ToTable());
if (report.Variants.Count == 0)
{
    Console.Error.WriteLine("ab-report: no traffic in the window: send some requests (make predict, a load test) and try again.");
    return 1;
}

var png = options["--out"];
AbChart.Save(report, png);
var json = Path.ChangeExtension(png, ".json");
await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, AbReportJson.Options));
Console.WriteLine($"wrote {png} and {json}");
return 0;
