using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost;

/// <summary>Container ports of the gateway image (deployments/nginx/Dockerfile).</summary>
public static class GatewayPorts
{
    /// <summary>Unprivileged ports nginx listens on inside its container (it runs as uid 10101);
    /// the host publishes them as 80 and 443.</summary>
    public const int Http = 8080;
    public const int Https = 8443;
    public const int PublicHttp = 80;
    public const int PublicHttps = 443;
    /// <summary>stub_status and /healthz, for the exporter and health checks. Compose publishes it
    /// nowhere; under Aspire it is a localhost-only, non-external endpoint.</summary>
    public const int Status = 8081;
    public const int Exporter = 9113;
}

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
                // The thread pool of each replica starts at one worker and grows only when queued work
                // waits (hill climbing off, starvation detection on). Sized for this stack: more API
                // processes than the two cores it was built on, where pools sized per core kept waking
                // idle workers (README, "Performance"). On a host with more cores than replicas,
                // remove both: each replica then uses every core it can get.
                .WithEnvironment("DOTNET_ThreadPool_ForceMinWorkerThreads", "1")
                .WithEnvironment("DOTNET_HillClimbing_Disable", "1")
                .WithHttpHealthCheck("/health")
                .PublishAsComposeReplicaOf(name)
                .PublishAsComposeService((_, service) =>
                {
                    // One image for every variant, built from the repository root (it copies models/).
                    service.Build = new ComposeBuild(builder.RepositoryRoot(), "MlopsExam.Api/Dockerfile");
                    service.Image = "mlopsexam-api:local";
                    // .NET's diagnostics socket, and ML.NET unpacks the model zip into /tmp at load.
                    Harden(service, "/tmp:size=256m");
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
        var httpPort = builder.Configuration.GetValue("Gateway:HttpPort", GatewayPorts.PublicHttp);
        var httpsPort = builder.Configuration.GetValue("Gateway:HttpsPort", GatewayPorts.PublicHttps);

        // Certificate and key are generated by the container at first start into this git-ignored
        // folder, so they persist and clients can trust certs/nginx.crt. scripts/prepare-gateway-files.sh
        // makes the folder writable for the gateway's uid (10101) and writes the password into a file
        // the gateway reads (BASIC_AUTH_PASSWORD_FILE) before anything starts: no environment variable
        // of the container holds the password. `make env` does the same for compose.
        var certs = builder.Deployments("nginx/certs");
        var secretFile = Path.Combine(builder.RepositoryRoot(), ".secrets", "aspire", "basic_auth_password");
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(async (_, ct) =>
                await GatewayFiles.PrepareAsync(builder.RepositoryRoot(), secretFile,
                    await basicAuthPassword.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("basic-auth-password has no value"), ct));
        }

        // The configuration (nginx.conf and its includes) is baked into the image, which Aspire
        // rebuilds at every start: an edit under deployments/nginx applies at the next `make run`,
        // and compose runs the very same files.
        var gateway = builder.AddDockerfile(name, builder.Deployments("."), "nginx/Dockerfile", stage: "gateway")
            .WithBindMount(certs, "/etc/nginx/certs")
            .WithHardening("/run/nginx:uid=10101,gid=10101,mode=0700,size=16m")
            .WithEnvironment("API_V1_SERVERS", apiV1.HostAndPortList())
            .WithEnvironment("API_V2_SERVERS", apiV2.HostAndPortList())
            .WithEnvironment("BASIC_AUTH_USER", basicAuthUser)
            .WithEnvironment("BASIC_AUTH_PASSWORD_FILE", GatewaySecretPath)
            // Not proxied: Docker publishes the ports itself (no Aspire proxy in between), so the
            // redirect target port is the one clients use. nginx listens on 8080/8443 (unprivileged).
            .WithEndpoint("http", e => { e.Port = httpPort; e.TargetPort = GatewayPorts.Http; e.UriScheme = "http"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithEndpoint("https", e => { e.Port = httpsPort; e.TargetPort = GatewayPorts.Https; e.UriScheme = "https"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithHttpEndpoint(targetPort: GatewayPorts.Status, name: "status")
            .WithHttpHealthCheck("/healthz", endpointName: "status")
            .PublishPortAsComposeVariable("http", "GATEWAY_HTTP_PORT", "host port of the gateway's http (it redirects to https)", GatewayPorts.PublicHttp)
            .PublishPortAsComposeVariable("https", "GATEWAY_HTTPS_PORT", "host port of the gateway's https", GatewayPorts.PublicHttps);
        // The password file: a read-only bind mount under the AppHost, a compose secret (ComposeDeliverable.cs).
        if (builder.ExecutionContext.IsRunMode)
            gateway.WithBindMount(secretFile, GatewaySecretPath, isReadOnly: true);
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
                nginx runs as uid 10101 (master and workers), listening on 8080/8443 inside the
                container; the host's 80/443 map to them.
                """;
            service.Secrets.Add(new ComposeServiceSecret(ComposeDeliverable.PasswordSecret));
            service.KeyComments["tmpfs"] = "Everything nginx writes at run time: pid, temp files, generated config, .htpasswd.";
            service.CommentEnvironment("API_V1_SERVERS", """
                Names the gateway's watcher resolves every 2 s (docker-entrypoint.d/50-upstreams.sh): every
                replica of api-v1 becomes a `server` line, and `--scale` is followed.
                """);
            service.CommentEnvironment("BASIC_AUTH_PASSWORD_FILE", "The password as a file (the *_FILE convention), not a variable `docker inspect` shows.");
            service.CommentEnvironment("PUBLIC_HTTPS_PORT", "Where http:// redirects to: the host's port, not the container's.");
            service.KeyComments["volumes"] = """
                The git-ignored folder where the gateway generates its certificate and key at
                first start (clients trust certs/nginx.crt; the Aspire stack uses the same one);
                `make env` makes it writable for uid 10101. The nginx configuration itself is
                baked into the image, as under the AppHost.
                """;
        });
    }

    /// <summary>Where the gateway reads its password (the *_FILE convention; compose mounts its secret there too).</summary>
    public const string GatewaySecretPath = "/run/secrets/basic_auth_password";

    /// <summary>
    /// The hardening every container gets (CIS Docker Benchmark 5.3, 5.12, 5.25): a read-only root
    /// file system with a tmpfs for each path given, no capability (nothing here binds a port below
    /// 1024 or changes owners), no privilege gained through setuid binaries. The images already run as
    /// non-root users. Container arguments under the AppHost, the same keys in docker-compose.yml.
    /// </summary>
    public static IResourceBuilder<T> WithHardening<T>(this IResourceBuilder<T> container, params string[] tmpfs)
        where T : ContainerResource
    {
        string[] args = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", .. tmpfs.Select(t => $"--tmpfs={t}")];
        return container.WithContainerRuntimeArgs(args)
            .PublishAsComposeService((_, service) => Harden(service, tmpfs));
    }

    private static void Harden(ComposeService service, params string[] tmpfs)
    {
        service.ReadOnly = true;
        service.CapDrop.Add("ALL");
        service.SecurityOpt.Add("no-new-privileges:true");
        service.Tmpfs.AddRange(tmpfs);
    }

    /// <summary>Requests the gateway marks X-Shadow: 1 on these v1 replicas are copied to
    /// <paramref name="challenger"/> after the answer (MlopsExam.Api/ShadowSender.cs).</summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> WithShadowTarget(
        this IReadOnlyList<IResourceBuilder<ProjectResource>> replicas, IResourceBuilder<ProjectResource> challenger)
    {
        foreach (var replica in replicas)
            replica.WithEnvironment("Serving__ShadowUrl", challenger.GetEndpoint("http"));
        return replicas;
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

/// <summary>Runs scripts/prepare-gateway-files.sh, the step `make env` runs for compose.</summary>
internal static class GatewayFiles
{
    public static async Task PrepareAsync(string repoRoot, string secretFile, string password, CancellationToken ct)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Path.Combine(repoRoot, "scripts", "prepare-gateway-files.sh"))
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repoRoot,
        };
        start.ArgumentList.Add("--secret");
        start.ArgumentList.Add(secretFile);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start prepare-gateway-files.sh");
        // The password goes through stdin, never the command line.
        await process.StandardInput.WriteAsync(password);
        process.StandardInput.Close();
        var errors = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"scripts/prepare-gateway-files.sh failed ({process.ExitCode}): {errors}");
    }
}
