using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest.Reliability;

/// <summary>One request of the steady client: when it left, how it ended ("200", "502", or the transport error),
/// how long it took, and which variant answered.</summary>
internal sealed record Sent(DateTimeOffset At, string Outcome, double Ms, string? Version)
{
    public bool Ok => Outcome == "200";
}

/// <summary>
/// A client as a person's would be: one POST /predict at a time to the gateway on 127.0.0.1, paced under the
/// gateway's rate limit (10 r/s per address), over a keep-alive connection that is sent again once when the
/// server closed it under a request (<see cref="KeepAliveRaceRetryHandler"/>, as curl and browsers do).
/// Each request has a 10 s deadline. Runs until disposed.
/// </summary>
internal sealed class SteadyClient : IAsyncDisposable
{
    public static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(120);

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<Sent> _sent = new();

    public SteadyClient(Stack stack, string? experimentGroup = null)
    {
        var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(stack.RepoRoot, "deployments", "nginx", "certs", "nginx.crt"));
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            // The gateway's own certificate, whatever name it was issued for.
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData),
            },
        };
        _client = new HttpClient(new KeepAliveRaceRetryHandler(handler)) { Timeout = TimeSpan.FromSeconds(10) };
        _client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", stack.BasicAuthHeader());
        if (experimentGroup is not null) _client.DefaultRequestHeaders.TryAddWithoutValidation("X-Experiment-Group", experimentGroup);
        var port = Environment.GetEnvironmentVariable("GATEWAY_HTTPS_PORT") is { Length: > 0 } p ? p : "443";
        var url = new Uri($"https://127.0.0.1:{port}/predict");
        _loop = Task.Run(() => LoopAsync(url));
    }

    public IReadOnlyList<Sent> Sent => [.. _sent];

    private async Task LoopAsync(Uri url)
    {
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            var at = DateTimeOffset.UtcNow;
            string outcome;
            string? version = null;
            try
            {
                using var content = new StringContent($$"""{"sentence":"steady request {{n++}} under chaos"}""", Encoding.UTF8, "application/json");
                using var response = await _client.PostAsync(url, content);
                outcome = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                version = response.Headers.TryGetValues("X-Routed-To", out var routed) ? routed.FirstOrDefault() : null;
                await response.Content.ReadAsByteArrayAsync();
            }
            catch (HttpRequestException e)
            {
                outcome = e.HttpRequestError.ToString();
            }
            catch (TaskCanceledException)
            {
                outcome = "Timeout";
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            _sent.Enqueue(new Sent(at, outcome, elapsed.TotalMilliseconds, version));
            var wait = Pace - elapsed;
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
            }
            catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _client.Dispose();
        _stop.Dispose();
    }
}
