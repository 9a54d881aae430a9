using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

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

/// <summary>Helpers that keep AppHost.cs one statement per resource.</summary>
public static class AppModelExtensions
{
    /// <summary>Absolute path of a file or folder under the repository's deployments/.</summary>
    public static string Deployments(this IDistributedApplicationBuilder builder, string relative) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "deployments", relative));

    /// <summary>A plain (non-secret) parameter whose value is the environment variable
    /// <paramref name="environmentVariable"/> when set (the name compose reads too), else
    /// <paramref name="defaultValue"/>; <c>Parameters:{name}</c> in configuration overrides both.</summary>
    public static IResourceBuilder<ParameterResource> AddSetting(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable, string defaultValue)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        var value = builder.Configuration[$"Parameters:{name}"]
            ?? (string.IsNullOrEmpty(fromEnvironment) ? defaultValue : fromEnvironment);
        return builder.AddParameter(name, value);
    }

    /// <summary>The gateway's password: <paramref name="environmentVariable"/> when set, else generated
    /// (24 letters and digits, ~143 bits) on first run and kept in the AppHost's user secrets.</summary>
    public static IResourceBuilder<ParameterResource> AddBasicAuthPassword(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable) =>
        Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment
            ? builder.AddParameter(name, fromEnvironment, secret: true)
            : builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

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
        var modelPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "models", model));
        return Enumerable.Range(1, replicas).Select(i =>
        {
            var instance = replicas == 1 ? name : $"{name}-{i}";
            return builder.AddProject<Projects.MlopsExam_Api>(instance, options => options.ExcludeLaunchProfile = true)
                .WithHttpEndpoint(name: "http")
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
                .WithEnvironment("Serving__Variant", variant)
                .WithEnvironment("Serving__InstanceId", instance)
                .WithEnvironment("Serving__ModelPath", modelPath)
                .WithEnvironment("Serving__IncludeDebugFields", includeDebugFields ? "true" : "false")
                .WithHttpHealthCheck("/health");
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

        // Certificate, key and .htpasswd are generated by the container at first start into this
        // git-ignored folder, so they persist and clients can trust certs/nginx.crt.
        // scripts/prepare-gateway-files.sh makes the folder writable for the gateway's uid (10101),
        // and writes the password into a file the gateway reads (BASIC_AUTH_PASSWORD_FILE), before
        // anything starts: no environment variable of the container holds the password.
        var certs = builder.Deployments("nginx/certs");
        var secretFile = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".secrets", "aspire", "basic_auth_password"));
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(async (_, ct) =>
                await GatewayFiles.PrepareAsync(Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..")), secretFile,
                    await basicAuthPassword.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("basic-auth-password has no value"), ct));
        }

        // The configuration (nginx.conf and its includes) is baked into the image, which Aspire
        // rebuilds at every start: an edit under deployments/nginx applies at the next `make run`,
        // and compose runs the very same files.
        var gateway = builder.AddDockerfile(name, builder.Deployments("nginx"), stage: "gateway")
            .WithBindMount(certs, "/etc/nginx/certs")
            .WithBindMount(secretFile, GatewaySecretPath, isReadOnly: true)
            .WithHardening("/run/nginx:uid=10101,gid=10101,mode=0700,size=16m")
            .WithEnvironment("API_V1_SERVERS", apiV1.HostAndPortList())
            .WithEnvironment("API_V2_SERVERS", apiV2.HostAndPortList())
            .WithEnvironment("BASIC_AUTH_USER", basicAuthUser)
            .WithEnvironment("BASIC_AUTH_PASSWORD_FILE", GatewaySecretPath)
            .WithEnvironment("PUBLIC_HTTPS_PORT", httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            // Not proxied: Docker publishes the ports itself (no Aspire proxy in between), so the
            // redirect target port is the one clients use.
            .WithEndpoint("http", e => { e.Port = httpPort; e.TargetPort = GatewayPorts.Http; e.UriScheme = "http"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithEndpoint("https", e => { e.Port = httpsPort; e.TargetPort = GatewayPorts.Https; e.UriScheme = "https"; e.IsProxied = false; e.IsExternal = true; }, createIfNotExists: true)
            .WithHttpEndpoint(targetPort: GatewayPorts.Status, name: "status")
            .WithHttpHealthCheck("/healthz", endpointName: "status");

        foreach (var api in apiV1.Concat(apiV2))
            gateway.WaitFor(api);
        return gateway;
    }

    /// <summary>Where the gateway reads its password (the *_FILE convention; compose mounts its secret there too).</summary>
    public const string GatewaySecretPath = "/run/secrets/basic_auth_password";

    /// <summary>
    /// The hardening compose applies to every service (docker-compose.yml, x-hardened): a read-only
    /// root file system with a tmpfs for each path given, no capability, no privilege gained through
    /// setuid binaries. The images already run as non-root users.
    /// </summary>
    public static IResourceBuilder<T> WithHardening<T>(this IResourceBuilder<T> container, params string[] tmpfs)
        where T : ContainerResource
    {
        string[] args = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", .. tmpfs.Select(t => $"--tmpfs={t}")];
        return container.WithContainerRuntimeArgs(args);
    }

    /// <summary>Requests the gateway marks X-Shadow: 1 on these v1 replicas are copied to
    /// <paramref name="challenger"/> after the answer (MlopsExam.Api/ShadowSender.cs).</summary>
    public static void WithShadowTarget(this IEnumerable<IResourceBuilder<ProjectResource>> replicas, IResourceBuilder<ProjectResource> challenger)
    {
        foreach (var replica in replicas)
            replica.WithEnvironment("Serving__ShadowUrl", challenger.GetEndpoint("http"));
    }

    /// <summary><c>host:port host:port ...</c> of each replica's http endpoint, as seen from the
    /// consuming container (Aspire resolves the host for the container network).</summary>
    public static ReferenceExpression HostAndPortList(this IEnumerable<IResourceBuilder<ProjectResource>> replicas)
    {
        var list = new ReferenceExpressionBuilder();
        var first = true;
        foreach (var replica in replicas)
        {
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
