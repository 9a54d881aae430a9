using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using MlopsExam.Api.Serving;
using MlopsExam.Api.Shadow;

namespace MlopsExam.Tests.Api;

/// <summary>
/// Shadow traffic in-process: a v1 replica copies the requests marked <c>X-Shadow: 1</c> to a v2
/// (a real in-process v2, or a stub standing for a slow, failing or stopped one). The client's
/// answer comes from v1 alone; copies are counted on both sides.
/// </summary>
public sealed class ShadowTrafficTests(ShadowTrafficTests.V2Fixture v2) : IClassFixture<ShadowTrafficTests.V2Fixture>
{
    /// <summary>One real v2 for the class; tests read its counters as differences.</summary>
    public sealed class V2Fixture : IDisposable
    {
        public const string Replica = "api-v2-shadow-test";
        public LogCapture Logs { get; } = new();
        public ApiFactory Factory { get; }
        public HostCounters Counters { get; }

        public V2Fixture()
        {
            Factory = new ApiFactory("v2")
            {
                Configure = b =>
                {
                    b.UseSetting("Serving:InstanceId", Replica);
                    b.ConfigureLogging(l => l.AddProvider(Logs));
                },
            };
            Counters = new HostCounters(Factory, ShadowPredictions, Predictions);
        }

        public void Dispose()
        {
            Counters.Dispose();
            Factory.Dispose();
        }
    }

    private const string Copies = "sentiment.shadow.copies";
    private const string ShadowPredictions = "sentiment.shadow.predictions";
    private const string Predictions = "sentiment.predictions";

    private static readonly string[] Sentences =
    [
        "What a wonderful, heartfelt movie.",
        "A boring, clumsy and lifeless film.",
        "It's not good.",
        "The plot is thin but the acting is superb.",
        "I expected more.",
        "Not bad at all.",
        "An utterly forgettable, if harmless, comedy.",
        "The director's best work in years, though too long.",
    ];

    /// <summary>A v1 replica named <paramref name="replica"/> that copies marked requests to
    /// <paramref name="shadowUrl"/>, through <paramref name="v2Handler"/> when given.</summary>
    private static ApiFactory V1(string replica, HttpMessageHandler? v2Handler, string shadowUrl = "http://api-v2",
        params (string Key, string Value)[] settings) => new("v1")
        {
            Configure = b =>
            {
                b.UseSetting("Serving:InstanceId", replica);
                b.UseSetting("Serving:ShadowUrl", shadowUrl);
                foreach (var (key, value) in settings)
                    b.UseSetting(key, value);
                if (v2Handler is not null)
                    b.ConfigureServices(s => s.AddHttpClient(ShadowSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => v2Handler));
            },
        };

    private static HttpRequestMessage Predict(string sentence, string requestId, bool shadow = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = JsonContent.Create(new { sentence }) };
        request.Headers.Add("X-Request-Id", requestId);
        if (shadow)
            request.Headers.Add(ShadowQueue.Header, "1");
        return request;
    }

    private static HttpClient Client(ApiFactory factory)
    {
        var client = factory.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }

    private static HostCounters CopyCounters(ApiFactory v1) => new(v1, Copies);

    [Fact]
    public async Task Answers_are_unchanged_with_shadowing_on_and_v2_records_each_copy_with_its_request_id()
    {
        var stub = StubV2.Forwarding(v2.Factory);
        using var shadowing = V1("api-v1-shadow-on", stub);
        using var plain = new ApiFactory("v1") { Configure = b => b.UseSetting("Serving:InstanceId", "api-v1-shadow-on") };
        using var copies = CopyCounters(shadowing);
        using var plainCopies = CopyCounters(plain);
        var agreeBefore = v2.Counters.Sum(ShadowPredictions, ("agreement", "agree"));
        var disagreeBefore = v2.Counters.Sum(ShadowPredictions, ("agreement", "disagree"));

        var ids = Sentences.Select((_, i) => $"shadow-same-{i}-{Guid.NewGuid():N}").ToArray();
        var servedLabels = new Dictionary<string, string>();
        for (var i = 0; i < Sentences.Length; i++)
        {
            using var withShadow = await Client(shadowing).SendAsync(Predict(Sentences[i], ids[i]));
            using var without = await Client(plain).SendAsync(Predict(Sentences[i], ids[i]));

            Assert.Equal(HttpStatusCode.OK, withShadow.StatusCode);
            Assert.Equal(without.StatusCode, withShadow.StatusCode);
            var body = await withShadow.Content.ReadAsStringAsync();
            Assert.Equal(await without.Content.ReadAsStringAsync(), body); // v1's answer, byte for byte
            Assert.Equal("api-v1-shadow-on", withShadow.Headers.GetValues("X-Instance-Id").Single());
            servedLabels[ids[i]] = JsonDocument.Parse(body).RootElement.GetProperty("label").GetString()!;
        }

        // Every copy delivered, once, with its request id and the label the client was served.
        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Sent)) == Sentences.Length, $"{Sentences.Length} copies sent");
        Assert.Equal(ids.Order(), stub.Received.Select(r => r.RequestId).Order());
        foreach (var (requestId, body) in stub.Received)
            Assert.Equal(servedLabels[requestId], JsonDocument.Parse(body).RootElement.GetProperty("servedLabel").GetString());
        Assert.Equal(0, copies.Sum(Copies) - copies.Sum(Copies, ("outcome", ShadowOutcome.Sent)));
        // The replica without ShadowUrl answered the marked requests and counted them as not copied.
        Assert.Equal(Sentences.Length, plainCopies.Sum(Copies, ("outcome", ShadowOutcome.Unconfigured)));
        Assert.Equal(Sentences.Length, plainCopies.Sum(Copies));

        // v2 logged and counted each copy, agreeing exactly where its own /predict gives v1's label.
        var expectedAgree = 0;
        foreach (var (requestId, sentence) in ids.Zip(Sentences))
        {
            using var own = await Client(v2.Factory).PostAsJsonAsync("/predict", new { sentence });
            var v2Label = JsonDocument.Parse(await own.Content.ReadAsStringAsync()).RootElement.GetProperty("label").GetString();
            var agree = v2Label == servedLabels[requestId];
            if (agree) expectedAgree++;
            Assert.Contains(v2.Logs.Lines, l => l.StartsWith(
                $"shadow request_id={requestId} v1_label={servedLabels[requestId]} v2_label={v2Label} agree={agree}", StringComparison.Ordinal));
        }
        Assert.Equal(expectedAgree, v2.Counters.Sum(ShadowPredictions, ("agreement", "agree")) - agreeBefore);
        Assert.Equal(Sentences.Length - expectedAgree, v2.Counters.Sum(ShadowPredictions, ("agreement", "disagree")) - disagreeBefore);
    }

    [Fact]
    public async Task Unmarked_requests_are_not_copied()
    {
        var stub = StubV2.Answering(HttpStatusCode.OK);
        using var v1 = V1("api-v1-unmarked", stub);
        using var copies = CopyCounters(v1);

        for (var i = 0; i < 3; i++)
            (await Client(v1).SendAsync(Predict("good", $"unmarked-{i}", shadow: false))).EnsureSuccessStatusCode();
        using var other = Predict("good", "other-value");
        other.Headers.Remove(ShadowQueue.Header);
        other.Headers.Add(ShadowQueue.Header, "yes"); // only "1" marks a request
        (await Client(v1).SendAsync(other)).EnsureSuccessStatusCode();
        // A marked one last: the queue is first in, first out, so once it is sent nothing else was queued.
        (await Client(v1).SendAsync(Predict("good", "marked"))).EnsureSuccessStatusCode();

        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Sent)) == 1, "the marked copy sent");
        Assert.Equal(["marked"], stub.Received.Select(r => r.RequestId));
        Assert.Equal(1, copies.Sum(Copies));
    }

    [Fact]
    public async Task A_v2_that_does_not_answer_does_not_hold_the_client()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stub = StubV2.Blocking(gate.Task);
        // A design that waited for v2 would hold each answer for up to 30 s (or until the gate opens).
        using var v1 = V1("api-v1-v2-blocked", stub, settings: [("Serving:ShadowTimeoutMs", "30000"), ("Serving:ShadowConcurrency", "1")]);
        using var copies = CopyCounters(v1);

        for (var i = 0; i < 10; i++)
        {
            using var response = await Client(v1).SendAsync(Predict(Sentences[i % Sentences.Length], $"blocked-{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // Every answer arrived while v2 had answered no copy at all (the first one is stuck in it).
        Assert.False(gate.Task.IsCompleted);
        // The background sender may not have taken the first copy yet on a busy machine.
        Assert.True(SpinWait.SpinUntil(() => stub.Entered >= 1, TimeSpan.FromSeconds(10)), "the first copy should be waiting in v2");
        Assert.Equal(0, copies.Sum(Copies));

        gate.SetResult();
        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Sent)) == 10, "10 copies sent once v2 answers");
    }

    [Fact]
    public async Task A_stopped_v2_costs_the_client_nothing_and_each_copy_counts_as_failed()
    {
        // A loopback port nobody listens on: connections are refused, as to a stopped container.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var v1 = V1("api-v1-v2-stopped", v2Handler: null, shadowUrl: $"http://127.0.0.1:{port}");
        using var reference = new ApiFactory("v1") { Configure = b => b.UseSetting("Serving:InstanceId", "api-v1-v2-stopped") };
        using var copies = CopyCounters(v1);

        for (var i = 0; i < Sentences.Length; i++)
        {
            using var response = await Client(v1).SendAsync(Predict(Sentences[i], $"stopped-{i}"));
            using var expected = await Client(reference).SendAsync(Predict(Sentences[i], $"stopped-{i}", shadow: false));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(await expected.Content.ReadAsStringAsync(), await response.Content.ReadAsStringAsync());
        }

        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Failed)) == Sentences.Length, "every copy counted as failed");
        Assert.Equal(Sentences.Length, copies.Sum(Copies));
    }

    [Fact]
    public async Task A_failing_v2_gets_one_attempt_per_copy_no_retries()
    {
        var stub = StubV2.Answering(HttpStatusCode.ServiceUnavailable);
        using var v1 = V1("api-v1-v2-503", stub);
        using var copies = CopyCounters(v1);

        for (var i = 0; i < 3; i++)
            (await Client(v1).SendAsync(Predict("good", $"failing-{i}"))).EnsureSuccessStatusCode();

        // Counted as failed only after the last attempt: with the standard resilience handler's
        // retries (a 503 is retried 3 times, 2 s apart and more) this would see 12 calls.
        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Failed)) == 3, "3 failed copies", TimeSpan.FromSeconds(60));
        Assert.Equal(3, stub.Received.Count);
    }

    [Fact]
    public async Task A_full_queue_drops_copies_and_counts_them()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stub = StubV2.Blocking(gate.Task);
        using var v1 = V1("api-v1-queue-full", stub, settings:
            [("Serving:ShadowQueueCapacity", "3"), ("Serving:ShadowConcurrency", "1"), ("Serving:ShadowTimeoutMs", "30000")]);
        using var copies = CopyCounters(v1);

        for (var i = 0; i < 10; i++)
        {
            using var response = await Client(v1).SendAsync(Predict("good", $"full-{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // 1 copy stuck in v2 (unless not yet taken from the queue), 3 queued: 6 or 7 dropped, at once.
        var dropped = copies.Sum(Copies, ("outcome", ShadowOutcome.Dropped));
        Assert.InRange(dropped, 6, 7);

        gate.SetResult();
        await copies.WaitForAsync(c => c.Sum(Copies, ("outcome", ShadowOutcome.Sent)) + dropped == 10, "every copy sent or dropped");
        Assert.Equal(10 - dropped, stub.Received.Count);
        Assert.Equal(dropped, copies.Sum(Copies, ("outcome", ShadowOutcome.Dropped)));
    }

    [Fact]
    public async Task Shadow_endpoint_counts_agreement_with_the_served_label()
    {
        const string sentence = "A gripping, beautifully acted film.";
        var client = Client(v2.Factory);
        using var own = await client.PostAsJsonAsync("/predict", new { sentence });
        var label = JsonDocument.Parse(await own.Content.ReadAsStringAsync()).RootElement.GetProperty("label").GetString()!;
        var other = label == "positive" ? "negative" : "positive";
        var agreeBefore = v2.Counters.Sum(ShadowPredictions, ("agreement", "agree"), ("label", label));
        var disagreeBefore = v2.Counters.Sum(ShadowPredictions, ("agreement", "disagree"), ("label", label));
        var predictionsBefore = v2.Counters.Sum(Predictions);

        foreach (var (served, id) in new[] { (label, "agree-1"), (label, "agree-2"), (other, "disagree-1") })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/shadow")
            {
                Content = JsonContent.Create(new ShadowRequest(sentence, "v1", served, 0.9f)),
            };
            request.Headers.Add("X-Request-Id", id);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(id, body.GetProperty("requestId").GetString());
            Assert.Equal(served == label, body.GetProperty("agrees").GetBoolean());
        }

        Assert.Equal(2, v2.Counters.Sum(ShadowPredictions, ("agreement", "agree"), ("label", label)) - agreeBefore);
        Assert.Equal(1, v2.Counters.Sum(ShadowPredictions, ("agreement", "disagree"), ("label", label)) - disagreeBefore);
        // The copies are not client traffic: v2's /predict counter does not move.
        Assert.Equal(predictionsBefore, v2.Counters.Sum(Predictions));
    }

    [Theory]
    [InlineData("{}", "required")]
    [InlineData("{\"sentence\": 42, \"servedLabel\": \"positive\"}", "must be a string, not a number")]
    [InlineData("{\"sentence\": \"  \", \"servedLabel\": \"positive\"}", "must not be empty")]
    [InlineData("{\"sentence\": \"good\"", "not valid JSON")]
    [InlineData("{\"sentence\": \"good\", \"servedLabel\": \"maybe\"}", "'servedLabel' must be 'positive' or 'negative'")]
    [InlineData("{\"sentence\": \"good\"}", "'servedLabel' must be 'positive' or 'negative'")]
    [InlineData("{\"sentence\": \"good\", \"servedLabel\": 1}", "wrong type")]
    public async Task Shadow_endpoint_checks_its_input_like_predict(string body, string detail)
    {
        using var response = await Client(v2.Factory).PostAsync("/shadow", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detail, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void An_invalid_shadow_url_stops_start_up_naming_the_setting()
    {
        var api = typeof(ServingOptions).Assembly.Location;
        var (code, output) = Shell.Run("dotnet", [api], TimeSpan.FromSeconds(60), environment: new Dictionary<string, string>
        {
            ["Serving__Variant"] = "v1",
            ["Serving__ModelPath"] = RepoLayout.ModelPath("v1"),
            ["Serving__ShadowUrl"] = "api-v2:8080", // the scheme forgotten
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });

        Assert.Equal(1, code);
        Assert.Contains("Serving:ShadowUrl must be an absolute http(s) URL", output);
    }

    /// <summary>Stands for v2 in the shadow HttpClient: records each copy (request id, body) and
    /// answers as told: forwards to a real v2, answers a status, or waits for a gate.</summary>
    private sealed class StubV2(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        private readonly ConcurrentQueue<(string RequestId, string Body)> _received = new();
        private int _entered;

        public IReadOnlyCollection<(string RequestId, string Body)> Received => _received.ToArray();
        public int Entered => Volatile.Read(ref _entered);

        public static StubV2 Forwarding(ApiFactory v2)
        {
            var invoker = new HttpMessageInvoker(v2.Server.CreateHandler());
            return new StubV2((request, ct) => invoker.SendAsync(request, ct));
        }

        public static StubV2 Answering(HttpStatusCode status) =>
            new((_, _) => Task.FromResult(new HttpResponseMessage(status)));

        public static StubV2 Blocking(Task gate) =>
            new(async (_, ct) => { await gate.WaitAsync(ct); return new HttpResponseMessage(HttpStatusCode.OK); });

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _entered);
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            var response = await answer(request, cancellationToken);
            // Recorded once answered, so Received.Count never runs ahead of the sender's counters.
            _received.Enqueue((request.Headers.GetValues("X-Request-Id").Single(), body));
            return response;
        }
    }
}

/// <summary>Keeps every formatted log line of a host, for assertions on what it logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    public IReadOnlyCollection<string> Lines => _lines.ToArray();
    public ILogger CreateLogger(string categoryName) => new Logger(_lines);
    public void Dispose() { }

    private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) lines.Enqueue(formatter(state, exception));
        }
    }
}
