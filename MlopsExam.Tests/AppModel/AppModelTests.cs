using Aspire.Hosting;

namespace MlopsExam.Tests.AppModel;

/// <summary>
/// The AppHost's model, built but not started: the architecture the README draws. Cheap, and it
/// fails as soon as a resource, a replica, an exposure or a secret drifts.
/// </summary>
public sealed class AppModelTests : IAsyncLifetime
{
    private IDistributedApplicationTestingBuilder _builder = null!;

    public async Task InitializeAsync() =>
        _builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlopsExam_AppHost>();

    public Task DisposeAsync()
    {
        _builder.Dispose();
        return Task.CompletedTask;
    }

    private IResource Resource(string name) => _builder.Resources.Single(r => r.Name == name);

    private static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource)
    {
        var env = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), env);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            await callback.Callback(context);
        return env;
    }

    private static async Task<Dictionary<string, string>> PlainEnvironmentAsync(IResource resource) =>
        (await EnvironmentAsync(resource)).Where(kv => kv.Value is string).ToDictionary(kv => kv.Key, kv => (string)kv.Value);

    [Fact]
    public async Task Three_v1_replicas_and_one_v2_are_distinct_api_resources()
    {
        var apis = _builder.Resources.OfType<ProjectResource>().OrderBy(r => r.Name).ToList();
        Assert.Equal(["api-v1-1", "api-v1-2", "api-v1-3", "api-v2"], apis.Select(a => a.Name));

        foreach (var api in apis)
        {
            var env = await PlainEnvironmentAsync(api);
            var variant = api.Name.StartsWith("api-v1", StringComparison.Ordinal) ? "v1" : "v2";
            Assert.Equal(variant, env["Serving__Variant"]);
            Assert.Equal(api.Name, env["Serving__InstanceId"]);
            Assert.EndsWith($"sentiment-{variant}.zip", env["Serving__ModelPath"]);
            Assert.Equal(variant == "v2" ? "true" : "false", env["Serving__IncludeDebugFields"]);
            // One endpoint each, so nginx and Prometheus see each replica on its own.
            Assert.DoesNotContain(api.Annotations, a => a is ReplicaAnnotation { Replicas: > 1 });
        }
    }

    /// <summary>The dashboard of `make run` lists the three v1 replicas under api-v1, as the README's diagram draws them.</summary>
    [Fact]
    public void The_v1_replicas_are_grouped_under_their_variant_and_v2_stands_alone()
    {
        var variant = Assert.IsType<MlopsExam.AppHost.Api.ApiVariantResource>(Resource("api-v1"));
        foreach (var api in _builder.Resources.OfType<ProjectResource>())
        {
            var parents = api.Annotations.OfType<ResourceRelationshipAnnotation>().Where(r => r.Type == "Parent").Select(r => r.Resource.Name);
            Assert.Equal(api.Name == "api-v2" ? [] : [variant.Name], parents);
        }
        // No process of its own: nothing to publish.
        Assert.Contains(variant.Annotations, a => a is ManifestPublishingCallbackAnnotation { Callback: null });
    }

    [Fact]
    public async Task Every_container_is_restarted_by_docker_after_a_crash_and_has_its_memory_limit()
    {
        var containers = _builder.Resources.OfType<ContainerResource>().OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["gateway", "gateway-exporter", "postgres", "prometheus"], containers.Select(c => c.Name));
        foreach (var container in containers)
        {
            var args = new List<object>();
            var context = new ContainerRuntimeArgsCallbackContext(args);
            foreach (var callback in container.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
                await callback.Callback(context);
            Assert.Contains("--restart=on-failure:5", args);
            Assert.Contains(args, a => a is string s && s.StartsWith("--memory=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Only_the_gateway_is_exposed_on_80_and_443()
    {
        var external = _builder.Resources
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Select(e => (Resource: r.Name, Endpoint: e)))
            .Where(x => x.Endpoint.IsExternal)
            .ToList();

        Assert.All(external, x => Assert.Equal("gateway", x.Resource));
        Assert.Equal([80, 443], external.Select(x => x.Endpoint.Port ?? 0).Order());
        // nginx runs unprivileged and listens on 8080/8443 inside its container.
        Assert.Equal([8080, 8443], external.Select(x => x.Endpoint.TargetPort ?? 0).Order());
    }

    [Fact]
    public void No_endpoint_under_the_apphost_asks_for_a_development_certificate()
    {
        // An "https" endpoint makes Aspire look for a trusted development certificate and, finding none, put
        // "No trusted development certificate" on every page of its dashboard. nginx terminates TLS with its
        // own certificate, so the gateway's TLS port is declared as tcp and shown as its https:// URL.
        var https = _builder.Resources
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Where(e => e.UriScheme == "https").Select(e => $"{r.Name}/{e.Name}"));
        Assert.Empty(https);
        // The other way a resource asks for it: a certificate callback left on (Aspire's default for some).
#pragma warning disable ASPIRECERTIFICATES001 // evaluation API: the annotations Aspire's own check reads
        var callbacks = _builder.Resources
            .Where(r => r.Annotations.OfType<HttpsCertificateConfigurationCallbackAnnotation>().Any())
            .Where(r => !(r.Annotations.OfType<HttpsCertificateAnnotation>().LastOrDefault() is { UseDeveloperCertificate: false or null, Certificate: null }))
            .Select(r => r.Name);
#pragma warning restore ASPIRECERTIFICATES001
        Assert.Empty(callbacks);
        var tls = Resource("gateway").Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "https");
        Assert.Equal("tcp", tls.UriScheme);
        Assert.Equal(443, tls.Port);
    }

    [Fact]
    public void Gateway_exporter_and_prometheus_are_built_from_the_repository_dockerfiles()
    {
        // One build context, deployments/, for all three: both images copy deployments/common/resolve.sh.
        foreach (var (name, dockerfile, stage) in new[] { ("gateway", "nginx", "gateway"), ("gateway-exporter", "nginx", "exporter"), ("prometheus", "prometheus", null) })
        {
            var build = Resource(name).Annotations.OfType<DockerfileBuildAnnotation>().Single();
            Assert.Equal(RepoLayout.Path("deployments"), build.ContextPath.TrimEnd('/'));
            Assert.Equal(RepoLayout.Path("deployments", dockerfile, "Dockerfile"), Path.GetFullPath(build.DockerfilePath, build.ContextPath));
            Assert.Equal(stage, build.Stage);
        }
    }

    [Fact]
    public void The_gateway_waits_for_every_api_replica()
    {
        var waits = Resource("gateway").Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order();
        Assert.Equal(["api-v1-1", "api-v1-2", "api-v1-3", "api-v2"], waits);
    }

    [Fact]
    public async Task The_gateway_rate_limit_is_a_parameter_defaulting_to_10_per_second_burst_5()
    {
        var env = await EnvironmentAsync(Resource("gateway"));
        var values = new Dictionary<string, string>();
        foreach (var (variable, parameter) in new[] { ("RATE_LIMIT_RPS", "rate-limit-rps"), ("RATE_LIMIT_BURST", "rate-limit-burst") })
        {
            // The gateway's variable comes from the AppHost parameter of the same meaning.
            var resource = Assert.IsType<ParameterResource>(Resource(parameter));
            Assert.False(resource.Secret);
            values[variable] = await resource.GetValueAsync(CancellationToken.None) ?? "";
            Assert.False(env.TryGetValue(variable, out var literal) && literal is string, $"{variable} should reference the parameter, not be a literal");
            Assert.Same(resource, env[variable]);
        }
        Assert.Equal("10", values["RATE_LIMIT_RPS"]);
        Assert.Equal("5", values["RATE_LIMIT_BURST"]);
    }

    [Fact]
    public void Every_parameter_says_what_it_is()
    {
        // The dashboard shows it, and the compose file's header lists each variable with it.
        var parameters = _builder.Resources.OfType<ParameterResource>().ToList();
        Assert.NotEmpty(parameters);
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{p.Name} has no description"));
    }

    [Fact]
    public async Task The_gateway_reads_its_password_from_a_mounted_file_never_from_its_environment()
    {
        var gateway = Resource("gateway");
        var env = await EnvironmentAsync(gateway);
        Assert.Equal("/run/secrets/basic_auth_password", env["BASIC_AUTH_PASSWORD_FILE"]);
        Assert.DoesNotContain(env.Values, v => v is ParameterResource { Secret: true });
        var mount = Assert.Single(gateway.Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/secrets/basic_auth_password");
        Assert.True(mount.IsReadOnly);
        Assert.Equal(RepoLayout.Path(".secrets", "aspire", "basic_auth_password"), mount.Source);
    }

    [Fact]
    public async Task The_basic_auth_password_is_a_generated_secret_never_a_literal()
    {
        var password = Assert.IsType<ParameterResource>(Resource("basic-auth-password"));
        Assert.True(password.Secret);
        // Generated (and persisted in the AppHost's user secrets), not a constant in the code.
        Assert.True(password.Default is GenerateParameterDefault || password.Default?.GetType().Name == "UserSecretsParameterDefault",
            $"unexpected default {password.Default?.GetType().Name}");
        Assert.Matches("^[A-Za-z0-9]{24,}$", await password.GetValueAsync(CancellationToken.None));
    }
}
