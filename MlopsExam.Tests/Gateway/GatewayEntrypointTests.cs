using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// The gateway image's entrypoint (deployments/nginx/docker-entrypoint.sh and the scripts of its
/// docker-entrypoint.d/): the settings it reads become the configuration nginx loads (`nginx -T`,
/// includes inlined, so the test holds whichever file a directive lives in), and a bad setting
/// stops the container with exit code 64 and a message naming it. The image compose builds, run
/// without a stack: names resolve through --add-host, no port is published.
/// </summary>
/// In the stacks' collection, as <see cref="GatewayPasswordStorageTests"/>: it builds the same image.
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed partial class GatewayEntrypointTests
{
    private const string Image = "mlopsexam-gateway:local";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<bool> Built = new(() =>
    {
        DockerPrerequisite.EnsureRunning();
        var (code, output) = Shell.Run("docker",
            ["build", "--quiet", "--file", RepoLayout.Path("deployments", "nginx", "Dockerfile"), "--target", "gateway",
             "--tag", Image, RepoLayout.Path("deployments")], Timeout,
            environment: new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "1" });
        Assert.True(code == 0, output);
        return true;
    });

    /// <summary>Runs <paramref name="command"/> through the image's entrypoint with these settings
    /// (a generated password unless one is given; the watcher off) and returns its exit code and output.</summary>
    private static (int Code, string Output) Run(Dictionary<string, string> settings, IEnumerable<string> hosts, params string[] command)
    {
        _ = Built.Value;
        var environment = new Dictionary<string, string>(settings);
        environment.TryAdd("BASIC_AUTH_PASSWORD", RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24));
        environment.TryAdd("UPSTREAM_WATCH_INTERVAL", "0");
        // Values reach `docker run` through its environment (-e NAME), never its command line.
        List<string> args = ["run", "--rm", .. environment.Keys.SelectMany(name => new[] { "-e", name }), .. hosts.Select(h => $"--add-host={h}"), Image, .. command];
        return Shell.Run("docker", args, Timeout, environment: environment);
    }

    /// <summary>The configuration nginx loads, from `nginx -T`: every include replaced by the files it
    /// names, comments dropped, whitespace collapsed to single spaces.</summary>
    private static string EffectiveConfig(Dictionary<string, string> settings, params string[] hosts)
    {
        var (code, output) = Run(settings, hosts, "nginx", "-e", "stderr", "-q", "-T");
        Assert.True(code == 0, output);
        var files = new Dictionary<string, string>();
        string? current = null;
        // The entrypoint's own messages (stderr, after the dump in the output) are no configuration.
        foreach (var line in output.Split('\n').Where(l => !l.StartsWith("gateway-entrypoint:", StringComparison.Ordinal)))
        {
            var header = FileHeader().Match(line);
            if (header.Success) { current = header.Groups[1].Value; files[current] = ""; }
            else if (current is not null) files[current] += Comment().Replace(line, "") + "\n";
        }
        Assert.True(files.ContainsKey("/etc/nginx/nginx.conf"), output);

        string Expand(string path) => Include().Replace(files[path], include =>
        {
            var pattern = include.Groups[1].Value;
            var matcher = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", "[^/]*") + "$");
            var matches = files.Keys.Where(key => matcher.IsMatch(key)).Order(StringComparer.Ordinal).ToList();
            Assert.True(matches.Count > 0 || pattern.Contains('*'), $"nginx -T shows no {pattern}");
            return string.Join("\n", matches.Select(Expand));
        });
        return Whitespace().Replace(Expand("/etc/nginx/nginx.conf"), " ");
    }

    [Fact]
    public void Settings_become_the_directives_nginx_loads()
    {
        var config = EffectiveConfig(new()
        {
            ["API_V1_SERVERS"] = "api-v1:8080, 10.1.0.5:8080",
            ["API_V2_SERVERS"] = "api-v2:8080",
            ["RATE_LIMIT_RPS"] = "7",
            ["RATE_LIMIT_BURST"] = "3",
            ["CANARY_PERCENT"] = "37",
            ["SHADOW_PERCENT"] = "5",
            ["PUBLIC_HTTPS_PORT"] = "4443",
            ["GATEWAY_MAX_INFLIGHT"] = "12",
            ["GATEWAY_TRACE_SAMPLE_PERCENT"] = "3",
        }, "api-v1:10.1.0.1", "api-v2:10.2.0.1");

        // Each name's addresses, v1's as api_v2's backups; the pools' zone and keepalive around them.
        Assert.Contains("upstream api_v1 { zone api_v1 64k; server 10.1.0.1:8080; server 10.1.0.5:8080; keepalive 128; keepalive_requests 100000; keepalive_timeout 60s; }", config);
        Assert.Contains("upstream api_v2 { zone api_v2 64k; server 10.2.0.1:8080; server 10.1.0.1:8080 backup; server 10.1.0.5:8080 backup; keepalive 128; keepalive_requests 100000; keepalive_timeout 60s; }", config);
        Assert.Contains("limit_req_zone $binary_remote_addr zone=predict:10m rate=7r/s;", config);
        // /predict, /feedback and /openapi/v1.json.
        Assert.Equal(3, Regex.Count(config, Regex.Escape("limit_req zone=predict burst=3 nodelay;")));
        Assert.Contains("split_clients \"${experiment_client_key}\" $canary_pool { 37% api_v2; * api_v1; }", config);
        Assert.Contains("split_clients \"${request_id}\" $shadow_copy { 5% \"1\"; * \"\"; }", config);
        Assert.Contains("map $scheme $https_port_suffix { default \":4443\"; }", config);
        // /predict and /feedback: both concurrency limits (the server's per-address one repeated), answered 503.
        Assert.Equal(2, Regex.Count(config, Regex.Escape("limit_conn perip 512; limit_conn inflight 12; limit_conn_status 503;")));
        // Trace sampling: 3 % of the request ids (a key of its own, independent of the shadow share's).
        Assert.Contains("split_clients \"trace-${request_id}\" $trace_sampled_share { 3% 01; * 00; }", config);
    }

    [Fact]
    public void Defaults_route_everything_to_v1_and_a_name_that_does_not_resolve_leaves_a_placeholder()
    {
        var config = EffectiveConfig(new() { ["API_V1_SERVERS"] = "nowhere-v1:8080", ["API_V2_SERVERS"] = "nowhere-v2:8080" });

        Assert.Contains("upstream api_v1 { zone api_v1 64k; server 127.0.0.1:1 down; keepalive 128;", config);
        Assert.Contains("upstream api_v2 { zone api_v2 64k; server 127.0.0.1:1 down; keepalive 128;", config);
        Assert.Contains("limit_req_zone $binary_remote_addr zone=predict:10m rate=10r/s;", config);
        Assert.Contains("limit_req zone=predict burst=5 nodelay;", config);
        // 0 %: constant maps, the seed's routing exactly (split_clients takes no 0 %).
        Assert.Contains("map $nginx_version $canary_pool { default api_v1; }", config);
        Assert.Contains("map $nginx_version $shadow_copy { default \"\"; }", config);
        Assert.DoesNotContain("$canary_pool {", config.Replace("map $nginx_version $canary_pool {", "", StringComparison.Ordinal));
        Assert.DoesNotContain("$shadow_copy {", config.Replace("map $nginx_version $shadow_copy {", "", StringComparison.Ordinal));
        Assert.Contains("map $scheme $https_port_suffix { default \"\"; }", config);
        // Traces: 10 % of the requests, a client's traceparent flags deciding for its own; the replica gets the flags.
        Assert.Contains("split_clients \"trace-${request_id}\" $trace_sampled_share { 10% 01; * 00; }", config);
        Assert.Contains("map $http_traceparent $trace_flags {", config);
        Assert.Contains("proxy_set_header traceparent \"00-$request_id-$gateway_span_id-$trace_flags\";", config);
        Assert.Contains("limit_conn_zone $server_name zone=inflight:1m;", config);
        Assert.Contains("limit_conn inflight 128;", config);
    }

    [Fact]
    public void Full_shares_are_constant_maps_and_v2_without_an_address_takes_v1s_servers()
    {
        var config = EffectiveConfig(new()
        {
            ["API_V1_SERVERS"] = "api-v1:8080",
            ["API_V2_SERVERS"] = "nowhere-v2:8080",
            ["CANARY_PERCENT"] = "100",
            ["SHADOW_PERCENT"] = "100",
            ["GATEWAY_TRACE_SAMPLE_PERCENT"] = "100",
        }, "api-v1:10.1.0.1");

        Assert.Contains("upstream api_v2 { zone api_v2 64k; server 10.1.0.1:8080; keepalive 128;", config);
        Assert.Contains("map $nginx_version $canary_pool { default api_v2; }", config);
        Assert.Contains("map $nginx_version $shadow_copy { default \"1\"; }", config);
        Assert.Contains("map $nginx_version $trace_sampled_share { default 01; }", config);
    }

    [Theory]
    [InlineData("API_V1_SERVERS=", "API_V1_SERVERS is required")]
    [InlineData("API_V1_SERVERS=api-v1", "API_V1_SERVERS: 'api-v1' is not host:port")]
    [InlineData("API_V2_SERVERS=api-v2:http", "API_V2_SERVERS: 'api-v2:http' has no numeric port")]
    [InlineData("RATE_LIMIT_RPS=0", "RATE_LIMIT_RPS must be a whole number of requests per second >= 1, got '0'")]
    [InlineData("GATEWAY_MAX_INFLIGHT=0", "GATEWAY_MAX_INFLIGHT must be a whole number of requests >= 1, got '0'")]
    [InlineData("GATEWAY_TRACE_SAMPLE_PERCENT=5.5", "GATEWAY_TRACE_SAMPLE_PERCENT must be a whole percentage 0-100, got '5.5'")]
    [InlineData("CANARY_PERCENT=101", "CANARY_PERCENT must be a whole percentage 0-100, got '101'")]
    [InlineData("PUBLIC_HTTPS_PORT=65536", "PUBLIC_HTTPS_PORT out of range: 65536")]
    [InlineData("BASIC_AUTH_HASH=md5", "BASIC_AUTH_HASH must be auto, ssha or sha512crypt, got 'md5'")]
    [InlineData("BASIC_AUTH_USER=a:b", "BASIC_AUTH_USER must be non-empty, without ':' or spaces")]
    public void A_bad_setting_stops_the_container_with_64_and_names_the_variable(string setting, string message)
    {
        var settings = new Dictionary<string, string> { ["API_V1_SERVERS"] = "127.0.0.1:9", ["API_V2_SERVERS"] = "127.0.0.1:9" };
        var (name, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
        settings[name] = value;

        var (code, output) = Run(settings, [], "nginx", "-e", "stderr", "-t");

        Assert.True(code == 64, $"exit {code}: {output}");
        Assert.Contains($"gateway-entrypoint: error: {message}", output);
    }

    [GeneratedRegex(@"^# configuration file (.+):$")]
    private static partial Regex FileHeader();

    // Our configuration has no '#' inside a quoted string.
    [GeneratedRegex(@"#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\binclude\s+([^;\s]+)\s*;")]
    private static partial Regex Include();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
