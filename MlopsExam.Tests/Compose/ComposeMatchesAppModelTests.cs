using System.Text.RegularExpressions;
using Aspire.Hosting;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// docker-compose.yml and the AppHost describe one architecture twice; these tests fail as soon as
/// either side drifts. No container runs: the AppHost's model is built but not started (as in
/// AppModelTests) and the compose file is read as YAML.
/// <para>
/// The AppHost side is grouped by service: replicas <c>api-v1-1..3</c> (AddApiReplicas) are compose's
/// <c>api-v1</c> with <c>deploy.replicas: 3</c>; every other resource has its compose service's name.
/// </para>
/// </summary>
public sealed partial class ComposeMatchesAppModelTests : IAsyncLifetime
{
    /// <summary>
    /// Environment variables that Aspire adds to what it runs, rather than the product's settings:
    /// compose has no counterpart (or the image sets its own), so they are left out of the comparison.
    /// A trailing * is a prefix; names compare case-insensitively, as .NET configuration reads them.
    /// </summary>
    private static readonly (string Pattern, string Why)[] AspireInjected =
    [
        ("OTEL_*", "OTLP export to the Aspire dashboard (ServiceDefaults exports only when OTEL_EXPORTER_OTLP_ENDPOINT is set); compose runs no dashboard"),
        ("ASPNETCORE_*", "ASPNETCORE_URLS: the port Aspire allocates to each project, where the image listens on its ASPNETCORE_HTTP_PORTS=8080; "
            + "ASPNETCORE_ENVIRONMENT: the AppHost's own environment (Development under make run), where the image runs ASP.NET Core's default, Production"),
        ("HTTP_PORTS", "Kestrel's port for containers Aspire runs; the image sets ASPNETCORE_HTTP_PORTS"),
        ("HTTPS_PORTS", "as HTTP_PORTS"),
        ("DOTNET_*", "console colour and launch settings of the processes Aspire starts; the image sets its own (DOTNET_RUNNING_IN_CONTAINER)"),
        ("LOGGING__*", "Logging__Console__FormatterName: the format Aspire's log collection parses; compose shows the API's own single-line format"),
        ("services__*", "service discovery of WithReference; no service of either stack calls another through it"),
    ];

    /// <summary>Set by the AppHost only, by design.</summary>
    private static readonly Dictionary<string, string> AppHostOnly = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Serving__InstanceId"] = "the AppHost names each replica after its resource (api-v1-2); the replicas of a compose service share one "
            + "environment, so each reports its hostname (its container id), ServingOptions' default",
    };

    private IDistributedApplicationTestingBuilder _builder = null!;
    private Dictionary<string, List<IResource>> _app = null!;
    private ComposeFile _compose = null!;

    public async Task InitializeAsync()
    {
        _builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlopsExam_AppHost>();
        _app = _builder.Resources
            .Where(r => r is ProjectResource or ContainerResource)
            .GroupBy(r => ReplicaSuffix().Replace(r.Name, ""))
            .ToDictionary(g => g.Key, g => g.ToList());
        _compose = ComposeFile.Load(RepoLayout.Path("docker-compose.yml"));
    }

    public Task DisposeAsync()
    {
        _builder.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>AddApiReplicas names replicas {name}-1..n.</summary>
    [GeneratedRegex(@"-\d+$")]
    private static partial Regex ReplicaSuffix();

    [Fact]
    public void Same_services_with_the_same_replica_counts()
    {
        var app = _app.Select(s => $"{s.Key} x{s.Value.Sum(r => r.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1)}");
        var compose = _compose.Services.Values.Select(s => $"{s.Name} x{s.Replicas}");

        Assert.Equal(app.Order(), compose.Order());
        Assert.Equal(["api-v1 x3", "api-v2 x1", "gateway x1", "gateway-exporter x1", "prometheus x1"], compose.Order());
    }

    [Fact]
    public async Task Each_api_service_has_the_same_variant_debug_flag_and_model()
    {
        var apis = _app.Where(s => s.Value.All(r => r is ProjectResource)).Select(s => s.Key).Order().ToList();
        Assert.Equal(["api-v1", "api-v2"], apis);

        foreach (var name in apis)
        {
            // Every replica of a service is configured alike.
            var app = Assert.Single((await Task.WhenAll(_app[name].Select(EnvironmentAsync)))
                .Select(env => Describe((string)env["Serving__Variant"], (string)env["Serving__IncludeDebugFields"], (string)env["Serving__ModelPath"]))
                .Distinct());
            var env = _compose.Services[name].Environment;
            var compose = Describe(env.GetValueOrDefault("Serving__Variant"), env.GetValueOrDefault("Serving__IncludeDebugFields"), env.GetValueOrDefault("Serving__ModelPath"));
            Assert.Equal($"{name}: {app}", $"{name}: {compose}");
        }

        // The model file only: the AppHost passes a host path, compose the path in the image (/app/models).
        static string Describe(string? variant, string? debug, string? modelPath) =>
            $"variant={variant} debug={bool.TryParse(debug, out var d) && d} model={Path.GetFileName(modelPath)}";
    }

    [Fact]
    public void Only_the_gateway_publishes_ports_80_and_443_to_other_machines()
    {
        var app = _app.SelectMany(s => s.Value.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>())
                .Where(e => e.IsExternal).Select(e => $"{s.Key} {e.Port}:{e.TargetPort}"));
        var compose = _compose.Services.Values.SelectMany(s => s.Ports.Where(p => p.HostIp is null).Select(p => $"{s.Name} {p.Host}:{p.Container}"));

        Assert.Equal(app.Order(), compose.Order());
        Assert.Equal(["gateway 443:8443", "gateway 80:8080"], compose.Order());
    }

    [Fact]
    public void Prometheus_alone_publishes_on_loopback_9090_as_the_exercise_template_does()
    {
        var app = _app.SelectMany(s => s.Value.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>())
                .Where(e => !e.IsExternal && e.Port is not null && e.IsProxied).Select(e => $"{s.Key} {e.Port}:{e.TargetPort}"));
        var compose = _compose.Services.Values.SelectMany(s => s.Ports.Where(p => p.HostIp is not null).Select(p => $"{s.Name} {p.HostIp}:{p.Host}:{p.Container}"));

        Assert.Equal(["prometheus 127.0.0.1:9090:9090"], compose);
        Assert.Equal(["prometheus 9090:9090"], app);
    }

    [Fact]
    public async Task Each_service_sets_the_same_environment_variable_names()
    {
        var differences = new List<string>();
        foreach (var name in _app.Keys.Union(_compose.Services.Keys).Order())
        {
            var app = _app.TryGetValue(name, out var resources)
                ? (await Task.WhenAll(resources.Select(EnvironmentAsync))).SelectMany(env => env.Keys)
                    .Where(n => !IsAspireInjected(n) && !AppHostOnly.ContainsKey(n)).ToHashSet(StringComparer.Ordinal)
                : [];
            var compose = _compose.Services.TryGetValue(name, out var service) ? service.Environment.Keys.ToHashSet(StringComparer.Ordinal) : [];
            if (app.Except(compose).Any())
                differences.Add($"{name}: only the AppHost sets {string.Join(", ", app.Except(compose).Order())}");
            if (compose.Except(app).Any())
                differences.Add($"{name}: only compose sets {string.Join(", ", compose.Except(app).Order())}");
        }

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    private static bool IsAspireInjected(string name) => AspireInjected.Any(i => i.Pattern.EndsWith('*')
        ? name.StartsWith(i.Pattern[..^1], StringComparison.OrdinalIgnoreCase)
        : name.Equals(i.Pattern, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Gateway_exporter_and_prometheus_are_built_from_the_same_dockerfiles_and_stages()
    {
        var built = _app.Where(s => s.Value.Any(r => r.Annotations.OfType<DockerfileBuildAnnotation>().Any())).ToList();
        Assert.Equal(["gateway", "gateway-exporter", "prometheus"], built.Select(s => s.Key).Order());

        foreach (var (name, resources) in built)
        {
            var annotation = resources.Single().Annotations.OfType<DockerfileBuildAnnotation>().Single();
            var app = new ComposeBuild(
                Path.GetFullPath(annotation.ContextPath).TrimEnd('/'),
                Path.GetFullPath(Path.Combine(annotation.ContextPath, annotation.DockerfilePath)),
                annotation.Stage);
            var compose = _compose.Services[name].Build;
            Assert.True(compose is not null, $"compose's {name} is not built from a Dockerfile");
            Assert.Equal((name, app), (name, compose with { Context = compose.Context.TrimEnd('/') }));
        }
    }

    [Fact]
    public void The_api_image_is_built_once_from_the_api_project_and_both_variants_run_it()
    {
        var project = _app["api-v1"].Concat(_app["api-v2"]).Cast<ProjectResource>()
            .Select(p => p.Annotations.OfType<IProjectMetadata>().Single().ProjectPath).Distinct().Single();
        var apis = new[] { _compose.Services["api-v1"], _compose.Services["api-v2"] };

        var build = Assert.Single(apis, s => s.Build is not null).Build!;
        Assert.Equal(Path.GetDirectoryName(project), Path.GetDirectoryName(build.Dockerfile));
        Assert.Equal(RepoLayout.Root.TrimEnd('/'), build.Context.TrimEnd('/'));
        Assert.NotNull(apis[0].Image);
        Assert.Equal(apis[0].Image, apis[1].Image);
    }

    [Fact]
    public void Same_bind_mounts()
    {
        // The password file is a `secrets:` entry under compose, a read-only bind mount under the AppHost.
        var app = _app.SelectMany(s => s.Value.SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>())
            .Where(m => !m.Target.StartsWith("/run/secrets/", StringComparison.Ordinal))
            .Select(m => Line(s.Key, m.Type == ContainerMountType.BindMount ? m.Source : null, m.Target, m.IsReadOnly)));
        var compose = _compose.Services.Values.SelectMany(s => s.Mounts.Select(m => Line(s.Name, m.Source, m.Target, m.ReadOnly)));

        Assert.Equal(app.Order(), compose.Order());

        static string Line(string service, string? source, string target, bool readOnly) =>
            $"{service}: {(source is null ? "(volume)" : Path.GetRelativePath(RepoLayout.Root, source))} -> {target}{(readOnly ? " (ro)" : "")}";
    }

    [Fact]
    public void Compose_waits_for_a_healthy_dependency_wherever_the_apphost_waits()
    {
        var app = _app.SelectMany(s => s.Value.SelectMany(r => r.Annotations.OfType<WaitAnnotation>())
                .Select(w => $"{s.Key} -> {ReplicaSuffix().Replace(w.Resource.Name, "")}: {(w.WaitType == WaitType.WaitUntilHealthy ? "service_healthy" : w.WaitType.ToString())}"))
            .Distinct().ToList();
        var compose = _compose.Services.Values.SelectMany(s => s.DependsOn.Select(d => $"{s.Name} -> {d.Key}: {d.Value}")).ToList();

        Assert.NotEmpty(app);
        // Compose may wait for more (prometheus also waits for the apis, to find them at its first scrape).
        Assert.All(app, wait => Assert.Contains(wait, compose));
        Assert.All(compose, wait => Assert.EndsWith(": service_healthy", wait));
    }

    [Fact]
    public void Every_compose_service_has_a_healthcheck_of_its_own_or_from_its_image()
    {
        foreach (var service in _compose.Services.Values)
        {
            var ownTest = service.Healthcheck?.Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode("test")) == true;
            var disabled = service.Healthcheck?.Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode("disable")) == true;
            // The image comes from this service's build, or from the service that builds the same image.
            var build = service.Build ?? _compose.Services.Values.Single(s => s.Build is not null && s.Image == service.Image).Build!;
            Assert.False(disabled, $"{service.Name} disables its healthcheck");
            Assert.True(ownTest || StageHasHealthcheck(build.Dockerfile, build.Target),
                $"{service.Name}: no healthcheck in docker-compose.yml nor in {build.Dockerfile} (stage {build.Target ?? "last"})");
        }
    }

    /// <summary>Whether the stage <paramref name="target"/> (null: the last) of a Dockerfile declares a HEALTHCHECK.</summary>
    private static bool StageHasHealthcheck(string dockerfile, string? target)
    {
        var stages = new List<(string? Name, List<string> Lines)>();
        foreach (var line in File.ReadLines(dockerfile).Select(l => l.Trim()))
        {
            var from = Regex.Match(line, @"^FROM\s+\S+(?:\s+AS\s+(\S+))?", RegexOptions.IgnoreCase);
            if (from.Success) stages.Add((from.Groups[1].Success ? from.Groups[1].Value : null, []));
            else if (stages.Count > 0) stages[^1].Lines.Add(line);
        }
        var stage = target is null ? stages[^1] : stages.Single(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase));
        return stage.Lines.Any(l => Regex.IsMatch(l, @"^HEALTHCHECK\s+(?!NONE\b)", RegexOptions.IgnoreCase));
    }

    /// <summary>The environment the AppHost gives a resource, values unevaluated (names are what is compared;
    /// plain strings, references and parameters alike).</summary>
    private static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource)
    {
        var env = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), env);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            await callback.Callback(context);
        return env;
    }
}
