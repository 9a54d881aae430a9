using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost;

/// <summary>Container ports of the gateway image (deployments/nginx/Dockerfile).</summary>
public static class GatewayPorts
{
    public const int Http = 80;
    public const int Https = 443;
    /// <summary>stub_status and /healthz, for the exporter and health checks. Compose publishes it
    /// nowhere; under Aspire it is a localhost-only, non-external endpoint.</summary>
    public const int Status = 8081;
    public const int Exporter = 9113;
}

/// <summary>Container port of the API image (MlopsExam.Api/Dockerfile: ASPNETCORE_HTTP_PORTS=8080).</summary>
public static class ApiPorts
{
    public const int Container = 8080;
}

/// <summary>Helpers that keep AppHost.cs one statement per resource.</summary>
public static class AppModelExtensions
{
    /// <summary>The repository's root folder (the AppHost's parent).</summary>
    public static string RepositoryRoot(this IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    /// <summary>Absolute path of a file or folder under the repository's deployments/.</summary>
    public static string Deployments(this IDistributedApplicationBuilder builder, string relative) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "deployments", relative));

    /// <summary>A plain (non-secret) parameter whose value is the environment variable
    /// <paramref name="environmentVariable"/> when set (the name compose reads too), else
    /// <paramref name="defaultValue"/>; <c>Parameters:{name}</c> in configuration overrides both.
    /// Compose reads the same variable with the same default; <paramref name="description"/> says what it is
    /// in the compose file's header.</summary>
    public static IResourceBuilder<ParameterResource> AddSetting(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable, string defaultValue, string description)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        var value = builder.Configuration[$"Parameters:{name}"]
            ?? (string.IsNullOrEmpty(fromEnvironment) ? defaultValue : fromEnvironment);
        return builder.AddParameter(name, value)
            .PublishAsComposeVariable(environmentVariable, defaultValue, description);
    }

    /// <summary>The gateway's password: <paramref name="environmentVariable"/> when set, else generated
    /// (24 letters and digits, ~143 bits) on first run and kept in the AppHost's user secrets. Compose
    /// requires the same variable (`make env` writes it into .env); the file never holds a value.</summary>
    public static IResourceBuilder<ParameterResource> AddBasicAuthPassword(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable) =>
        (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment
            ? builder.AddParameter(name, fromEnvironment, secret: true)
            : builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true))
        .PublishAsRequiredComposeVariable(environmentVariable, "run make env (scripts/generate-env.sh writes .env)",
            "password of /predict (user BASIC_AUTH_USER)");

    /// <summary>Waits for every resource of a list (the replicas of a variant).</summary>
    public static IResourceBuilder<T> WaitForAll<T, TDependency>(this IResourceBuilder<T> builder, IEnumerable<IResourceBuilder<TDependency>> dependencies)
        where T : IResourceWithWaitSupport where TDependency : class, IResource
    {
        foreach (var dependency in dependencies) builder.WaitFor(dependency);
        return builder;
    }

    /// <summary>
    /// Adds <paramref name="replicas"/> API resources of one variant, named <c>{name}-1..n</c>
    /// (or <paramref name="name"/> alone for a single replica).
    /// <para>
    /// Why not <c>WithReplicas(n)</c>: Aspire then puts all replicas behind ONE proxied endpoint
    /// and balances them itself, so nginx would see a single upstream server and the load balancing
    /// the product promises (nginx's, visible per replica) would not exist. Separate resources keep
    /// one endpoint per replica; nginx gets all of them as distinct <c>server</c> lines, and
    /// Prometheus scrapes each as its own target.
    /// </para>
    /// <para>
    /// Published to compose as ONE service <paramref name="name"/> with <c>deploy.replicas</c>
    /// (<see cref="ComposeReplicaOfAnnotation"/>): compose's DNS gives nginx and Prometheus every replica's
    /// address under that name. Run and publish differ where the process differs: under the AppHost a
    /// replica runs from the build output with the model file on the host and its resource name as
    /// instance id; in the image the model is under /app/models, the port is 8080, and each replica
    /// reports its hostname (ServingOptions' default), as the replicas of one service share one environment.
    /// </para>
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddApiReplicas(
        this IDistributedApplicationBuilder builder,
        string name,
        string variant,
        int replicas,
        bool includeDebugFields = false)
    {
        var model = builder.Configuration[$"Models:{variant}"]
            ?? throw new InvalidOperationException($"No model file configured for variant {variant} (Models:{variant} in appsettings.json).");
        var publishing = builder.ExecutionContext.IsPublishMode;
        var modelPath = publishing
            ? $"/app/models/{model}"
            : Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "models", model));
        return Enumerable.Range(1, replicas).Select(i =>
        {
            var instance = replicas == 1 ? name : $"{name}-{i}";
            var api = builder.AddProject<Projects.MlopsExam_Api>(instance, options => options.ExcludeLaunchProfile = true)
                .WithHttpEndpoint(name: "http", targetPort: publishing ? ApiPorts.Container : null);
            if (!publishing)
                api.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
            api.WithEnvironment("Serving__Variant", variant);
            if (!publishing)
                api.WithEnvironment("Serving__InstanceId", instance);
            return api.WithEnvironment("Serving__ModelPath", modelPath)
                .WithEnvironment("Serving__IncludeDebugFields", includeDebugFields ? "true" : "false")
                .WithHttpHealthCheck("/health")
                .PublishAsComposeReplicaOf(name)
                .PublishAsComposeService((_, service) =>
                {
                    // One image for every variant, built from the repository root (it copies models/).
                    service.Build = new ComposeBuild(builder.RepositoryRoot(), "MlopsExam.Api/Dockerfile");
                    service.Image = "mlopsexam-api:local";
                });
        }).ToList();
    }

    /// <summary>The nginx gateway, built from deployments/nginx, with its configuration, the
    /// generated certificate folder and the upstream lists of both variants.</summary>
    public static IResourceBuilder<ContainerResource> AddGateway(
        this IDistributedApplicationBuilder builder,
        string name,
        IReadOnlyList<IResourceBuilder<ProjectResource>> apiV1,
        IReadOnlyList<IResourceBuilder<ProjectResource>> apiV2,
        IResourceBuilder<ParameterResource> basicAuthUser,
        IResourceBuilder<ParameterResource> basicAuthPassword)
    {
        // Host ports: 80/443 by default, Gateway:HttpPort / Gateway:HttpsPort to move them.
        var httpPort = builder.Configuration.GetValue("Gateway:HttpPort", GatewayPorts.Http);
        var httpsPort = builder.Configuration.GetValue("Gateway:HttpsPort", GatewayPorts.Https);

        // Certificate, key and .htpasswd are generated by the container at first start into this
        // git-ignored folder, so they persist and clients can trust certs/nginx.crt.
        var certs = builder.Deployments("nginx/certs");
        Directory.CreateDirectory(certs);

        // The configuration (nginx.conf and its includes) is baked into the image, which Aspire
        // rebuilds at every start: an edit under deployments/nginx applies at the next `make run`,
        // and compose runs the very same files.
        var gateway = builder.AddDockerfile(name, builder.Deployments("nginx"), stage: "gateway")
            .WithBindMount(certs, "/etc/nginx/certs")
            .WithEnvironment("API_V1_SERVERS", apiV1.HostAndPortList())
            .WithEnvironment("API_V2_SERVERS", apiV2.HostAndPortList())
            .WithEnvironment("BASIC_AUTH_USER", basicAuthUser)
            .WithEnvironment("BASIC_AUTH_PASSWORD", basicAuthPassword)
            // Not proxied: Docker publishes the ports itself (no Aspire proxy in between), so the
            // redirect target port is the one clients use.
            .WithEndpoint("http", e => { e.Port = httpPort; e.TargetPort = GatewayPorts.Http; e.UriScheme = "http"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithEndpoint("https", e => { e.Port = httpsPort; e.TargetPort = GatewayPorts.Https; e.UriScheme = "https"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithHttpEndpoint(targetPort: GatewayPorts.Status, name: "status")
            .WithHttpHealthCheck("/healthz", endpointName: "status")
            .PublishPortAsComposeVariable("http", "GATEWAY_HTTP_PORT", "host port of the gateway's http (it redirects to https)", GatewayPorts.Http)
            .PublishPortAsComposeVariable("https", "GATEWAY_HTTPS_PORT", "host port of the gateway's https", GatewayPorts.Https);
        // Where http:// redirects to: the port clients use. Known here; under compose the published
        // port, which GATEWAY_HTTPS_PORT may move.
        gateway.WithEnvironment(context => context.EnvironmentVariables["PUBLIC_HTTPS_PORT"] = context.ExecutionContext.IsPublishMode
            ? gateway.GetEndpoint("https").Property(EndpointProperty.Port)
            : httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

        foreach (var api in apiV1.Concat(apiV2))
            gateway.WaitFor(api);

        return gateway.PublishAsComposeService((_, service) =>
        {
            service.Comment = """
                TLS, basic auth, rate limit, A/B routing, load balancing; the only entry point.
                Runs as root: it binds 80/443 and owns the generated key and .htpasswd; nginx's
                workers run as www-data (the `user` directive in nginx.conf).
                """;
            service.CommentEnvironment("API_V1_SERVERS", """
                nginx resolves each name once, at start, to the addresses of all its
                replicas: three `server` lines for api-v1, hence the wait for all of them.
                """);
            service.CommentEnvironment("PUBLIC_HTTPS_PORT", "Where http:// redirects to: the host's port, not the container's.");
            service.KeyComments["volumes"] = """
                The git-ignored folder where the gateway generates its certificate and key at
                first start (clients trust certs/nginx.crt; the Aspire stack uses the same one).
                The nginx configuration itself is baked into the image, as under the AppHost.
                """;
        });
    }

    /// <summary><c>host:port host:port ...</c> of each replica's http endpoint, as seen from the
    /// consuming container (Aspire resolves the host for the container network). When publishing, the
    /// replicas of one compose service are one name, which resolves to all of them: listed once.</summary>
    public static ReferenceExpression HostAndPortList(this IEnumerable<IResourceBuilder<ProjectResource>> replicas)
    {
        var list = new ReferenceExpressionBuilder();
        var first = true;
        var services = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replica in replicas)
        {
            var service = replica.Resource.Annotations.OfType<ComposeReplicaOfAnnotation>().LastOrDefault()?.ServiceName;
            if (replica.ApplicationBuilder.ExecutionContext.IsPublishMode && service is not null && !services.Add(service))
                continue;
            if (!first) list.AppendLiteral(" ");
            list.Append($"{replica.GetEndpoint("http").Property(EndpointProperty.HostAndPort)}");
            first = false;
        }
        return list.Build();
    }
}
