using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// The feedback loop on the compose stack, through the gateway: predictions logged, labels stored, exported, and
/// kept across a database restart and a stop/start of the whole stack; the database stopped, feedback is a 503
/// with Retry-After while predictions go on. Its own stack: it restarts and stops postgres.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class ComposeFeedbackTests(ComposeStack stack) : IClassFixture<ComposeStack>
{
    private static readonly TimeSpan ComposeTimeout = TimeSpan.FromMinutes(3);

    private static Task ComposeAsync(params string[] args) => DockerCli.RunCheckedAsync(["compose", .. args], ComposeTimeout);

    private static async Task<string> SqlAsync(string sql) =>
        (await DockerCli.RunCheckedAsync(["compose", "exec", "-T", "postgres", "psql", "-U", "postgres", "-d", "feedback", "-At", "-c", sql], ComposeTimeout)).Stdout;

    private async Task<(string RequestId, string Label)> PredictAsync(HttpClient client, string sentence)
    {
        using var request = stack.PredictRequest(GatewayStack.SentenceBody(sentence));
        using var response = await stack.SendPacedAsync(client, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (body.GetProperty("requestId").GetString()!, body.GetProperty("label").GetString()!);
    }

    private async Task<HttpResponseMessage> FeedbackAsync(HttpClient client, string requestId, string label)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(stack.HttpsBase, "/feedback"))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { requestId, label }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = stack.BasicAuth();
        return await stack.SendPacedAsync(client, request);
    }

    /// <summary>Sends a label until it is acknowledged (202), as a client following Retry-After would; at most 60 tries.</summary>
    private async Task AcknowledgedAsync(HttpClient client, string requestId, string label)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await FeedbackAsync(client, requestId, label);
            if (response.StatusCode == HttpStatusCode.Accepted) return;
            Assert.True(attempt < 60 && response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests,
                $"feedback for {requestId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Two_hundred_labels_are_exported_and_survive_a_postgres_restart_and_a_stack_restart_with_their_ids()
    {
        using var client = stack.CreateClient();
        var run = Guid.NewGuid().ToString("N")[..8];
        var expected = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var sentence = $"run {run} review {i}: {(i % 3 == 0 ? "a dull, tiresome film" : "a warm and funny film")}";
            var (id, served) = await PredictAsync(client, sentence);
            var truth = i % 2 == 0 ? served : served == "positive" ? "negative" : "positive";
            await AcknowledgedAsync(client, id, truth);
            expected.Add($"{sentence}\t{(truth == "positive" ? 1 : 0)}");
        }

        // The export: exactly these 200 rows (the volume may hold others from earlier runs of this test class).
        var file = Path.Combine(Path.GetTempPath(), $"feedback-{run}.tsv");
        try
        {
            var (code, output) = Shell.Run(RepoLayout.Path("scripts", "feedback-export.sh"), [file], TimeSpan.FromSeconds(60));
            Assert.True(code == 0, output);
            var lines = File.ReadAllLines(file);
            Assert.Equal("sentence\tlabel", lines[0]);
            Assert.Equal(expected, lines.Where(l => l.StartsWith($"run {run} ", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(file);
        }

        // Acknowledged rows survive a database restart and a stop/start of the whole stack, under the same ids.
        var before = await SqlAsync("SELECT id, request_id, label FROM feedback ORDER BY id");
        await ComposeAsync("restart", "postgres");
        await ComposeAsync("up", "--detach", "--wait", "--wait-timeout", "120", "postgres");
        Assert.Equal(before, await SqlAsync("SELECT id, request_id, label FROM feedback ORDER BY id"));
        await ComposeAsync("stop");
        await ComposeAsync("up", "--detach", "--wait", "--wait-timeout", "300");
        Assert.Equal(before, await SqlAsync("SELECT id, request_id, label FROM feedback ORDER BY id"));
        Assert.True(before.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 200, before);
    }

    [Fact]
    public async Task Database_stopped_predictions_go_on_feedback_is_503_with_Retry_After_and_accepted_once_it_is_back()
    {
        using var client = stack.CreateClient();
        var (id, served) = await PredictAsync(client, "a film I will remember");
        // Logged before the outage: the label is then only waiting for the database.
        for (var i = 0; i < 100 && (await SqlAsync($"SELECT count(*) FROM prediction_log WHERE request_id = '{id}'")).Trim() != "1"; i++)
            await Task.Delay(100);

        await ComposeAsync("stop", "postgres");
        try
        {
            for (var i = 0; i < 10; i++)
                await PredictAsync(client, $"served while the database is stopped {i}");
            using var refused = await FeedbackAsync(client, id, served);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await ComposeAsync("up", "--detach", "--wait", "--wait-timeout", "120", "postgres");
        }
        await AcknowledgedAsync(client, id, served);
        Assert.Equal(served, (await SqlAsync($"SELECT label FROM feedback WHERE request_id = '{id}'")).Trim());
    }
}
