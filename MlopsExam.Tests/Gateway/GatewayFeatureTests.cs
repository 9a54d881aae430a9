using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// Every gateway feature, checked from outside as a client would. Each test fails when its feature
/// is broken and when the stack is down (every test needs real answers from nginx and the API).
/// Concrete classes bind it to a stack: <see cref="AspireGatewayTests"/> and the compose tests.
/// </summary>
public abstract partial class GatewayFeatureTests<TStack>(TStack stack) where TStack : GatewayStack
{
    // The rate limit documented in deployments/nginx/conf.d: 10 r/s, burst 5, nodelay.
    private const int RatePerSecond = 10;
    private const int Burst = 5;

    protected TStack Stack { get; } = stack;

    private static async Task<JsonElement> JsonBodyAsync(HttpResponseMessage response)
    {
        var media = response.Content.Headers.ContentType?.MediaType;
        Assert.True(media is "application/json" or "application/problem+json",
            $"Expected a JSON body for {(int)response.StatusCode}, got '{media}': {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<HttpResponseMessage> PredictAsync(HttpClient client, string sentence, string? group = null) =>
        await Stack.SendPacedAsync(client, Stack.PredictRequest(GatewayStack.SentenceBody(sentence), experimentGroup: group));

    [Fact]
    public async Task Predict_is_answered_by_the_api_through_the_gateway()
    {
        using var client = Stack.CreateClient();
        using var response = await PredictAsync(client, "A gorgeous, witty and moving film.");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonBodyAsync(response);
        Assert.Contains(body.GetProperty("label").GetString(), new[] { "positive", "negative" });
        Assert.InRange(body.GetProperty("probability").GetSingle(), 0.5f, 1f);
        Assert.Equal("v1", body.GetProperty("version").GetString());
        // Headers added by nginx (request id, upstream) and by the replica (its id).
        Assert.Equal(body.GetProperty("instance").GetString(), Header(response, "X-Instance-Id"));
        Assert.Equal(body.GetProperty("requestId").GetString(), Header(response, "X-Request-Id"));
        Assert.Matches(@"^\S+:\d+$", Header(response, "X-Upstream-Addr"));
        Assert.Equal("v1", Header(response, "X-Routed-To"));
    }

    [Fact]
    public async Task Plain_http_redirects_to_the_same_path_on_https()
    {
        using var client = Stack.CreateClient();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/predict"), (HttpMethod.Get, "/some/path?x=1&y=2"), (HttpMethod.Post, "/predict") })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, new Uri(Stack.HttpBase, path)));
            // 308, not 301: a client repeats a redirected POST as a POST.
            Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
            var expected = new UriBuilder(Stack.HttpsBase) { Path = "" }.Uri.GetLeftPart(UriPartial.Authority) + path;
            Assert.Equal(expected, response.Headers.Location?.ToString());
        }
    }

    [Theory]
    [InlineData("-tls1_2", true)]
    [InlineData("-tls1_3", true)]
    [InlineData("-tls1_1", false)]
    [InlineData("-tls1", false)]
    public void Only_tls_1_2_and_1_3_are_accepted(string protocolFlag, bool accepted)
    {
        // openssl's own client, with its security level lowered so that IT would speak TLS 1.0/1.1:
        // a refusal then comes from nginx's ssl_protocols, not from the client's defaults.
        var (code, output) = Shell.Run("openssl",
            ["s_client", "-connect", $"{Stack.HttpsBase.Host}:{Stack.HttpsBase.Port}", "-servername", Stack.HttpsBase.Host,
             protocolFlag, "-cipher", "DEFAULT:@SECLEVEL=0"],
            TimeSpan.FromSeconds(20), stdin: "");
        // "New, TLSv1.3, Cipher is ..." after a handshake; "New, (NONE), Cipher is (NONE)" after a refusal.
        var negotiated = Regex.Match(output, @"New, (TLSv[0-9.]+), Cipher is").Groups[1].Value;
        if (accepted)
        {
            Assert.True(code == 0, $"openssl {protocolFlag} failed: {output}");
            Assert.Equal(protocolFlag == "-tls1_2" ? "TLSv1.2" : "TLSv1.3", negotiated);
        }
        else
        {
            Assert.True(code != 0 && negotiated is "", $"openssl {protocolFlag} should be refused, got: {output}");
            // The refusal comes from nginx (an alert it sent), not from the local client.
            Assert.Contains("alert protocol version", output);
        }
    }

    [Fact]
    public void Tls_1_2_without_forward_secrecy_or_aead_is_refused()
    {
        // A cipher suite from the old days (RSA key exchange, CBC): nginx's list has no such suite.
        var (code, output) = Shell.Run("openssl",
            ["s_client", "-connect", $"{Stack.HttpsBase.Host}:{Stack.HttpsBase.Port}", "-servername", Stack.HttpsBase.Host,
             "-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"],
            TimeSpan.FromSeconds(20), stdin: "");

        Assert.True(code != 0, $"AES128-SHA should be refused, got: {output}");
        Assert.Contains("alert handshake failure", output);
    }

    [Fact]
    public async Task Plain_http_sent_to_the_https_port_is_a_json_400()
    {
        using var client = Stack.CreateClient();
        using var response = await client.GetAsync(new UriBuilder(Stack.HttpsBase) { Scheme = "http" }.Uri);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, (await JsonBodyAsync(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Predict_requires_basic_auth_with_the_right_password()
    {
        using var client = Stack.CreateClient();
        var body = GatewayStack.SentenceBody("fine");

        using var none = await Stack.SendPacedAsync(client, Stack.PredictRequest(body, authenticate: false));
        using var wrong = await Stack.SendPacedAsync(client, Stack.PredictRequest(body, Stack.BasicAuth(password: Stack.Password + "x")));
        using var unknownUser = await Stack.SendPacedAsync(client, Stack.PredictRequest(body, Stack.BasicAuth(user: "intruder")));
        using var right = await Stack.SendPacedAsync(client, Stack.PredictRequest(body));

        foreach (var refused in new[] { none, wrong, unknownUser })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(401, (await JsonBodyAsync(refused)).GetProperty("status").GetInt32());
            Assert.Contains(refused.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        }
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task Rate_limit_lets_exactly_one_plus_burst_through_a_simultaneous_burst_then_recovers()
    {
        const int sent = 20;
        // Let the bucket drain from earlier tests: the limiter's state is a function of time alone,
        // and (1 + burst) / rate is the longest it takes.
        await Task.Delay(TimeSpan.FromSeconds((1.0 + Burst) / RatePerSecond + 0.2));

        // As nginx's own limit_req.t: a known burst, exact counts. curl sends all 20 requests as
        // streams of ONE HTTP/2 connection, so they reach nginx within a few milliseconds, far less
        // than the 100 ms a token takes to come back (a .NET client on 2 busy cores was not).
        var results = Stack.Burst(sent, GatewayStack.SentenceBody("burst"));
        Stack.NoteBurst(TimeSpan.FromSeconds((1.0 + Burst) / RatePerSecond));

        Assert.Equal(sent, results.Count);
        Assert.Equal(1, results.Sum(r => r.NewConnections));
        var statuses = results.Select(r => r.Status).ToList();
        Assert.Equal(1 + Burst, statuses.Count(s => s == 200));
        Assert.Equal(sent - 1 - Burst, statuses.Count(s => s == 429));
        Assert.DoesNotContain(statuses, s => s is not (200 or 429));
        // Each refusal is JSON and says when to retry.
        Assert.All(results.Where(r => r.Status == 429), r =>
        {
            Assert.Equal("application/problem+json", r.ContentType);
            Assert.True(int.TryParse(r.RetryAfter, out var seconds) && seconds > 0, $"Retry-After '{r.RetryAfter}'");
            Assert.Equal(429, JsonDocument.Parse(r.Body).RootElement.GetProperty("status").GetInt32());
        });

        // One token comes back every 1/rate s: after that, access returns.
        using var client = Stack.CreateClient();
        await Task.Delay(TimeSpan.FromSeconds(1.0 / RatePerSecond + 0.05));
        using var after = await client.SendAsync(Stack.PredictRequest(GatewayStack.SentenceBody("after the burst")));
        Stack.NoteBurst(TimeSpan.FromSeconds((1.0 + Burst) / RatePerSecond));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Nginx_balances_v1_over_three_replicas_visible_in_header_and_replica_logs()
    {
        using var client = Stack.CreateClient();
        var served = new List<(string Instance, string Upstream, string RequestId)>();
        for (var i = 0; i < 30; i++)
        {
            using var response = await PredictAsync(client, $"request number {i} was a pleasant surprise");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            served.Add((Header(response, "X-Instance-Id"), Header(response, "X-Upstream-Addr"), Header(response, "X-Request-Id")));
        }

        var byInstance = served.GroupBy(s => s.Instance).ToList();
        Assert.Equal(3, byInstance.Count);
        Assert.Equal(3, served.Select(s => s.Upstream).Distinct().Count());
        // Round robin: 10 each when nothing else is in flight; a fair share in any case.
        Assert.All(byInstance, g => Assert.InRange(g.Count(), 8, 12));

        // Each replica logged the requests it answered, with the gateway's request id.
        foreach (var group in byInstance)
        {
            var log = await Stack.WaitForReplicaLogAsync(group.Key!, group.Select(s => $"request_id={s.RequestId}"), CancellationToken.None);
            Assert.Contains($"instance={group.Key}", log, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("debug", "v2")]
    [InlineData("DEBUG", "v2")] // documented: nginx map string keys match case-insensitively
    [InlineData(null, "v1")]
    [InlineData("control", "v1")]
    [InlineData("debugger", "v1")]
    [InlineData("", "v1")]
    public async Task Experiment_group_debug_routes_to_v2_everything_else_to_v1(string? group, string expectedVersion)
    {
        using var client = Stack.CreateClient();
        using var response = await PredictAsync(client, "not good at all", group);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonBodyAsync(response);
        Assert.Equal(expectedVersion, body.GetProperty("version").GetString());
        Assert.Equal(expectedVersion, Header(response, "X-Routed-To"));
        // Only the challenger carries debug fields.
        Assert.Equal(expectedVersion == "v2", body.TryGetProperty("debug", out _));
    }

    /// <summary>
    /// Training/serving parity (issue 12): text that only ICU folds (full-width letters, "…",
    /// ligatures, split accents) reaches the served v2 exactly as the training code sees it. The
    /// expected values come from this process, through the code training uses (TextNormalizer,
    /// SentimentModel on the committed model file); the API in its container must agree, which it
    /// does only when it runs with ICU (InvariantGlobalization=false and libicu in the image).
    /// </summary>
    [Fact]
    public async Task Served_v2_normalises_and_scores_tricky_text_exactly_as_training_does()
    {
        string[] sentences =
        [
            "\uFF27\uFF2F\uFF2F\uFF24 \uFF26\uFF29\uFF2C\uFF2D\uFF01",                  // full-width "GOOD FILM!"
            "\uFF29 \uFF44\uFF4F\uFF4E\uFF07\uFF54 like it",                              // full-width apostrophe
            "A terrible\u2026boring film",                                                  // ellipsis
            "\u201CGreat\u201D, isn\u2019t it? \u2018Not really\u2019",                      // curly quotes
            "A \uFB01ne, \uFB02awless e\uFB00ect",                                           // ligatures
            "Cafe\u0301 food was clich\u00E9 but the cre\u0300me bru\u0302le\u0301e was great", // combining accents
            "I love it \U0001F60D\U0001F44D, best phone ever \U0001F4F1",                    // emoji
            "Great \u0444\u0438\u043B\u044C\u043C, \u5F88\u597D, tr\u00E8s bien \u2014 10/10", // mixed scripts
            "\u2460 star\u00B2\u2026 \u00BD the \u2122 price",                             // compatibility digits, symbols
        ];
        var v2 = MlopsExam.Model.SentimentModel.Load(RepoLayout.ModelPath("v2"));
        using var client = Stack.CreateClient();
        foreach (var sentence in sentences)
        {
            using var response = await PredictAsync(client, sentence, "debug");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await JsonBodyAsync(response);
            Assert.Equal("v2", body.GetProperty("version").GetString());
            var debug = body.GetProperty("debug");

            var expectedText = MlopsExam.Model.TextNormalizer.Normalize(sentence);
            var expected = v2.Predict(sentence);
            Assert.True(expectedText == debug.GetProperty("normalizedSentence").GetString(),
                $"'{sentence}': served normalised text '{debug.GetProperty("normalizedSentence").GetString()}', training gives '{expectedText}'.");
            Assert.Equal(v2.Sha256, debug.GetProperty("modelSha256").GetString());
            var probabilities = debug.GetProperty("probabilities");
            Assert.Equal(expected.PositiveProbability, probabilities.GetProperty("positive").GetSingle(), 1e-5f);
            Assert.Equal(1f - expected.PositiveProbability, probabilities.GetProperty("negative").GetSingle(), 1e-5f);
            Assert.Equal(expected.Label, body.GetProperty("label").GetString());
        }
    }

    [Theory]
    [InlineData("{}", "application/json", 400)]                          // missing field
    [InlineData("{\"sentence\": 42}", "application/json", 400)]          // wrong type
    [InlineData("{\"sentence\": [\"a\"]}", "application/json", 400)]     // wrong type
    [InlineData("{\"sentence\": \"\"}", "application/json", 400)]        // empty
    [InlineData("{\"sentence\": \"   \\t \"}", "application/json", 400)] // blank
    [InlineData("{\"sentence\": \"good\"", "application/json", 400)]     // malformed JSON
    [InlineData("[1, 2]", "application/json", 400)]                      // not an object
    [InlineData("sentence=good", "application/x-www-form-urlencoded", 415)]
    public async Task Bad_input_gets_a_clear_json_4xx(string body, string contentType, int expected)
    {
        using var client = Stack.CreateClient();
        using var response = await Stack.SendPacedAsync(client, Stack.PredictRequest(body, contentType: contentType));

        Assert.Equal(expected, (int)response.StatusCode);
        var problem = await JsonBodyAsync(response);
        Assert.Equal(expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Sentence_over_the_documented_maximum_is_a_400()
    {
        using var client = Stack.CreateClient();
        using var atLimit = await Stack.SendPacedAsync(client, Stack.PredictRequest(GatewayStack.SentenceBody(new string('a', 1000))));
        using var overLimit = await Stack.SendPacedAsync(client, Stack.PredictRequest(GatewayStack.SentenceBody(new string('a', 1001))));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, overLimit.StatusCode);
        Assert.Contains("maximum is 1000", (await JsonBodyAsync(overLimit)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Body_over_the_gateway_limit_is_a_json_413()
    {
        using var client = Stack.CreateClient();
        using var response = await Stack.SendPacedAsync(client, Stack.PredictRequest(GatewayStack.SentenceBody(new string('x', 20 * 1024))));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, (await JsonBodyAsync(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Other_paths_and_methods_get_json_errors()
    {
        using var client = Stack.CreateClient();
        var notFound = new HttpRequestMessage(HttpMethod.Get, new Uri(Stack.HttpsBase, "/metrics"));
        notFound.Headers.Authorization = Stack.BasicAuth();
        using var missing = await Stack.SendPacedAsync(client, notFound);
        var get = new HttpRequestMessage(HttpMethod.Get, new Uri(Stack.HttpsBase, "/predict"));
        get.Headers.Authorization = Stack.BasicAuth();
        using var wrongMethod = await Stack.SendPacedAsync(client, get);

        // The API's /metrics and /health are for the internal network only.
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(404, (await JsonBodyAsync(missing)).GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal(405, (await JsonBodyAsync(wrongMethod)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Prometheus_scrapes_nginx_and_every_api_replica()
    {
        // A prediction on each variant, so the product counters exist.
        using (var client = Stack.CreateClient())
        {
            using var v1 = await PredictAsync(client, "a fine film");
            using var v2 = await PredictAsync(client, "a fine film", "debug");
            Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
            Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        string lastSeen = "";
        while (true)
        {
            var targets = JsonDocument.Parse(await Stack.QueryPrometheusAsync("/api/v1/targets?state=active", deadline.Token)).RootElement
                .GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Select(t => (Job: t.GetProperty("labels").GetProperty("job").GetString(),
                              Variant: t.GetProperty("labels").TryGetProperty("variant", out var v) ? v.GetString() : null,
                              Health: t.GetProperty("health").GetString(),
                              Url: t.GetProperty("scrapeUrl").GetString()))
                .ToList();
            lastSeen = string.Join("; ", targets);
            var api = targets.Where(t => t.Job == "api").ToList();
            var gateway = targets.Where(t => t.Job == "gateway").ToList();
            var ready = api.Count == 4 && api.Count(t => t.Variant == "v1") == 3 && api.Count(t => t.Variant == "v2") == 1
                && gateway.Count == 1 && targets.All(t => t.Health == "up")
                && await HasSample("nginx_up", deadline.Token)
                && await HasSample("sum by (variant) (sentiment_predictions_total)", deadline.Token, expectedSeries: 2);
            if (ready) break;
            if (deadline.IsCancellationRequested) Assert.Fail($"Prometheus targets never all up: {lastSeen}");
            await Task.Delay(1000, deadline.Token).ContinueWith(_ => { });
        }

        var up = JsonDocument.Parse(await Stack.QueryPrometheusAsync("/api/v1/query?query=up", deadline.Token)).RootElement
            .GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => r.GetProperty("value")[1].GetString()).ToList();
        Assert.True(up.Count >= 5, $"expected >= 5 'up' series, got {up.Count}");
        Assert.All(up, v => Assert.Equal("1", v));
    }

    [Fact]
    public async Task V2_answer_carries_the_exercise_probability_dict_equal_to_debug_probabilities()
    {
        using var client = Stack.CreateClient();
        using var response = await PredictAsync(client, "Oh yeah, that was soooo cool!", "debug");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonBodyAsync(response);
        var dict = body.GetProperty("prediction_proba_dict");
        var debug = body.GetProperty("debug").GetProperty("probabilities");
        foreach (var label in new[] { "negative", "positive" })
            Assert.Equal(debug.GetProperty(label).GetSingle(), dict.GetProperty(label).GetSingle());
        Assert.Equal(1f, dict.GetProperty("negative").GetSingle() + dict.GetProperty("positive").GetSingle(), 3);
    }

    [Fact]
    public async Task The_certificate_has_the_exercise_names_and_is_the_one_served()
    {
        var certs = Path.Combine(RepoLayout.Root, "deployments", "nginx", "certs");
        Assert.True(File.Exists(Path.Combine(certs, "nginx.crt")) && File.Exists(Path.Combine(certs, "nginx.key")),
            "deployments/nginx/certs/nginx.crt and nginx.key should exist (the exercise's names)");

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Stack.HttpsBase.Host, Stack.HttpsBase.Port);
        using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(Stack.HttpsBase.Host);
        Assert.Equal(Stack.GatewayCertificate.Thumbprint, new System.Security.Cryptography.X509Certificates.X509Certificate2(tls.RemoteCertificate!).Thumbprint);
    }

    [Fact]
    public async Task Prometheus_answers_on_loopback_9090_and_listens_on_no_other_address()
    {
        // Docker's own view of what it publishes, whatever the test's network namespace sees.
        var published = await Stack.PrometheusPublishedPortsAsync(CancellationToken.None);
        if (!Stack.PublishesPrometheusOnLoopback)
        {
            // Swarm: not published at all, so certainly not beyond this machine.
            Assert.Empty(published);
            Assert.Empty(ListeningAddresses(9090));
            Assert.Contains("\"status\":\"success\"", await Stack.QueryPrometheusAsync("/api/v1/status/runtimeinfo", CancellationToken.None));
            return;
        }
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await client.GetAsync("http://127.0.0.1:9090/api/v1/status/runtimeinfo");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.All(published, p => Assert.StartsWith("127.0.0.1:", p));
        var listeners = ListeningAddresses(9090);
        Assert.NotEmpty(listeners);
        Assert.All(listeners, address => Assert.True(IPAddress.IsLoopback(address), $"something listens on {address}:9090"));
    }

    /// <summary>Addresses with a socket in LISTEN state on <paramref name="port"/> in this network
    /// namespace (the host's), from /proc/net/tcp and tcp6.</summary>
    private static List<IPAddress> ListeningAddresses(int port)
    {
        var found = new List<IPAddress>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A") continue; // 0A: TCP_LISTEN
                var local = fields[1].Split(':');
                if (Convert.ToInt32(local[1], 16) != port) continue;
                // The kernel prints the address as 32-bit words in host (little-endian) order.
                var bytes = Convert.FromHexString(local[0]);
                for (var i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
                found.Add(new IPAddress(bytes));
            }
        }
        return found;
    }

    private async Task<bool> HasSample(string promql, CancellationToken ct, int expectedSeries = 1)
    {
        var result = JsonDocument.Parse(await Stack.QueryPrometheusAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}", ct))
            .RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() >= expectedSeries
            && result.EnumerateArray().All(r => r.GetProperty("value")[1].GetString() is not ("0" or "NaN"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : throw new Xunit.Sdk.XunitException($"Response has no {name} header.");
}

/// <summary>The gateway features against the AppHost (`make run`'s stack).</summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class AspireGatewayTests(AspireStack stack)
    : GatewayFeatureTests<AspireStack>(stack), IClassFixture<AspireStack>;

/// <summary>Both stacks publish ports 80/443: their test classes never run at the same time.</summary>
/// They also run alone, after the other tests: the rate-limit burst must reach nginx within 100 ms.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GatewayCollection
{
    public const string Name = "gateway (ports 80/443)";
}
