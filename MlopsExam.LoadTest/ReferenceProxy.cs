using System.Globalization;
using MlopsExam.Tooling;

namespace MlopsExam.LoadTest;

/// <summary>
/// (d): the cheapest nginx that can stand where the gateway stands. The gateway's own image and
/// binary, the same three replicas, the same upstream keep-alive and worker count, and nothing
/// else: no basic auth, no access log, no rate or connection limits, no routing maps, no extra
/// headers; one listener over plain HTTP and one over TLS (the gateway's certificate).
///
/// It answers a question the ratio (b)/(a) alone cannot: how much of the distance to the API's own
/// speed any nginx hop costs on this machine, and how much the gateway's features add on top. The
/// container lives for the benchmark's run only and publishes no port.
/// </summary>
internal sealed class ReferenceProxy : IAsyncDisposable
{
    public const string PlainUrl = "http://127.0.0.1:8081/predict";
    public const string TlsUrl = "https://127.0.0.1:8444/predict";
    private const string Name = "mlopsexam-loadtest-reference-nginx";

    public Container Container { get; }

    /// <summary>The header the (e) basic-auth listener wants.</summary>
    public string AuthHeader { get; }

    /// <summary>(p), behind this proxy's port <see cref="PythonSolution.Port"/>, when it started.</summary>
    public PythonSolution? Python { get; }

    private ReferenceProxy(Container container, string authHeader, PythonSolution? python) =>
        (Container, AuthHeader, Python) = (container, authHeader, python);

    /// <summary>Starts it, or says why not and returns null: (d) is a reference, and the runs the
    /// targets name do not depend on it.</summary>
    public static async Task<ReferenceProxy?> TryStartAsync(Stack stack, Container gateway, IReadOnlyList<Container> replicas, string workDir, bool python)
    {
        try
        {
            return await StartAsync(stack, gateway, replicas, workDir, python);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
        {
            Console.WriteLine($"  (d) skipped: {ex.Message}");
            return null;
        }
    }

    private static async Task<ReferenceProxy> StartAsync(Stack stack, Container gateway, IReadOnlyList<Container> replicas, string workDir, bool python)
    {
        var inspect = (await Docker.RunAsync("inspect", "-f",
            "{{.Image}} {{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", gateway.Id)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (image, network) = (inspect[0], inspect[1]);
        var addresses = new List<string>();
        foreach (var replica in replicas)
            addresses.Add((await Docker.RunAsync("inspect", "-f",
                $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", replica.Id)).Trim());

        var pythonSolution = python ? await PythonSolution.TryStartAsync(stack.RepoRoot, network) : null;
        var config = Path.Combine(workDir, "reference-nginx.conf");
        File.WriteAllText(config, Config(addresses, pythonSolution?.Addresses ?? []));
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var htpasswd = Path.Combine(workDir, "reference.htpasswd");
        File.WriteAllText(htpasswd, SshaLine(AuthUser, password));
        await RemoveAsync(); // left by a run that was interrupted
        // No --rm: if it fails to start, its log says why; DisposeAsync removes it.
        await Docker.RunAsync("run", "--detach", "--name", Name, "--network", network,
            "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
            "--volume", $"{config}:/etc/nginx/reference.conf:ro",
            "--volume", $"{htpasswd}:/work/reference.htpasswd:ro",
            "--volume", $"{Path.Combine(stack.RepoRoot, "deployments", "nginx", "certs")}:/certs:ro",
            "--entrypoint", "nginx", image, "-c", "/etc/nginx/reference.conf", "-g", "daemon off;");
        try
        {
            var proxy = new ReferenceProxy(await Container.InspectAsync("reference", Name) with { Label = "reference nginx" },
                "authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{AuthUser}:{password}")), pythonSolution);
            await proxy.WaitListeningAsync(ports: [8081, 8444, .. Features.Select(f => f.Port), .. pythonSolution is null ? Array.Empty<int>() : [PythonSolution.Port]]);
            return proxy;
        }
        catch
        {
            await RemoveAsync();
            if (pythonSolution is not null) await pythonSolution.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The bare proxy (plain 8081, TLS 8444) and, each on a TLS port of its own, the bare proxy plus
    /// one of the gateway's features, written as the gateway writes it (deployments/nginx): what
    /// (e) measures, so a user can see which feature costs what. Every directive here, the gateway
    /// has too.
    /// </summary>
    internal static readonly IReadOnlyList<Feature> Features =
    [
        new("e TLS + basic auth", 8445, "auth_basic + {SSHA} htpasswd, checked per request"),
        new("e TLS + access log", 8446, "the gateway's JSON access line, buffered, to stdout"),
        new("e TLS + limits", 8447, "limit_req + limit_conn per client address, body and header caps"),
        new("e TLS + routing", 8448, "A/B maps, a variable upstream, request and security headers"),
    ];

    /// <summary>One feature of the gateway, alone on top of the bare TLS proxy.</summary>
    internal sealed record Feature(string Name, int Port, string What)
    {
        public string Url => $"https://127.0.0.1:{Port}/predict";
    }

    /// <summary>The user and password of the (e) basic-auth listener, made up per run.</summary>
    internal const string AuthUser = "loadtest";

    internal static string Config(IEnumerable<string> replicaAddresses, IReadOnlyList<string> pythonAddresses) => $$"""
        # make loadtest's reference proxy (ReferenceProxy.cs): the gateway less its features, then
        # the same with one feature at a time (deployments/nginx has each of them).
        worker_processes auto;
        pid /tmp/nginx.pid;
        error_log stderr warn;
        events { worker_connections 4096; }
        http {
            access_log off;
            keepalive_requests 100000;
            client_body_temp_path /tmp/client_body;
            proxy_temp_path       /tmp/proxy;
            fastcgi_temp_path     /tmp/fastcgi;
            uwsgi_temp_path       /tmp/uwsgi;
            scgi_temp_path        /tmp/scgi;
            ssl_certificate     /certs/nginx.crt;
            ssl_certificate_key /certs/nginx.key;
            upstream api_v1 {
        {{string.Concat(replicaAddresses.Select(a => $"        server {a}:8080;\n"))}}        keepalive 128;
                keepalive_requests 100000;
            }

            # bare: plain and TLS
            server {
                listen 8081;
                listen 8444 ssl;
                location = /predict { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api_v1; }
            }

            # + basic auth (conf.d and sites/api-https.conf: auth_basic, the {SSHA} form of 30-htpasswd.envsh)
            server {
                listen 8445 ssl;
                location = /predict {
                    auth_basic "loadtest";
                    auth_basic_user_file /work/reference.htpasswd;
                    proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Authorization "";
                    proxy_pass http://api_v1;
                }
            }

            # + access log (conf.d/logging.conf: the same fields, buffer and flush)
            log_format reference_json escape=json
                '{"time":"$time_iso8601","request_id":"$request_id","remote_addr":"$remote_addr",'
                '"method":"$request_method","uri":"$request_uri","protocol":"$server_protocol","status":$status,'
                '"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"upstream_addr":"$upstream_addr",'
                '"upstream_status":"$upstream_status","upstream_response_time":"$upstream_response_time",'
                '"variant":"$reference_variant","experiment_group":"$http_x_experiment_group",'
                '"requested_variant":"$reference_variant","shadow":"","user_agent":"$http_user_agent"}';
            map $upstream_addr $reference_variant { "" ""; default v1; }
            server {
                listen 8446 ssl;
                access_log /dev/stdout reference_json buffer=64k flush=1s;
                location = /predict { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api_v1; }
            }

            # + limits (conf.d/rate-limits.conf, conf.d/client-limits.conf; the rate lifted as for (b))
            limit_req_zone  $binary_remote_addr zone=reference_rps:10m rate=1000000r/s;
            limit_conn_zone $binary_remote_addr zone=reference_conn:10m;
            server {
                listen 8447 ssl;
                client_header_timeout 10s;
                client_body_timeout 10s;
                send_timeout 10s;
                large_client_header_buffers 4 8k;
                limit_conn reference_conn 512;
                location = /predict {
                    limit_req zone=reference_rps burst=1000000 nodelay;
                    client_max_body_size    16k;
                    client_body_buffer_size 16k;
                    proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api_v1;
                }
            }

            # + routing and headers (conf.d/ab-routing.conf, snippets/proxy-api.conf, snippets/response-headers.conf)
            map $http_x_client_id $reference_client_key { "" $remote_addr; default $http_x_client_id; }
            map $http_x_experiment_group $reference_pool { default api_v1; debug api_v1; }
            map $reference_pool $reference_requested { default v1; api_v2 v2; }
            map $upstream_http_x_variant $reference_routed_to { "" $reference_requested; default $upstream_http_x_variant; }
            server {
                listen 8448 ssl;
                location = /predict {
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host                $host;
                    proxy_set_header X-Request-Id        $request_id;
                    proxy_set_header X-Real-IP           $remote_addr;
                    proxy_set_header X-Forwarded-For     $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto   $scheme;
                    proxy_set_header Authorization       "";
                    proxy_set_header X-Requested-Variant $reference_requested;
                    proxy_set_header X-Client-Key        $reference_client_key;
                    proxy_hide_header X-Variant;
                    proxy_pass http://$reference_pool;
                    add_header X-Request-Id $request_id always;
                    add_header Strict-Transport-Security "max-age=31536000" always;
                    add_header X-Content-Type-Options "nosniff" always;
                    add_header X-Frame-Options "DENY" always;
                    add_header Referrer-Policy "no-referrer" always;
                    add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
                    add_header X-Routed-To     $reference_routed_to always;
                    add_header X-Upstream-Addr $upstream_addr always;
                }
            }
        {{(pythonAddresses.Count == 0 ? "" : $$"""

                # (p) the Python solution's replicas (PythonSolution.cs) behind the bare TLS proxy
                upstream python {
            {{string.Concat(pythonAddresses.Select(a => $"            server {a}:8000;\n"))}}            keepalive 128;
                    keepalive_requests 100000;
                }
                server {
                    listen {{PythonSolution.Port}} ssl;
                    location = /predict { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://python; }
                }
        """)}}
        }
        """;

    /// <summary>An htpasswd line in the {SSHA} form the gateway stores a generated password in
    /// (deployments/nginx/docker-entrypoint.d/30-htpasswd.envsh): base64(SHA1(password . salt) . salt).</summary>
    internal static string SshaLine(string user, string password)
    {
        var salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var digest = System.Security.Cryptography.SHA1.HashData([.. System.Text.Encoding.UTF8.GetBytes(password), .. salt]);
        return $"{user}:{{SSHA}}{Convert.ToBase64String([.. digest, .. salt])}\n";
    }

    private async Task WaitListeningAsync(int[] ports)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var tcp = $"/proc/{Container.Pid}/net/tcp";
            if (!File.Exists(tcp) || DateTime.UtcNow > deadline)
            {
                var logs = await ProcessRunner.RunAsync("docker", ["logs", Name], Docker.Timeout);
                throw new InvalidOperationException($"the reference nginx did not listen on {string.Join(", ", ports)}: {logs.Stderr.Trim()}");
            }
            // /proc/PID/net/tcp: local address "0100007F:1F91"-style, state 0A = LISTEN.
            var listening = File.ReadLines(tcp)
                .Skip(1)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f[3] == "0A")
                .Select(f => int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
                .ToHashSet();
            if (ports.All(listening.Contains)) return;
            await Task.Delay(100);
        }
    }

    private static Task RemoveAsync() => ProcessRunner.RunAsync("docker", ["rm", "--force", Name], Docker.Timeout);

    public async ValueTask DisposeAsync()
    {
        await RemoveAsync();
        if (Python is not null) await Python.DisposeAsync();
    }
}
