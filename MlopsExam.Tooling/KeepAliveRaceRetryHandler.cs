using System.Net.Sockets;

namespace MlopsExam.Tooling;

/// <summary>
/// Does what curl ("Connection died, retrying a fresh connect") and browsers do when a keep-alive
/// connection they reuse turns out to have been closed by the server: the request goes once more,
/// on a new connection. HTTP lets a server close an idle connection at any time, and a client's
/// request may already be on its way (RFC 9112, 9.3.1); nginx does exactly that to its idle client
/// connections when it reloads, which the gateway does when the set of replicas changes
/// (deployments/nginx/conf.d/upstreams.conf). .NET's HttpClient retries such a request only when
/// it has no body, so a test client of POST /predict would report a request lost that curl or a
/// browser would not.
///
/// Retried only when all of these hold: HTTP/1.x; the connection closed before a whole response
/// head arrived (<see cref="HttpRequestError.ResponseEnded"/>); no connection was opened while the
/// attempt ran (so it went out on a pooled one: sound for a client that sends one request at a time,
/// as the tests that use this do); and it is the first retry of the request. The retry may go out on
/// another pooled connection or a new one. Each retry is counted and written to the test output; a
/// second failure, any status code and any other error go to the caller. The clients of tests that
/// change the set of replicas use it (GatewayStack.CreateClient), and make chaos's steady client.
/// </summary>
public sealed class KeepAliveRaceRetryHandler : DelegatingHandler
{
    private long _connects;
    private int _retries;

    public KeepAliveRaceRetryHandler(SocketsHttpHandler inner)
    {
        if (inner.ConnectCallback is not null)
            throw new ArgumentException("The handler counts connections with its own ConnectCallback.", nameof(inner));
        inner.ConnectCallback = ConnectAsync;
        InnerHandler = inner;
    }

    /// <summary>Requests this client sent twice because a reused connection was closed under them.</summary>
    public int Retries => Volatile.Read(ref _retries);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        Interlocked.Increment(ref _connects);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // The body is read before the first attempt, so that a retry can send the same bytes.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(ct);
        var connectsBefore = Interlocked.Read(ref _connects);
        try
        {
            return await base.SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (request.Version.Major == 1
                                             && e.HttpRequestError == HttpRequestError.ResponseEnded
                                             && Interlocked.Read(ref _connects) == connectsBefore)
        {
            Interlocked.Increment(ref _retries);
            Console.WriteLine($"keep-alive race: {request.Method} {request.RequestUri} sent again ({e.Message})");
            return await base.SendAsync(Copy(request, body), ct);
        }
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? body)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri)
        {
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
        };
        foreach (var option in request.Options)
            ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        foreach (var header in request.Headers)
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers)
                copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return copy;
    }
}
