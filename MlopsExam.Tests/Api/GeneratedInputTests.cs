using System.Text;
using CsCheck;
using MlopsExam.Tests.Infrastructure.Generators;
using Xunit.Abstractions;

namespace MlopsExam.Tests.Api;

/// <summary>
/// Property-based tests of <c>POST /predict</c> with generated requests (<see cref="RequestGen"/>):
/// random bytes, invalid UTF-8, escapes of every code unit, deep nesting, huge numbers, duplicate
/// keys, byte order marks, every content type and charset, other methods, oversize bodies.
/// One property per promise. A failure prints the smallest failing request CsCheck found and the
/// seed that replays it: <c>CsCheck_Seed=... dotnet test --filter ...</c>.
/// </summary>
public sealed class GeneratedInputTests(BothVariantsFixture fixture, ITestOutputHelper output) : IClassFixture<BothVariantsFixture>
{
    /// <summary>Requests per property and variant; <c>CsCheck_Iter</c> overrides it (e.g. 100000 for a long run).</summary>
    private static long Iterations => long.TryParse(Environment.GetEnvironmentVariable("CsCheck_Iter"), out var n) ? n : 3000;

    private static readonly Uri Predict = new("/predict", UriKind.Relative);

    private async Task<AnswerRules.Answer> SendAsync(HttpClient client, GeneratedRequest request)
    {
        using var message = request.ToHttpRequest(new Uri(client.BaseAddress!, Predict));
        using var response = await client.SendAsync(message);
        return await AnswerRules.ReadAsync(response, request.Method);
    }

    /// <summary>The properties mean something only if the generator reaches every kind of answer:
    /// predictions, each refusal of the reader, the framework's 405.</summary>
    [Fact]
    public async Task The_generator_reaches_every_kind_of_answer()
    {
        var client = fixture.Factory("v1").CreateClient();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await RequestGen.Request.SampleAsync(async request =>
        {
            var answer = await SendAsync(client, request);
            var detail = answer.Status == 200 || request.Method == "HEAD" ? "" :
                System.Text.Json.JsonDocument.Parse(answer.Body).RootElement.GetProperty("detail").GetString()!;
            var kind = answer.Status switch
            {
                400 when detail.Contains("not valid Unicode") => "400 invalid Unicode",
                400 when detail.Contains("appears") => "400 duplicate",
                400 when detail.Contains("not valid JSON") => "400 malformed",
                415 when detail.Contains("UTF-8 only") => "415 charset",
                var status => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            seen.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }, iter: 3000, threads: 1);
        output.WriteLine(string.Join(", ", seen.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));

        Assert.All(new[] { "200", "400", "400 invalid Unicode", "400 duplicate", "400 malformed", "405", "413", "415", "415 charset" },
            kind => Assert.True(seen.ContainsKey(kind), $"no '{kind}' in 3000 generated requests: {string.Join(", ", seen.Keys)}"));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public Task No_generated_request_gets_a_5xx(string variant) =>
        EveryGeneratedRequestAsync(variant, AnswerRules.NotAServerError);

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public Task Every_error_is_problem_json_naming_status_title_and_detail(string variant) =>
        EveryGeneratedRequestAsync(variant, AnswerRules.ErrorIsAProblem);

    /// <summary><paramref name="rule"/> holds for the answer to every generated request.</summary>
    private async Task EveryGeneratedRequestAsync(string variant, Action<AnswerRules.Answer, object> rule)
    {
        var client = fixture.Factory(variant).CreateClient();
        await RequestGen.Request.SampleAsync(
            async request => rule(await SendAsync(client, request), request),
            output.WriteLine, iter: Iterations, print: r => r.ToString());
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task The_api_keeps_serving_after_every_batch_of_generated_requests(string variant)
    {
        var client = fixture.Factory(variant).CreateClient();
        await RequestGen.Request.Array[1, 20].SampleAsync(async batch =>
            {
                foreach (var request in batch)
                    await SendAsync(client, request);
                using var valid = await client.PostAsync(Predict, new StringContent(
                    RequestGen.WellFormedBody("A gripping, beautifully acted film."), Encoding.UTF8, "application/json"));
                if (valid.StatusCode != HttpStatusCode.OK)
                    throw new Xunit.Sdk.XunitException(
                        $"A valid request got {(int)valid.StatusCode} after: {string.Join("\n  ", batch.Select(r => r.ToString()))}");
            },
            output.WriteLine, iter: Iterations / 10, print: batch => string.Join("\n  ", batch.Select(r => r.ToString())));
    }
}
