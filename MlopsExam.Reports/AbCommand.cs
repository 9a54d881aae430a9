using System.CommandLine;
using System.Text.Json;

namespace MlopsExam.Reports;

/// <summary><c>ab</c> (make ab-report): v1 against v2 from Prometheus, as a table here, a PNG and its figures as JSON.</summary>
internal static class AbCommand
{
    public static Command Create()
    {
        var prometheus = new Option<string>("--prometheus")
        {
            HelpName = "URL",
            Description = "Prometheus base URL (the stacks publish it on loopback only)",
            DefaultValueFactory = _ => "http://127.0.0.1:9090",
        };
        var output = new Option<string>("--out")
        {
            HelpName = "FILE.png",
            Description = "The picture; the figures go beside it as .json",
            DefaultValueFactory = _ => Path.Combine(".artifacts", "ab-report.png"),
        };
        var ab = new Command("ab", "v1 vs v2 over the last 5 minutes from Prometheus: a table, a PNG and its figures as JSON (make ab-report)")
        {
            prometheus, output,
        };
        ab.SetAction((parse, ct) => RunAsync(parse.GetValue(prometheus)!, parse.GetValue(output)!, ct));
        return ab;
    }

    private static async Task<int> RunAsync(string prometheus, string png, CancellationToken ct)
    {
        var prometheusUrl = prometheus.TrimEnd('/') + "/";
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

        AbChart.Save(report, png);
        var json = Path.ChangeExtension(png, ".json");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, AbReportJson.Options), ct);
        Console.WriteLine($"wrote {png} and {json}");
        return 0;
    }
}
