using System.Globalization;
using System.Text.Json;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

// make loadtest: the gateway's throughput and latency against the API's own, side by side, in one run.
//
//   (a) direct    h2load inside each api-v1 replica's network namespace -> http://127.0.0.1:8080/predict
//                 (plain HTTP, the three replicas loaded at once, figures pooled)
//   (b) gateway   h2load inside the gateway's namespace -> https://127.0.0.1:443/predict with the
//                 production configuration (TLS, basic auth, access log, balancing over 3 replicas),
//                 HTTP/1.1 keep-alive and HTTP/2
//   (d) reference  the same replicas behind a minimal nginx (same image, no auth, logs, limits or
//                 maps), plain HTTP and TLS: what any nginx hop costs on this machine
//   (c) fixed rate, a sweep of offered loads up to the gateway's maximum, direct and through the
//                 gateway at the same rates: latency against load (the PNG)
//
// The gateway's rate limit is lifted for the run only (the gateway is recreated with
// RATE_LIMIT_RPS/RATE_LIMIT_BURST raised, then recreated again with the stack's own values).
// Any non-2xx answer or transport error fails the run that saw it, and the command exits 1.

/// <summary>What one run of make loadtest is asked to do (LoadTestCommand reads it from the command line).</summary>
internal sealed record Options(int Clients, TimeSpan Duration, TimeSpan WarmUp, double[] Shares, string? RepoRoot, TimeSpan StackWarmUp, bool Reference, int Rounds = 3, bool Python = true);

/// <summary>The scenarios above, in order, then the table, the JSON figures and the chart.</summary>
internal static class LoadTestRun
{
    private static readonly JsonSerializerOptions Serializer = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The table and the picture again from saved figures, nothing measured.</summary>
    public static int Redraw(string saved)
    {
        var again = JsonSerializer.Deserialize<LoadTestReport>(File.ReadAllText(saved), Serializer)!;
        // Figures saved before rounds existed: their full-speed runs are one round.
        if (again.Runs.All(r => r.Round == 0))
            again = again with { Runs = [.. again.Runs.Select(r => r.OfferedRps is null ? r with { Round = 1 } : r)] };
        Report.PrintTable(again);
        var picture = Path.ChangeExtension(saved, ".png");
        Chart.Draw(again, picture);
        Console.WriteLine($"chart:   {picture}");
        return 0;
    }

    public static async Task<int> RunAsync(Options options)
    {
        var repoRoot = options.RepoRoot ?? RepoRoot.Find();
        var stack = new Stack(repoRoot);
        var outDir = Path.Combine(repoRoot, ".artifacts", "loadtest");
        Directory.CreateDirectory(outDir);

        var gateway = (await stack.ContainersAsync("gateway")).SingleOrDefault()
            ?? throw new InvalidOperationException("The compose stack is not running: `make up` first.");
        var replicas = await stack.ContainersAsync("api-v1");
        if (replicas.Count == 0) throw new InvalidOperationException("No api-v1 replica is running: `make up` first.");

        var body = Path.Combine(outDir, "body.json");
        File.WriteAllText(body, """{"sentence": "A gripping, beautifully acted film, though the ending drags a little."}""");
        var json = "content-type: application/json";
        var auth = $"authorization: {stack.BasicAuthHeader()}";

        Console.WriteLine($"make loadtest: {Environment.ProcessorCount} CPUs, {Machine.Describe()}");
        Console.WriteLine($"  tool: {Machine.H2LoadVersion()}; {options.Clients} concurrent streams; {options.Duration.TotalSeconds:0} s per run after {options.WarmUp.TotalSeconds:0} s warm-up");
        Console.WriteLine($"  stack: gateway + {replicas.Count} x api-v1 (compose project in {repoRoot})");
        Console.WriteLine("  lifting the gateway's rate limit for this run ...");

        var runs = new List<RunReport>();
        PayloadLogCounters? logBefore = null, logDuring = null;
        var dockerd = HostProcess.Find("dockerd");
        try
        {
            await stack.RecreateGatewayAsync(new Dictionary<string, string?>
            {
                ["RATE_LIMIT_RPS"] = "1000000",
                ["RATE_LIMIT_BURST"] = "1000000",
            });
            gateway = (await stack.ContainersAsync("gateway")).Single();
            var watched = new Watched(gateway, replicas, await stack.ContainersAsync("api-v2"), await stack.ContainersAsync("postgres"),
                await stack.ContainersAsync("dashboard"), dockerd);

            // Replicas and nginx fresh from `make up` serve far less than they do a minute later (tiered JIT,
            // dynamic PGO, GC budgets settling), so both paths get a discarded run of StackWarmUp seconds
            // at full speed first.
            if (options.StackWarmUp > TimeSpan.Zero)
            {
                Console.WriteLine($"  warming the replicas and the gateway up ({options.StackWarmUp.TotalSeconds:0} s each, not measured) ...");
                var warm = options with { Duration = options.StackWarmUp, WarmUp = TimeSpan.Zero };
                await Scenario.DirectAsync("warm-up direct", replicas, warm, json, body, null, watched, outDir, quiet: true);
                await Scenario.GatewayAsync("warm-up gateway", gateway, http2: false, warm, [json, auth], body, null, watched, outDir, quiet: true);
            }

            // (a), (b), (d) and (e) at full speed, in rounds: the machine's speed drifts (other tenants,
            // frequency, the page cache), so one run per path cannot carry a ratio. Each round runs
            // every path once, odd rounds in one order and even rounds in the other, and each ratio is
            // taken within a round; the report gives its median and spread over the rounds.
            // (d) and (e): the same replicas behind an nginx without the gateway's features, then
            // with one feature at a time (ReferenceProxy.cs).
            var reference = options.Reference ? await ReferenceProxy.TryStartAsync(stack, gateway, replicas, outDir, options.Python) : null;
            await using (reference)
            {
                var paths = new List<Func<Task<RunReport>>>
                {
                    () => Scenario.DirectAsync("a direct h1", replicas, options, json, body, null, watched, outDir),
                    () => Scenario.GatewayAsync("b gateway h1", gateway, http2: false, options, [json, auth], body, null, watched, outDir),
                    () => Scenario.GatewayAsync("b gateway h2", gateway, http2: true, options, [json, auth], body, null, watched, outDir),
                };
                if (reference is not null)
                {
                    var behindReference = watched.InFrontOf(reference.Container);
                    await Scenario.GatewayAsync("warm-up reference", reference.Container, http2: false, options with { Duration = TimeSpan.FromSeconds(5) },
                        [json], body, null, behindReference, outDir, quiet: true, url: ReferenceProxy.PlainUrl, target: "bare nginx");
                    paths.Add(() => Scenario.GatewayAsync("d nginx plain h1", reference.Container, http2: false, options, [json], body, null,
                        behindReference, outDir, url: ReferenceProxy.PlainUrl, target: "bare nginx"));
                    paths.Add(() => Scenario.GatewayAsync("d nginx TLS h1", reference.Container, http2: false, options, [json], body, null,
                        behindReference, outDir, url: ReferenceProxy.TlsUrl, target: "bare nginx"));
                    if (reference.Python is not null)
                    {
                        await Scenario.GatewayAsync("warm-up Python", reference.Container, http2: false, options with { Duration = TimeSpan.FromSeconds(5) },
                            [json], body, null, behindReference, outDir, quiet: true, url: PythonSolution.Url, target: "Python");
                        paths.Add(() => Scenario.GatewayAsync(PythonSolution.Name, reference.Container, http2: false, options, [json], body, null,
                            behindReference, outDir, url: PythonSolution.Url, target: "3 x Python"));
                    }
                    foreach (var feature in ReferenceProxy.Features)
                    {
                        IReadOnlyList<string> headers = feature.Port == ReferenceProxy.Features[0].Port ? [json, reference.AuthHeader] : [json];
                        paths.Add(() => Scenario.GatewayAsync(feature.Name, reference.Container, http2: false, options, headers, body, null,
                            behindReference, outDir, url: feature.Url, target: "nginx + 1"));
                    }
                }

                logBefore = await PayloadLogCounters.ReadAsync(replicas);
                for (var round = 1; round <= options.Rounds; round++)
                {
                    Console.WriteLine($"  round {round} of {options.Rounds}{(round % 2 == 0 ? " (reverse order)" : "")}");
                    foreach (var path in round % 2 == 1 ? paths : Enumerable.Reverse(paths))
                        runs.Add((await path()) with { Round = round });
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1)); // the last batch gathered (PayloadLog:FlushIntervalMs) is written
            logDuring = await PayloadLogCounters.ReadAsync(replicas) is { } after && logBefore is not null ? after - logBefore : null;

            // (c) offered-load sweep, direct and through the gateway at the same rates.
            var max = Math.Max(1, Rounds.Median(runs, "b gateway h1").Figures.RequestsPerSecond);
            foreach (var share in options.Shares)
            {
                var rate = Math.Round(max * share / 10) * 10;
                runs.Add(await Scenario.DirectAsync($"c direct @{share:P0}", replicas, options, json, body, rate, watched, outDir));
                runs.Add(await Scenario.GatewayAsync($"c gateway @{share:P0}", gateway, http2: false, options, [json, auth], body, rate, watched, outDir));
            }
        }
        finally
        {
            Console.WriteLine("  restoring the gateway's own rate limit ...");
            await stack.RecreateGatewayAsync(new Dictionary<string, string?>());
        }

        var report = new LoadTestReport(DateTimeOffset.UtcNow, Environment.ProcessorCount, Machine.Describe(), Machine.H2LoadVersion(),
            options.Clients, options.Duration.TotalSeconds, runs, logDuring);
        Report.PrintTable(report);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var jsonPath = Path.Combine(outDir, "loadtest.json");
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, Serializer));
        File.Copy(jsonPath, Path.Combine(outDir, $"loadtest-{stamp}.json"), overwrite: true);
        var png = Path.Combine(outDir, "loadtest.png");
        Chart.Draw(report, png);
        Console.WriteLine();
        Console.WriteLine($"figures: {jsonPath}");
        Console.WriteLine($"chart:   {png}");

        var failed = runs.Where(r => !r.Figures.Clean).ToList();
        if (failed.Count > 0)
        {
            Console.WriteLine($"FAILED: {string.Join(", ", failed.Select(r => r.Round > 0 ? $"{r.Name} (round {r.Round})" : r.Name).Distinct())} had non-2xx answers or errors.");
            return 1;
        }
        return 0;
    }
}
