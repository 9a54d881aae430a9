using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MlopsExam.Api.PayloadLog;
using MlopsExam.Tests.Infrastructure;
using MlopsExam.Tests.Infrastructure.Generators;
using Npgsql;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>The API in-process with a real PostgreSQL (<see cref="LocalPostgres"/>): payload log and feedback.</summary>
public sealed class FeedbackFixture : IDisposable
{
    public LocalPostgres Postgres { get; } = new();

    public FeedbackFixture()
    {
        Database = Postgres.CreateDatabase();
        Api = Create(logSentences: true);
    }

    public string Database { get; }
    public ApiFactory Api { get; }

    public ApiFactory Create(bool logSentences, string variant = "v1") => new(variant)
    {
        Configure = builder =>
        {
            builder.UseSetting("ConnectionStrings:postgres", Postgres.ConnectionString(Database));
            builder.UseSetting("PayloadLog:FeedbackWaitMs", "300");
            builder.UseSetting("PayloadLog:BatchSize", "50");
            builder.UseSetting("Serving:LogSentences", logSentences ? "true" : "false");
        },
    };

    public void Dispose()
    {
        Api.Dispose();
        Postgres.Dispose();
    }
}

public sealed class FeedbackTests(FeedbackFixture fixture, ITestOutputHelper output) : IClassFixture<FeedbackFixture>
{
    internal static async Task<(string RequestId, string Label, string Variant)> PredictAsync(HttpClient client, string sentence, string? clientKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = JsonContent.Create(new { sentence }) };
        var id = Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-Id", id);
        if (clientKey is not null) request.Headers.Add("X-Client-Key", clientKey);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("requestId").GetString());
        return (id, body.GetProperty("label").GetString()!, body.GetProperty("version").GetString()!);
    }

    internal static Task<HttpResponseMessage> FeedbackAsync(HttpClient client, string requestId, string label) =>
        client.PostAsJsonAsync("/feedback", new { requestId, label });

    private long Count(string sql) => long.Parse(fixture.Postgres.Psql(fixture.Database, "-At", "-c", sql).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Waits (bounded) until the payload log holds <paramref name="rows"/> rows matching <paramref name="where"/>.</summary>
    private async Task<long> WaitForRowsAsync(string where, long rows)
    {
        long count = 0;
        for (var i = 0; i < 200 && (count = Count($"SELECT count(*) FROM prediction_log WHERE {where}")) < rows; i++)
            await Task.Delay(50);
        return count;
    }

    [Fact]
    public async Task Feedback_is_202_once_committed_idempotent_for_the_same_label_and_409_for_another()
    {
        var client = fixture.Api.CreateClient();
        var (id, label, _) = await PredictAsync(client, "a wonderful, moving film");

        using var first = await FeedbackAsync(client, id, "positive");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        // Committed before the answer: the row is there the moment 202 arrives.
        Assert.Equal(1, Count($"SELECT count(*) FROM feedback WHERE request_id = '{id}' AND label = 'positive'"));
        Assert.False((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());

        using var again = await FeedbackAsync(client, id, "positive");
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());

        using var other = await FeedbackAsync(client, id, "negative");
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, Count($"SELECT count(*) FROM feedback WHERE request_id = '{id}'"));
        output.WriteLine($"served {label}; feedback positive stored once");
    }

    [Fact]
    public async Task Feedback_for_an_unknown_request_is_a_404_problem()
    {
        using var response = await FeedbackAsync(fixture.Api.CreateClient(), "no-such-request-" + Guid.NewGuid(), "negative");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_answer_is_logged_with_its_variant_model_label_and_client_key()
    {
        var client = fixture.Api.CreateClient();
        var answers = new List<(string Id, string Label)>();
        for (var i = 0; i < 30; i++)
        {
            var (id, label, _) = await PredictAsync(client, $"sentence number {i} was {(i % 2 == 0 ? "great" : "awful")}", clientKey: "client-7");
            answers.Add((id, label));
        }
        var ids = string.Join(',', answers.Select(a => $"'{a.Id}'"));
        Assert.Equal(30, await WaitForRowsAsync($"request_id IN ({ids})", 30));
        var rows = fixture.Postgres.Psql(fixture.Database, "-At", "-F", "|", "-c",
            $"SELECT request_id, label, variant, shadow, client_key, sentence IS NOT NULL, length(sentence_sha256), model_id <> '' FROM prediction_log WHERE request_id IN ({ids})");
        var byId = rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Split('|')).ToDictionary(r => r[0]);
        foreach (var (id, label) in answers)
            Assert.Equal([id, label, "v1", "f", "client-7", "t", "64", "t"], byId[id]);
    }

    [Fact]
    public async Task With_LogSentences_false_only_the_sha256_of_the_sentence_is_stored()
    {
        using var api = fixture.Create(logSentences: false);
        const string sentence = "a private sentence that must not be stored";
        var (id, _, _) = await PredictAsync(api.CreateClient(), sentence);
        Assert.Equal(1, await WaitForRowsAsync($"request_id = '{id}'", 1));
        var row = fixture.Postgres.Psql(fixture.Database, "-At", "-F", "|", "-c",
            $"SELECT coalesce(sentence, '<null>'), sentence_sha256 FROM prediction_log WHERE request_id = '{id}'").Trim();
        Assert.Equal($"<null>|{PredictionRecord.Sha256Hex(sentence)}", row);
    }

    [Fact]
    public async Task The_schema_is_created_once_when_replicas_start_together_and_again_is_a_no_op()
    {
        var database = fixture.Postgres.CreateDatabase();
        var options = new PayloadLogOptions();
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:postgres"] = fixture.Postgres.ConnectionString(database) }).Build();
        var replicas = Enumerable.Range(0, 4).Select(_ => PayloadLogDatabase.Create(config, options)!).ToList();
        await Task.WhenAll(replicas.Select(r => r.EnsureSchemaAsync(CancellationToken.None)));
        await using var later = PayloadLogDatabase.Create(config, options)!;
        await later.EnsureSchemaAsync(CancellationToken.None);
        foreach (var r in replicas) await r.DisposeAsync();
        Assert.Equal($"{PayloadLogDatabase.Migrations.Length}", fixture.Postgres.Psql(database, "-At", "-c", "SELECT count(*) FROM schema_migrations").Trim());
        // Migration 2: the request id by a hash index (equality only), the age by BRIN (insertion order); no B-tree left on either.
        var indexes = fixture.Postgres.Psql(database, "-At", "-c", "SELECT indexdef FROM pg_indexes WHERE tablename = 'prediction_log' ORDER BY indexname");
        Assert.Contains("USING hash (request_id)", indexes);
        Assert.Contains("USING brin (logged_at)", indexes);
        Assert.DoesNotContain("USING btree (request_id)", indexes);
        Assert.DoesNotContain("USING btree (logged_at)", indexes);
    }

    [Fact]
    public async Task Retention_deletes_old_predictions_without_feedback_and_keeps_labelled_ones()
    {
        var client = fixture.Api.CreateClient();
        var (oldWithout, _, _) = await PredictAsync(client, "old and unlabelled");
        var (oldWith, _, _) = await PredictAsync(client, "old but labelled");
        var (recent, _, _) = await PredictAsync(client, "recent");
        Assert.Equal(3, await WaitForRowsAsync($"request_id IN ('{oldWithout}','{oldWith}','{recent}')", 3));
        using (var f = await FeedbackAsync(client, oldWith, "positive")) Assert.Equal(HttpStatusCode.Accepted, f.StatusCode);
        fixture.Postgres.Psql(fixture.Database, "-c",
            $"UPDATE prediction_log SET logged_at = now() - interval '31 days' WHERE request_id IN ('{oldWithout}','{oldWith}')");

        var writer = fixture.Api.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<PayloadLogWriter>().Single();
        await writer.RetentionAsync(CancellationToken.None, force: true);

        Assert.Equal(0, Count($"SELECT count(*) FROM prediction_log WHERE request_id = '{oldWithout}'"));
        Assert.Equal(1, Count($"SELECT count(*) FROM prediction_log WHERE request_id = '{oldWith}'"));
        Assert.Equal(1, Count($"SELECT count(*) FROM prediction_log WHERE request_id = '{recent}'"));
    }

    /// <summary>200 answers, a label for each (the true one half the time): the export has those 200 rows with
    /// the labels sent, and the accuracy the rows give equals the one the test counts.</summary>
    [Fact]
    public async Task The_export_has_every_labelled_sentence_in_SST2_format()
    {
        var database = fixture.Postgres.CreateDatabase();
        var local = new FeedbackFixtureView(fixture, database);
        using var api = local.Create();
        var client = api.CreateClient();
        var expected = new List<(string Sentence, int Label)>();
        var correct = 0;
        for (var i = 0; i < 200; i++)
        {
            var sentence = $"review {i}: {(i % 3 == 0 ? "dull and\tlong" : "a joy to watch")}";
            var (id, served, _) = await PredictAsync(client, sentence);
            var truth = i % 2 == 0 ? served : served == "positive" ? "negative" : "positive";
            if (truth == served) correct++;
            // The row is written asynchronously: feedback waits for it (FeedbackWaitMs), else 404.
            HttpResponseMessage response;
            var attempts = 0;
            while ((response = await FeedbackAsync(client, id, truth)).StatusCode == HttpStatusCode.NotFound && attempts++ < 20)
                response.Dispose();
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            response.Dispose();
            expected.Add((sentence.Replace('\t', ' '), truth == "positive" ? 1 : 0));
        }

        var file = Path.Combine(Path.GetTempPath(), $"feedback-{Guid.NewGuid():N}.tsv");
        try
        {
            var psql = $"psql -h 127.0.0.1 -p {fixture.Postgres.Port} -U postgres -d {database}";
            var (code, text) = Shell.Run(RepoLayout.Path("scripts", "feedback-export.sh"), [file], TimeSpan.FromSeconds(60),
                environment: new Dictionary<string, string> { ["PSQL"] = psql });
            Assert.True(code == 0, text);
            var lines = File.ReadAllLines(file);
            Assert.Equal("sentence\tlabel", lines[0]);
            var rows = lines.Skip(1).Select(l => l.Split('\t')).Select(c => (c[0], int.Parse(c[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(expected, rows);
            Assert.Equal(100, correct);
            var accuracy = long.Parse(fixture.Postgres.Psql(database, "-At", "-c",
                "SELECT count(*) FILTER (WHERE f.label = p.label) FROM feedback f JOIN prediction_log p ON p.request_id = f.request_id AND NOT p.shadow").Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(correct, accuracy);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class FeedbackFixtureView(FeedbackFixture fixture, string database)
    {
        public ApiFactory Create() => new("v1")
        {
            Configure = builder =>
            {
                builder.UseSetting("ConnectionStrings:postgres", fixture.Postgres.ConnectionString(database));
                builder.UseSetting("PayloadLog:FeedbackWaitMs", "2000");
            },
        };
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_feedback_its_body_and_every_answer()
    {
        var document = await fixture.Api.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var post = document.GetProperty("paths").GetProperty("/feedback").GetProperty("post");
        var statuses = post.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order().ToList();
        Assert.Equal(["202", "400", "401", "404", "409", "413", "415", "429", "503"], statuses);
        var body = document.GetProperty("components").GetProperty("schemas").GetProperty("FeedbackRequest").GetProperty("properties");
        Assert.Equal(["positive", "negative"], body.GetProperty("label").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.True(post.GetProperty("requestBody").GetProperty("required").GetBoolean());
    }

    /// <summary>Generated bodies (those of /predict's generator and feedback-shaped ones) never get a 5xx from
    /// /feedback, and every error is problem+json.</summary>
    [Fact]
    public async Task No_generated_feedback_request_gets_a_5xx_and_every_error_is_a_problem()
    {
        var client = fixture.Api.CreateClient();
        var feedbackBodies = Gen.Select(JsonValue, JsonValue, Gen.Int[0, 3]).Select((id, label, shape) => shape switch
        {
            0 => $"{{\"requestId\":{id},\"label\":{label}}}",
            1 => $"{{\"requestId\":{id}}}",
            2 => $"{{\"requestId\":{id},\"label\":{label},\"label\":{label}}}",
            _ => $"{{\"label\":{label},\"requestId\":{id},\"x\":[{id}]}}",
        }).Select(body => new GeneratedRequest("feedback-shaped", "POST", "application/json", Encoding.UTF8.GetBytes(body), false, null));
        var requests = Gen.Frequency((1, RequestGen.Request), (1, feedbackBodies));
        var iterations = long.TryParse(Environment.GetEnvironmentVariable("CsCheck_Iter"), out var n) ? n : 1500;
        await requests.SampleAsync(async request =>
        {
            using var message = request.ToHttpRequest(new Uri(client.BaseAddress!, "/feedback"));
            using var response = await client.SendAsync(message);
            var answer = await AnswerRules.ReadAsync(response, request.Method);
            AnswerRules.NotAServerError(answer, request);
            AnswerRules.ErrorIsAProblem(answer, request);
        }, output.WriteLine, iter: iterations, print: r => r.ToString());
    }

    private static readonly Gen<string> JsonValue = Gen.Frequency(
        (4, Gen.OneOf("\"positive\"", "\"negative\"", "\"Positive\"", "\"\"", "\" \"", "\"\\ud800\"", "\"\\u0000\"", "\"neutral\"")),
        (3, RequestGen.AnyUtf16.Select(s => RequestGen.Json(s, escapeNonAscii: true))),
        (2, Gen.OneOf("null", "true", "1", "1e999", "[]", "{}", "[\"positive\"]", "{\"a\":1}")),
        (1, Gen.Int[100, 5000].Select(k => RequestGen.Json(new string('x', k)))));
}

/// <summary>The database stopped, then back: predictions go on (200), feedback is 503 with Retry-After and, resent
/// after the restart, accepted; the payload log counts what it dropped. Its own server: it stops it.</summary>
public sealed class FeedbackOutageTests : IDisposable
{
    private readonly FeedbackFixture _fixture = new();

    [Fact]
    public async Task Database_down_predict_answers_feedback_is_503_with_Retry_After_and_resent_feedback_is_accepted()
    {
        var client = _fixture.Api.CreateClient();
        var (before, _, _) = await FeedbackTests.PredictAsync(client, "logged before the outage");
        // Logged (the schema is created by the writer's first batch): feedback can be given for it.
        for (var i = 0; i < 200 && !Logged(before); i++)
            await Task.Delay(50);
        Assert.True(Logged(before));

        _fixture.Postgres.Stop();
        try
        {
            for (var i = 0; i < 20; i++)
                await FeedbackTests.PredictAsync(client, $"served while the database is down {i}");
            using var refused = await FeedbackTests.FeedbackAsync(client, before, "negative");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        }
        finally
        {
            _fixture.Postgres.Start();
        }

        using var resent = await FeedbackTests.FeedbackAsync(client, before, "negative");
        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        Assert.Equal("1", _fixture.Postgres.Psql(_fixture.Database, "-At", "-c", $"SELECT count(*) FROM feedback WHERE request_id = '{before}'").Trim());
    }

    private bool Logged(string requestId)
    {
        try
        {
            return _fixture.Postgres.Psql(_fixture.Database, "-At", "-c", $"SELECT count(*) FROM prediction_log WHERE request_id = '{requestId}'").Trim() == "1";
        }
        catch (InvalidOperationException)
        {
            return false; // no table yet
        }
    }

    public void Dispose() => _fixture.Dispose();
}
