using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using MlopsExam.Tests.Model;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>The in-process benchmarks' load and summary (<see cref="InProcessBenchmarks"/>).</summary>
internal static class InProcessLoad
{
    /// <summary>Answers to 16 concurrent request loops over <paramref name="duration"/>, each loop walking the
    /// sentences from its own offset; <paramref name="decorate"/> adds headers to the n-th request of a loop.</summary>
    public static async Task<long> RunAsync(HttpClient client, string[] sentences, TimeSpan duration, Action<HttpRequestMessage, int>? decorate = null)
    {
        long answered = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            var i = worker * (sentences.Length / 16);
            while (Stopwatch.GetTimestamp() < until)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = JsonContent.Create(new { sentence = sentences[i % sentences.Length] }) };
                decorate?.Invoke(request, i);
                i++;
                using var response = await client.SendAsync(request);
                response.EnsureSuccessStatusCode();
                Interlocked.Increment(ref answered);
            }
        }));
        return answered;
    }

    /// <summary>Each configuration warmed up (JIT, tiered compilation, engine pools), then loaded once per round for
    /// <paramref name="roundLength"/>, in alternating order; prints each one's requests/s and the ratio
    /// <paramref name="second"/>/<paramref name="first"/> of each round, as median [lowest - highest].</summary>
    public static async Task CompareAsync(ITestOutputHelper output, string first, HttpClient firstClient, string second, HttpClient secondClient,
        int rounds, TimeSpan roundLength, Action<HttpRequestMessage, int>? decorate = null)
    {
        var sentences = Sst2.Read("test").Select(r => r.Sentence).ToArray();
        var clients = new Dictionary<string, HttpClient> { [first] = firstClient, [second] = secondClient };
        var rates = new Dictionary<string, List<double>> { [first] = [], [second] = [] };
        foreach (var client in clients.Values)
            await RunAsync(client, sentences, TimeSpan.FromSeconds(8), decorate);

        for (var round = 0; round < rounds; round++)
            foreach (var name in round % 2 == 0 ? new[] { first, second } : [second, first])
                rates[name].Add(await RunAsync(clients[name], sentences, roundLength, decorate) / roundLength.TotalSeconds);

        foreach (var (name, values) in rates)
            output.WriteLine($"{name}: {Spread(values, "F0")} req/s (rounds {string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))})");
        output.WriteLine($"{second}/{first}: {Spread(rates[second].Zip(rates[first], (b, a) => b / a).ToList(), "F3")} (median [min - max] of the rounds' ratios)");
    }

    /// <summary>"median [lowest - highest]".</summary>
    public static string Spread(List<double> values, string format)
    {
        var sorted = values.Order().ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Count / 2].ToString(format, CultureInfo.InvariantCulture)} [{sorted[0].ToString(format, CultureInfo.InvariantCulture)} - {sorted[^1].ToString(format, CultureInfo.InvariantCulture)}]");
    }
}
