using System.Collections.Concurrent;
using System.Text.Json;
using CsCheck;
using MlopsExam.Tests.Infrastructure.Generators;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// The gateway seen by a client that sends anything (the generator of <c>Api/GeneratedInputTests</c>,
/// bounded), and the API contract reachable through it. Part of <see cref="GatewayFeatureTests{TStack}"/>,
/// so both stacks run it with the same fixture.
/// </summary>
public abstract partial class GatewayFeatureTests<TStack>
{
    /// <summary>About 18 s at the feature tests' pace (<see cref="GatewayStack.PredictPace"/>, 8.3 r/s,
    /// under the limit of 10 r/s per client).</summary>
    private const int GeneratedRequestCount = 150;

    [Fact]
    public async Task Generated_requests_through_the_gateway_never_get_a_5xx_and_every_error_is_a_json_problem()
    {
        using var client = Stack.CreateClient();
        var statuses = new ConcurrentDictionary<int, int>();
        // One request in twenty without credentials: the gateway's own 401 is checked too.
        var requests = Gen.Select(RequestGen.Request, Gen.Int[0, 19]);

        // threads: 1 and the shared pace keep the run under the rate limit; a 429 would still have to
        // be a JSON problem. A failure prints the smallest failing request and the seed replaying it.
        await requests.SampleAsync(async (request, auth) =>
        {
            using var message = request.ToHttpRequest(new Uri(Stack.HttpsBase, "/predict"), auth == 0 ? null : Stack.BasicAuth());
            using var response = await Stack.SendPacedAsync(client, message);
            var answer = await AnswerRules.ReadAsync(response, request.Method);
            statuses.AddOrUpdate(answer.Status, 1, (_, n) => n + 1);
            AnswerRules.NotAServerError(answer, request);
            AnswerRules.ErrorIsAProblem(answer, request);
        }, iter: GeneratedRequestCount, threads: 1, print: t => $"{(t.Item2 == 0 ? "no credentials, " : "")}{t.Item1}");

        // The gateway and the replicas still serve, and the run was not all refusals.
        using var valid = await PredictAsync(client, "A gripping, beautifully acted film.");
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        var seen = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0, $"statuses seen: {seen}");
    }

    [Fact]
    public async Task OpenApi_document_is_served_through_the_gateway_behind_basic_auth()
    {
        using var client = Stack.CreateClient();
        var document = new Uri(Stack.HttpsBase, "/openapi/v1.json");
        HttpRequestMessage Get(System.Net.Http.Headers.AuthenticationHeaderValue? auth)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, document);
            request.Headers.Authorization = auth;
            return request;
        }

        using var authenticated = await Stack.SendPacedAsync(client, Get(Stack.BasicAuth()));
        using var anonymous = await Stack.SendPacedAsync(client, Get(null));
        using var wrongPassword = await Stack.SendPacedAsync(client, Get(Stack.BasicAuth(password: Stack.Password + "x")));

        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        Assert.Equal("application/json", authenticated.Content.Headers.ContentType?.MediaType);
        var openApi = JsonDocument.Parse(await authenticated.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("3.", openApi.GetProperty("openapi").GetString());
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/predict", out _), "the document describes POST /predict");

        foreach (var refused in new[] { anonymous, wrongPassword })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains(refused.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
            Assert.Equal(401, (await JsonBodyAsync(refused)).GetProperty("status").GetInt32());
        }
    }
}
