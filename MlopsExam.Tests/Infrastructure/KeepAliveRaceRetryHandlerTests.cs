using System.Net;
using System.Net.Sockets;
using System.Text;
using MlopsExam.Tooling;

namespace MlopsExam.Tests.Infrastructure;

/// <summary>The test clients' retry, against a loopback server that closes connections the way a
/// reloading nginx does: after answering, or before answering at all.</summary>
public sealed class KeepAliveRaceRetryHandlerTests
{
    /// <summary>Serves <paramref name="connections"/> connections in turn; on each, answers the first
    /// <c>answers[i]</c> requests (keep-alive), then reads the next one and closes without a word.</summary>
    private static async Task ServeAsync(TcpListener listener, int[] answers, List<string> bodies)
    {
        foreach (var count in answers)
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var stream = new NetworkStream(socket);
            for (var i = 0; ; i++)
            {
                var request = await ReadRequestAsync(stream);
                if (request is null) break;
                lock (bodies) bodies.Add(request);
                if (i == count) break; // closes with the request unanswered
                var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
                await stream.WriteAsync(ok);
            }
        }
    }

    private static async Task<string?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString(buffer.ToArray()).Contains("\r\n\r\n"))
        {
            if (await stream.ReadAsync(one) == 0) return null;
            buffer.Add(one[0]);
        }
        var head = Encoding.ASCII.GetString(buffer.ToArray());
        var length = int.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Split(':')[1].Trim(),
            System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return Encoding.UTF8.GetString(body);
    }

    /// <summary>A loopback server (<see cref="ServeAsync"/>) and a client with the retry handler.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _server;
        public List<string> Bodies { get; } = [];
        public KeepAliveRaceRetryHandler Handler { get; } = new(new SocketsHttpHandler());
        public HttpClient Client { get; }
        public string Url { get; }

        public Setup(int[] answers)
        {
            _listener.Start();
            _server = ServeAsync(_listener, answers, Bodies);
            Client = new HttpClient(Handler) { Timeout = TimeSpan.FromSeconds(10) };
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/predict";
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            _listener.Stop();
            await Task.WhenAny(_server, Task.Delay(1000));
        }
    }

    [Fact]
    public async Task A_post_on_a_reused_connection_closed_by_the_server_is_sent_again_once_on_a_new_one()
    {
        // Connection 1 answers one request, then drops the second; connection 2 answers.
        await using var setup = new Setup([1, 5]);

        using (var first = await setup.Client.PostAsync(setup.Url, new StringContent("{\"sentence\":\"one\"}")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await setup.Client.PostAsync(setup.Url, new StringContent("{\"sentence\":\"two\"}")))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        Assert.Equal(1, setup.Handler.Retries);
        // The same body both times.
        Assert.Equal(["{\"sentence\":\"one\"}", "{\"sentence\":\"two\"}", "{\"sentence\":\"two\"}"], setup.Bodies);
    }

    [Fact]
    public async Task A_new_connection_closed_before_any_answer_is_an_error_not_a_retry()
    {
        await using var setup = new Setup([0, 0]);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => setup.Client.PostAsync(setup.Url, new StringContent("{\"sentence\":\"lost\"}")));
        Assert.Equal(HttpRequestError.ResponseEnded, error.HttpRequestError);
        Assert.Equal(0, setup.Handler.Retries);
        Assert.Single(setup.Bodies);
    }
}
