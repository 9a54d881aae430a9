using System.Text.RegularExpressions;
using Aspire.Hosting;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// The AppHost built for publishing (as `aspire publish` builds it), its compose file rendered in-process by
/// the publishing step's own code, relative to the repository root where `make publish` writes it. No container runs.
/// </summary>
public sealed class PublishedCompose : IAsyncLifetime
{
    private IDistributedApplicationTestingBuilder _builder = null!;
    private DistributedApplication _app = null!;

    /// <summary>Where the AppHost's own publish pipeline may write (it does, when the testing host runs it):
    /// anywhere but the repository, whose docker-compose.yml is what the tests compare against.</summary>
    private readonly string _output = Directory.CreateTempSubdirectory("mlopsexam-publish-").FullName;

    public string Text { get; private set; } = null!;
    public ComposeFile File { get; private set; } = null!;
    public IReadOnlyList<IResource> Resources { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlopsExam_AppHost>(
            ["--operation", "publish", "--step", "publish", "--output-path", _output]);
        _app = await _builder.BuildAsync();
        Text = await RenderAsync();
        StackText = await RenderStackAsync();
        File = ComposeFile.Parse(Text, RepoLayout.Root);
        Resources = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.ToList();
    }

    /// <summary>docker-stack.yml as the Swarm publishing step writes it.</summary>
    public string StackText { get; private set; } = null!;

    public Task<string> RenderStackAsync() => _app.Services.GetRequiredKeyedService<ComposePublisher>("swarm").RenderAsync(
        _app.Services.GetRequiredService<DistributedApplicationModel>(),
        _app.Services.GetRequiredService<DistributedApplicationExecutionContext>(),
        RepoLayout.Root);

    /// <summary>docker-stack.cluster.yml as its publishing step writes it (from the Swarm stack's model).</summary>
    public Task<string> RenderClusterAsync() => MlopsExam.AppHost.Publishing.ClusterDeliverable.RenderAsync(
        _app.Services.GetRequiredKeyedService<ComposePublisher>("swarm"),
        _app.Services.GetRequiredService<DistributedApplicationModel>(),
        _app.Services.GetRequiredService<DistributedApplicationExecutionContext>(),
        RepoLayout.Root);

    public Task<string> RenderAsync() => _app.Services.GetRequiredService<ComposePublisher>().RenderAsync(
        _app.Services.GetRequiredService<DistributedApplicationModel>(),
        _app.Services.GetRequiredService<DistributedApplicationExecutionContext>(),
        RepoLayout.Root);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _builder.Dispose();
        Directory.Delete(_output, recursive: true);
    }
}

/// <summary>
/// docker-compose.yml is the output of `make publish`: the first test fails as soon as publishing again would
/// change it (an AppHost edit without `make publish`, or a hand edit of the file). The others hold what the
/// compose stack promises, read from what publishing writes.
/// </summary>
public sealed class PublishedComposeTests(PublishedCompose published) : IClassFixture<PublishedCompose>
{
    private ComposeFile Compose => published.File;

    [Fact]
    public void Docker_compose_yml_is_what_make_publish_writes() => SameAsPublished("docker-compose.yml", published.Text);

    [Fact]
    public void Docker_stack_yml_is_what_make_publish_writes() => SameAsPublished("docker-stack.yml", published.StackText);

    [Fact]
    public async Task Docker_stack_cluster_yml_is_what_make_publish_writes() => SameAsPublished("docker-stack.cluster.yml", await published.RenderClusterAsync());

    [Fact]
    public async Task The_cluster_file_pins_the_gateway_and_state_and_spreads_api_v1()
    {
        var text = await published.RenderClusterAsync();
        var stack = ComposeFile.Parse(published.StackText, RepoLayout.Root);
        // Every service's image (all built here) comes from the registry, with the version tag.
        Assert.Equal(stack.Services.Count, Regex.Matches(text,
            @"image: \$\{CLUSTER_REGISTRY:-mlopsexam-registry:5000\}/mlopsexam-[a-z-]+:\$\{CLUSTER_TAG:\?CLUSTER_TAG_unset\}").Count);
        Assert.Contains("max_replicas_per_node: 2", text);
        Assert.Single(Regex.Matches(text, "node.labels.edge == true"));
        Assert.Equal(2, Regex.Matches(text, "node.labels.state == true").Count);
        Assert.Contains("target: /etc/nginx/certs/nginx.key", text);
        Assert.DoesNotContain("deployments/nginx/certs:", text);
    }

    [Fact]
    public void The_swarm_stack_adapts_the_compose_services_to_swarm()
    {
        var stack = ComposeFile.Parse(published.StackText, RepoLayout.Root);
        // The same services, images and environment as compose.
        Assert.Equal(Compose.Services.Keys.Order(), stack.Services.Keys.Order());
        foreach (var (name, service) in Compose.Services)
            Assert.Equal(service.Environment, stack.Services[name].Environment);
        Assert.Contains("version: \"3.8\"", published.StackText);
        // Every task address for the watcher; client addresses kept; Prometheus not published anywhere.
        Assert.Equal(7, Regex.Matches(published.StackText, "endpoint_mode: dnsrr").Count);
        Assert.Equal(2, Regex.Matches(published.StackText, "mode: host").Count);
        Assert.Empty(stack.Services["prometheus"].Ports);
        Assert.Empty(stack.Services["dashboard"].Ports);
        Assert.Contains("order: start-first", published.StackText);
        Assert.All(stack.Services.Values, s => Assert.Empty(s.DependsOn));
        Assert.Contains("uid: \"10101\"", published.StackText);
        Assert.Contains("update_config:", published.StackText);

        // What a resource changes for Swarm alone (PublishAsSwarmService) stays out of docker-compose.yml.
        Assert.DoesNotContain("mode: host", published.Text);
        Assert.DoesNotContain("update_config", published.Text);
        Assert.DoesNotContain("uid: ", published.Text);
        Assert.NotEmpty(Compose.Services["prometheus"].Ports);
    }

    [Fact]
    public void The_header_lists_each_variable_with_its_parameters_description()
    {
        // AddSetting(...).WithDescription(...) in AppHost.cs: one source for the dashboard and the file.
        Assert.Contains("#   RATE_LIMIT_RPS                10     /predict requests per second per client address\n", published.Text);
        Assert.Contains("#   CANARY_PERCENT                0      share of clients (X-Client-Id, else address) sent to v2\n", published.Text);
        Assert.Contains("#   API_V2_FAULT_PERCENT          0      share of v2's /predict answered 500 (fault injection)\n", published.Text);
        Assert.DoesNotContain("parameter ", published.Text);
    }

    private static void SameAsPublished(string fileName, string publishedText)
    {
        var committed = System.IO.File.ReadAllText(RepoLayout.Path(fileName));
        if (committed == publishedText) return;

        var expected = publishedText.Split('\n');
        var actual = committed.Split('\n');
        var line = Enumerable.Range(0, Math.Max(expected.Length, actual.Length))
            .First(i => i >= expected.Length || i >= actual.Length || expected[i] != actual[i]);
        Assert.Fail($"{fileName} is not what publishing the app model writes: run `make publish` and commit the file.\n"
            + $"First difference, line {line + 1}:\n  published: {expected.ElementAtOrDefault(line) ?? "(end of file)"}\n"
            + $"  committed: {actual.ElementAtOrDefault(line) ?? "(end of file)"}");
    }

    [Fact]
    public async Task Publishing_is_deterministic()
    {
        Assert.Equal(published.Text, await published.RenderAsync());
        Assert.DoesNotContain(RepoLayout.Root.TrimEnd('/'), published.Text);
        Assert.DoesNotContain("\r", published.Text);
    }

    [Fact]
    public void One_service_per_resource_and_the_v1_replicas_are_one_service_of_three()
    {
        var app = published.Resources.Where(r => r is ProjectResource or ContainerResource)
            .GroupBy(r => r.Annotations.OfType<ComposeReplicaOfAnnotation>().SingleOrDefault()?.ServiceName ?? r.Name)
            .Select(g => $"{g.Key} x{g.Count()}");
        var compose = Compose.Services.Values.Select(s => $"{s.Name} x{s.Replicas}");

        Assert.Equal(["api-v1 x3", "api-v2 x1", "dashboard x1", "gateway x1", "gateway-exporter x1", "postgres x1", "prometheus x1"], compose.Order());
        Assert.Equal(app.Order(), compose.Order());
    }

    [Theory]
    [InlineData("api-v1", "v1", "false")]
    [InlineData("api-v2", "v2", "true")]
    public void Each_api_service_runs_its_variant_and_model_from_the_mounted_store(string service, string variant, string debug)
    {
        var env = Compose.Services[service].Environment;
        var expected = new Dictionary<string, string?>
        {
            ["Serving__Variant"] = variant,
            ["Serving__ModelPath"] = $"/models/sentiment-{variant}.zip",
            ["Serving__IncludeDebugFields"] = debug,
            // Thread pools sized for more replicas than cores (AppHost's Api/ApiResourceBuilderExtensions.cs).
            ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "1",
            ["DOTNET_HillClimbing_Disable"] = "1",
        };
        // The champion copies the requests the gateway marks X-Shadow: 1 to the challenger.
        if (variant == "v1") expected["Serving__ShadowUrl"] = "http://api-v2:8080";
        // Fault injection, the challenger's alone, off unless the variables are set.
        if (variant == "v2")
        {
            expected["Serving__FaultPercent"] = "${API_V2_FAULT_PERCENT:-0}";
            expected["Serving__FaultDelayMs"] = "${API_V2_FAULT_DELAY_MS:-0}";
        }
        // The payload log and feedback: the database without its password, which is a secret file.
        expected["ConnectionStrings__postgres"] = "Host=postgres;Port=5432;Username=postgres;Database=feedback";
        expected["PayloadLog__PasswordFile"] = "/run/secrets/postgres_password";
        // Traces, metrics and structured logs to the dashboard, named as the service (each replica an instance).
        expected["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://dashboard:18889";
        expected["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
        expected["OTEL_SERVICE_NAME"] = service;
        expected["OTEL_METRIC_EXPORT_INTERVAL"] = "10000";
        Assert.Equal(expected, env);
        // Models are not in the image: the repository's models/ (the store the selection files live in), read-only.
        Assert.Contains(Compose.Services[service].Mounts, m => m.Source == RepoLayout.Path("models") && m.Target == "/models" && m.ReadOnly);
    }

    [Fact]
    public void The_gateway_gets_its_upstreams_credentials_and_rate_limit_from_compose_variables()
    {
        var env = Compose.Services["gateway"].Environment.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["API_V1_SERVERS"] = "api-v1:8080",
            ["API_V2_SERVERS"] = "api-v2:8080",
            ["BASIC_AUTH_USER"] = "${BASIC_AUTH_USER:-mlops}",
            // The password itself never: a secret file the gateway reads.
            ["BASIC_AUTH_PASSWORD_FILE"] = "/run/secrets/basic_auth_password",
            ["PUBLIC_HTTPS_PORT"] = "${GATEWAY_HTTPS_PORT:-443}",
            ["RATE_LIMIT_RPS"] = "${RATE_LIMIT_RPS:-10}",
            ["RATE_LIMIT_BURST"] = "${RATE_LIMIT_BURST:-5}",
            ["GATEWAY_MAX_INFLIGHT"] = "${GATEWAY_MAX_INFLIGHT:-128}",
            ["GATEWAY_TRACE_SAMPLE_PERCENT"] = "${GATEWAY_TRACE_SAMPLE_PERCENT:-10}",
            ["CANARY_PERCENT"] = "${CANARY_PERCENT:-0}",
            ["SHADOW_PERCENT"] = "${SHADOW_PERCENT:-0}",
        }, env);
        Assert.Contains("basic_auth_password:\n    file: ./.secrets/basic_auth_password", File.ReadAllText(RepoLayout.Path("docker-compose.yml")));
        Assert.Equal(new Dictionary<string, string?> { ["NGINX_STATUS_URI"] = "http://gateway:8081/stub_status" }, Compose.Services["gateway-exporter"].Environment);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["SCRAPE_API_V1"] = "api-v1:8080",
            ["SCRAPE_API_V2"] = "api-v2:8080",
            ["SCRAPE_GATEWAY"] = "gateway-exporter:9113",
            ["RETENTION_TIME"] = "${PROMETHEUS_RETENTION_TIME:-15d}",
            ["RETENTION_SIZE"] = "${PROMETHEUS_RETENTION_SIZE:-512MB}",
            // The canary weight file on the gateway's internal port (job gateway-canary).
            ["SCRAPE_GATEWAY_CANARY"] = "gateway:8081",
        }, Compose.Services["prometheus"].Environment);
    }

    [Fact]
    public async Task The_basic_auth_password_is_required_from_the_environment_never_written()
    {
        var password = Assert.IsType<ParameterResource>(published.Resources.Single(r => r.Name == "basic-auth-password"));
        var value = await password.GetValueAsync(CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(value));
        Assert.DoesNotContain(value!, published.Text);
    }

    [Fact]
    public void Only_the_gateway_publishes_ports_80_and_443_to_other_machines()
    {
        var compose = Compose.Services.Values.SelectMany(s => s.Ports.Where(p => p.HostIp is null).Select(p => $"{s.Name} {p.Host}:{p.Container}"));
        // nginx listens on unprivileged ports inside its container.
        Assert.Equal(["gateway 443:8443", "gateway 80:8080"], compose.Order());
        Assert.Contains("\"${GATEWAY_HTTP_PORT:-80}:8080\"", published.Text);
        Assert.Contains("\"${GATEWAY_HTTPS_PORT:-443}:8443\"", published.Text);
    }

    [Fact]
    public void Prometheus_and_the_dashboard_alone_publish_on_loopback_as_the_exercise_template_does()
    {
        var compose = Compose.Services.Values.SelectMany(s => s.Ports.Where(p => p.HostIp is not null).Select(p => $"{s.Name} {p.HostIp}:{p.Host}:{p.Container}"));
        Assert.Equal(["dashboard 127.0.0.1:18888:18888", "prometheus 127.0.0.1:9090:9090"], compose.Order());
        Assert.Contains("\"127.0.0.1:${DASHBOARD_PORT:-18888}:18888\"", published.Text);
        Assert.Contains("\"127.0.0.1:${PROMETHEUS_PORT:-9090}:9090\"", published.Text);
    }

    [Fact]
    public void Images_are_built_from_the_repository_dockerfiles_and_the_api_image_once_for_both_variants()
    {
        string Describe(ParsedService s) => s.Build is null ? $"{s.Name}: runs {s.Image}"
            : $"{s.Name}: builds {s.Image} from {Path.GetRelativePath(RepoLayout.Root, s.Build.Dockerfile)} ({s.Build.Target ?? "last stage"}) in {Path.GetRelativePath(RepoLayout.Root, s.Build.Context)}";
        Assert.Equal(
        [
            "api-v1: builds mlopsexam-api:local from MlopsExam.Api/Dockerfile (last stage) in .",
            "api-v2: runs mlopsexam-api:local",
            "gateway: builds mlopsexam-gateway:local from deployments/nginx/Dockerfile (gateway) in deployments",
            "gateway-exporter: builds mlopsexam-gateway-exporter:local from deployments/nginx/Dockerfile (exporter) in deployments",
            "prometheus: builds mlopsexam-prometheus:local from deployments/prometheus/Dockerfile (last stage) in deployments",
            "postgres: builds mlopsexam-postgres:local from deployments/postgres/Dockerfile (last stage) in deployments/postgres",
            "dashboard: builds mlopsexam-dashboard:local from deployments/dashboard/Dockerfile (last stage) in deployments/dashboard",
        ], Compose.Services.Values.Select(Describe));

        // The service that runs an image another builds never pulls it (a fresh machine has no such image in any
        // registry); Swarm ignores pull_policy, and make swarm-up builds the images first.
        Assert.Contains("  api-v2:\n    image: mlopsexam-api:local\n    pull_policy: never\n", published.Text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(published.Text, "pull_policy:"));
        Assert.DoesNotContain("pull_policy", published.StackText);

        // The same Dockerfiles and stages as the AppHost runs.
        foreach (var resource in published.Resources.Where(r => r.Annotations.OfType<DockerfileBuildAnnotation>().Any()))
        {
            var annotation = resource.Annotations.OfType<DockerfileBuildAnnotation>().Single();
            var build = Compose.Services[resource.Name].Build!;
            Assert.Equal((resource.Name, Path.GetFullPath(annotation.ContextPath).TrimEnd('/'), annotation.Stage),
                (resource.Name, build.Context.TrimEnd('/'), build.Target));
        }
    }

    /// <summary>The database: hardened like the others, no port published, its password a secret file shared with the
    /// api services only, its data in a named volume.</summary>
    [Fact]
    public void Postgres_publishes_no_port_reads_its_password_from_a_secret_and_is_hardened()
    {
        var postgres = Compose.Services["postgres"];
        Assert.Empty(postgres.Ports);
        Assert.Equal("/run/secrets/postgres_password", postgres.Environment["POSTGRES_PASSWORD_FILE"]);
        Assert.DoesNotContain("POSTGRES_PASSWORD", postgres.Environment.Keys);
        Assert.All(Compose.Services.Values, s => Assert.DoesNotContain(s.Environment.Values, v => v?.Contains("Password=", StringComparison.OrdinalIgnoreCase) == true));
        Assert.NotNull(postgres.Healthcheck);

        var yaml = published.Text[published.Text.IndexOf("\n  postgres:\n", StringComparison.Ordinal)..];
        yaml = yaml[..yaml.IndexOf("\n\n", StringComparison.Ordinal)];
        Assert.Contains("read_only: true", yaml);
        Assert.Contains("cap_drop:\n      - ALL", yaml);
        Assert.Contains("no-new-privileges:true", yaml);
        Assert.Contains("/var/run/postgresql:uid=999,gid=999", yaml);
        Assert.Contains("secrets:\n      - postgres_password", yaml);
        Assert.Contains("postgres_password:\n    file: ./.secrets/postgres_password", published.Text);
    }

    [Fact]
    public void The_apis_mount_the_model_store_the_gateway_its_certificate_folder_and_prometheus_keeps_its_data_in_a_volume()
    {
        var mounts = Compose.Services.Values.SelectMany(s => s.Mounts.Select(m =>
            $"{s.Name}: {(m.Source is null ? "(volume)" : Path.GetRelativePath(RepoLayout.Root, m.Source))} -> {m.Target}{(m.ReadOnly ? " (ro)" : "")}"));
        Assert.Equal(
        [
            "api-v1: models -> /models (ro)",
            "api-v2: models -> /models (ro)",
            "gateway: deployments/nginx/certs -> /etc/nginx/certs",
            // The canary weight set at run time (canary-weight.sh) outlives the container.
            "gateway: (volume) -> /var/lib/gateway",
            "prometheus: (volume) -> /var/lib/prometheus/metrics2",
            "postgres: (volume) -> /var/lib/postgresql/data",
        ], mounts);
    }

    [Fact]
    public void Each_service_starts_once_what_it_needs_is_healthy()
    {
        var compose = Compose.Services.Values.SelectMany(s => s.DependsOn.Select(d => $"{s.Name} -> {d.Key}: {d.Value}"));
        Assert.Equal(
        [
            "gateway -> api-v1: service_healthy",
            "gateway -> api-v2: service_healthy",
            "gateway-exporter -> gateway: service_healthy",
            "prometheus -> api-v1: service_healthy",
            "prometheus -> api-v2: service_healthy",
            "prometheus -> gateway-exporter: service_healthy",
        ], compose.Order());
    }

    [Fact]
    public void Every_service_has_its_images_healthcheck_probed_every_2_seconds_after_a_120_second_start_period()
    {
        foreach (var service in Compose.Services.Values)
        {
            Assert.True(service.Healthcheck is not null, $"{service.Name} has no healthcheck");
            var fields = service.Healthcheck.Children.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());
            // A model that loads slowly on a busy machine is not marked unhealthy (its failed probes do not count then).
            Assert.Equal(new Dictionary<string, string> { ["interval"] = "2s", ["start_period"] = "120s" }, fields);
            // No test of its own: the image's HEALTHCHECK, from this service's build or the one that builds the same image.
            var build = service.Build ?? Compose.Services.Values.Single(s => s.Build is not null && s.Image == service.Image).Build!;
            Assert.True(StageHasHealthcheck(build.Dockerfile, build.Target),
                $"{service.Name}: no HEALTHCHECK in {build.Dockerfile} (stage {build.Target ?? "last"})");
        }
    }

    [Fact]
    public void Nothing_aspire_adds_to_run_a_project_reaches_the_compose_services()
    {
        // The OTLP settings the app model gives the api services on purpose (Dashboard/), and nothing else of OTEL_.
        string[] otlp = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_METRIC_EXPORT_INTERVAL"];
        var names = Compose.Services.Values.SelectMany(s => s.Environment.Keys
            .Where(k => !(s.Name.StartsWith("api-", StringComparison.Ordinal) && otlp.Contains(k)))
            .Select(k => $"{s.Name}: {k}")).ToList();
        // DOTNET_ variables only the two the app model sets on purpose (the thread pool's size).
        Assert.DoesNotContain(names, n => Regex.IsMatch(n,
            @": (OTEL_|ASPNETCORE_|DOTNET_(?!ThreadPool_ForceMinWorkerThreads$|HillClimbing_Disable$)|HTTPS?_PORTS|services__|Logging__)", RegexOptions.IgnoreCase));
        // Each replica names itself (its hostname) under compose.
        Assert.DoesNotContain(names, n => n.EndsWith("Serving__InstanceId", StringComparison.Ordinal));
    }

    /// <summary>Whether the stage <paramref name="target"/> (null: the last) of a Dockerfile declares a HEALTHCHECK.</summary>
    private static bool StageHasHealthcheck(string dockerfile, string? target)
    {
        var stages = new List<(string? Name, List<string> Lines)>();
        foreach (var line in System.IO.File.ReadLines(dockerfile).Select(l => l.Trim()))
        {
            var from = Regex.Match(line, @"^FROM\s+\S+(?:\s+AS\s+(\S+))?", RegexOptions.IgnoreCase);
            if (from.Success) stages.Add((from.Groups[1].Success ? from.Groups[1].Value : null, []));
            else if (stages.Count > 0) stages[^1].Lines.Add(line);
        }
        var stage = target is null ? stages[^1] : stages.Single(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase));
        return stage.Lines.Any(l => Regex.IsMatch(l, @"^HEALTHCHECK\s+(?!NONE\b)", RegexOptions.IgnoreCase));
    }
}
