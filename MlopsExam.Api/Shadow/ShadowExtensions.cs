using Microsoft.Extensions.Options;
using MlopsExam.Api.Serving;

namespace MlopsExam.Api.Shadow;

/// <summary>
/// Shadow traffic: a served replica with <c>Serving:ShadowUrl</c> copies the requests the gateway
/// marks <c>X-Shadow: 1</c> to the challenger's <c>POST /shadow</c>, after answering the client.
/// (nginx's <c>mirror</c> was not used: it holds the client's connection until the copy is done.)
/// </summary>
public static class ShadowExtensions
{
    public static IServiceCollection AddShadowTraffic(this IServiceCollection services)
    {
        services.AddOptions<ServingOptions>()
            .Validate(o => string.IsNullOrWhiteSpace(o.ShadowUrl) || IsHttpUrl(o.ShadowUrl),
                "Serving:ShadowUrl must be an absolute http(s) URL such as http://api-v2:8080 (or empty: no shadow copies).");

        services.AddSingleton<ShadowQueue>();
        services.AddHostedService<ShadowSender>();

#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers, below
        services.AddHttpClient(ShadowSender.HttpClientName, (sp, http) =>
            {
                var serving = sp.GetRequiredService<IOptions<ServingOptions>>().Value;
                if (!string.IsNullOrWhiteSpace(serving.ShadowUrl))
                    http.BaseAddress = new Uri(serving.ShadowUrl.TrimEnd('/') + "/");
                http.Timeout = TimeSpan.FromMilliseconds(serving.ShadowTimeoutMs);
            })
            // ServiceDefaults gives every HttpClient the standard resilience handler: 3 retries with
            // back-off, 10 s per attempt, 30 s in all. For a copy that is wrong: a retry is worth less
            // than the next copy, and retrying into a struggling challenger adds load where it hurts
            // and keeps the workers from draining the queue. So one attempt, bounded by
            // ShadowTimeoutMs (HttpClient.Timeout above), and a failure is counted, not retried.
            // Service discovery stays (ShadowUrl may name a service, e.g. http://api-v2).
            // RemoveAllResilienceHandlers is marked experimental (EXTEXP0001) but is the documented
            // way to opt one client out of ConfigureHttpClientDefaults; a test checks one attempt
            // per copy, so a change in a later version shows up there.
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return services;
    }

    // "api-v2:8080" parses as an absolute URI of scheme "api-v2": ask for a web scheme and a host.
    // https+http is service discovery's "either" scheme (Aspire references).
    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https" or "https+http" or "http+https"
        && uri.Host.Length > 0;
}
