using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.ML;
using MlopsExam.Api.Models;
using MlopsExam.Model;

namespace MlopsExam.Tests.Api;

/// <summary>
/// A replica switches models while it runs (MlopsExam.Api/Models): the selection file names a model
/// of the store; a good one is served from the next request on, a corrupt or altered one is refused
/// and the old one keeps answering; no request fails during a switch. Polls are driven by the test
/// (<see cref="ModelSelectionWatcher.Poll"/>), the timer being set to a minute.
/// </summary>
public sealed class ModelSwitchTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("mlopsexam-store-").FullName;
    private readonly ApiFactory _factory;

    public ModelSwitchTests()
    {
        foreach (var variant in new[] { "v1", "v2" })
            foreach (var file in new[] { $"sentiment-{variant}.zip", $"sentiment-{variant}.metrics.json" })
                File.Copy(RepoLayout.Path("models", file), Path.Combine(_store, file));
        Directory.CreateDirectory(Path.Combine(_store, "serving"));
        _factory = new ApiFactory("v1")
        {
            Configure = web =>
            {
                web.UseSetting("Serving:ModelPath", Path.Combine(_store, "sentiment-v1.zip"));
                web.UseSetting("Serving:SelectionFile", SelectionFile);
                web.UseSetting("Serving:ModelPollMilliseconds", "60000");
            },
        };
    }

    private string SelectionFile => Path.Combine(_store, "serving", "v1.model");

    private static string ModelIdOf(string variant) => ModelMetrics.Read(RepoLayout.Path("models", $"sentiment-{variant}.metrics.json")).ModelId;

    private void Select(string fileName) => File.WriteAllText(SelectionFile, fileName + "\n");

    private void Poll() => _factory.Services.GetRequiredService<ModelSelectionWatcher>().Poll();

    private async Task<(HttpStatusCode Status, string? ModelId, string? Version)> PredictAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/predict", new { sentence = "A gripping, beautifully acted film." });
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null, null);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode, body.GetProperty("modelId").GetString(), body.GetProperty("version").GetString());
    }

    [Fact]
    public async Task A_selected_model_is_served_by_the_next_request_and_counted()
    {
        var client = _factory.CreateClient();
        using var counters = new HostCounters(_factory, "sentiment.model.switches");
        Assert.Equal(ModelIdOf("v1"), (await PredictAsync(client)).ModelId);

        Select("sentiment-v2.zip");
        Poll();

        var answer = await PredictAsync(client);
        Assert.Equal(ModelIdOf("v2"), answer.ModelId);
        Assert.Equal("v1", answer.Version); // the variant is the replica's, the model is what changed
        Assert.Equal(1, counters.Sum("sentiment.model.switches", ("result", "ok")));

        // No selection: back to the configured model.
        File.Delete(SelectionFile);
        Poll();
        Assert.Equal(ModelIdOf("v1"), (await PredictAsync(client)).ModelId);
        Assert.Equal(2, counters.Sum("sentiment.model.switches", ("result", "ok")));
    }

    [Theory]
    [InlineData("sha256 mismatch")]
    [InlineData("corrupt zip, metrics match")]
    [InlineData("missing file")]
    [InlineData("loads, sha256 matches, cannot score")]
    public async Task A_model_that_fails_its_check_is_refused_and_the_old_one_keeps_answering(string fault)
    {
        var client = _factory.CreateClient();
        using var counters = new HostCounters(_factory, "sentiment.model.switches");
        var bad = Path.Combine(_store, "sentiment-bad.zip");
        var badMetrics = ModelMetrics.Read(Path.Combine(_store, "sentiment-v2.metrics.json")) with { ModelId = "sentiment-bad" };
        switch (fault)
        {
            case "sha256 mismatch":
                // A model that loads and answers (v1's file), under v2's recorded sha256: only the hash check catches it.
                File.Copy(Path.Combine(_store, "sentiment-v1.zip"), bad);
                badMetrics.Write(ModelMetrics.PathFor(bad));
                break;
            case "corrupt zip, metrics match":
                // Not a model at all, with a metrics file that records its true sha256: only the load and smoke test catch it.
                File.WriteAllText(bad, "this is not a zip file");
                (badMetrics with { ModelSha256 = SentimentModel.ComputeSha256(bad) }).Write(ModelMetrics.PathFor(bad));
                break;
            case "loads, sha256 matches, cannot score":
                // A true ML.NET model with its true sha256, but no classifier in it: only the smoke
                // sentences catch it, so a swap before them would serve it.
                SaveModelWithoutClassifier(bad);
                (badMetrics with { ModelSha256 = SentimentModel.ComputeSha256(bad) }).Write(ModelMetrics.PathFor(bad));
                break;
        }

        Select("sentiment-bad.zip");
        Poll();
        Poll(); // a refused selection is not tried again until something changes

        var answer = await PredictAsync(client);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(ModelIdOf("v1"), answer.ModelId);
        Assert.Equal(1, counters.Sum("sentiment.model.switches", ("result", "refused")));
        Assert.Equal(0, counters.Sum("sentiment.model.switches", ("result", "ok")));
    }

    /// <summary>A pipeline that reads the served schema and loads, but outputs no PredictedLabel or Probability.</summary>
    private static void SaveModelWithoutClassifier(string path)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(new[] { new SentimentInput { Sentence = "good", Label = true } });
        var transformer = ml.Transforms.CopyColumns("SentenceCopy", nameof(SentimentInput.Sentence)).Fit(data);
        ml.Model.Save(transformer, data.Schema, path);
    }

    [Fact]
    public async Task No_request_fails_while_models_switch_back_and_forth()
    {
        var client = _factory.CreateClient();
        var seen = new ConcurrentBag<(HttpStatusCode Status, string? ModelId)>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var answer = await PredictAsync(client);
                seen.Add((answer.Status, answer.ModelId));
            }
        })).ToArray();

        for (var i = 0; i < 6; i++)
        {
            Select(i % 2 == 0 ? "sentiment-v2.zip" : "sentiment-v1.zip");
            Poll();
            // Let requests run against the new model before the next switch.
            var before = seen.Count;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (seen.Count < before + 20 && DateTime.UtcNow < deadline) await Task.Delay(5);
        }
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.All(seen, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Equal([ModelIdOf("v1"), ModelIdOf("v2")], seen.Select(s => s.ModelId!).Distinct().Order(StringComparer.Ordinal));
    }

    public void Dispose()
    {
        _factory.Dispose();
        Directory.Delete(_store, recursive: true);
    }
}

/// <summary>Fault injection (Serving:FaultPercent, Serving:FaultDelayMs): off by default, by configuration only.</summary>
public sealed class FaultInjectionTests
{
    private static async Task<HttpStatusCode[]> StatusesAsync(ApiFactory factory, int count, bool askForFault = false)
    {
        var client = factory.CreateClient();
        var statuses = new HttpStatusCode[count];
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = JsonContent.Create(new { sentence = "good" }) };
            if (askForFault) request.Headers.Add("X-Fault-Percent", "100");
            using var response = await client.SendAsync(request);
            statuses[i] = response.StatusCode;
            if (response.StatusCode == HttpStatusCode.InternalServerError)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return statuses;
    }

    [Fact]
    public async Task Off_by_default_and_no_header_turns_it_on()
    {
        using var factory = new ApiFactory("v2", debugFields: true);
        Assert.All(await StatusesAsync(factory, 20, askForFault: true), s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task FaultPercent_answers_that_share_with_a_500_problem()
    {
        using var all = new ApiFactory("v2", debugFields: true) { Configure = web => web.UseSetting("Serving:FaultPercent", "100") };
        Assert.All(await StatusesAsync(all, 10), s => Assert.Equal(HttpStatusCode.InternalServerError, s));

        using var some = new ApiFactory("v2", debugFields: true) { Configure = web => web.UseSetting("Serving:FaultPercent", "50") };
        var statuses = await StatusesAsync(some, 200);
        // 50 % of 200: binomial, sd ~7; 60..140 is more than 5 sd either side.
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.InternalServerError), 60, 140);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.InternalServerError }));
    }
}
