using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlopsExam.AppHost.Compose;

// A stand-in for Aspire.Hosting.Docker, which the NuGet copy used here lacks: a pipeline step of
// `aspire publish` that writes a compose file from the app model, customised per resource the way
// Aspire.Hosting.Docker's PublishAsDockerComposeService((resource, service) => ...) is.

/// <summary>Edits the compose service made from a resource, after the default mapping (see
/// <see cref="ComposePublisher"/>). Several run in the order they were added. <see cref="SwarmOnly"/>:
/// in the Swarm stack file alone, after the others.</summary>
public sealed class ComposeServiceAnnotation(Action<IResource, ComposeService> configure, bool swarmOnly = false) : IResourceAnnotation
{
    public Action<IResource, ComposeService> Configure { get; } = configure;
    public bool SwarmOnly { get; } = swarmOnly;
}

/// <summary>The service mounts the file secret <see cref="Name"/> (at /run/secrets/&lt;name&gt;), which the
/// file declares at its top level as <see cref="Secret"/>.</summary>
public sealed class ComposeSecretAnnotation(string name, ComposeSecret secret) : IResourceAnnotation
{
    public string Name { get; } = name;
    public ComposeSecret Secret { get; } = secret;
}

/// <summary>The resource is one replica of the compose service <see cref="ServiceName"/>: the replicas of
/// a service are written once, with <c>deploy.replicas</c> = their count, and must map to the same service.</summary>
public sealed class ComposeReplicaOfAnnotation(string serviceName) : IResourceAnnotation
{
    public string ServiceName { get; } = serviceName;
}

/// <summary>On a parameter: compose reads it from its environment (or .env) as <see cref="Variable"/>; without
/// a description of its own, the header's table gives the parameter's (WithDescription).</summary>
public sealed class ComposeVariableAnnotation(ComposeVariable variable) : IResourceAnnotation
{
    public ComposeVariable Variable { get; } = variable;
}

/// <summary>The host port of endpoint <see cref="EndpointName"/> is the variable <see cref="Variable"/>,
/// defaulting to <see cref="DefaultPort"/> (null: the endpoint's port in the model).</summary>
public sealed class ComposePublishedPortAnnotation(string endpointName, string variable, string description, int? defaultPort) : IResourceAnnotation
{
    public string EndpointName { get; } = endpointName;
    public string Variable { get; } = variable;
    public string Description { get; } = description;
    public int? DefaultPort { get; } = defaultPort;
}

public static class ComposePublishingExtensions
{
    /// <summary>Name of the pipeline step that writes the file; <c>aspire publish</c> runs it.</summary>
    public const string StepName = "publish-docker-compose";

    /// <summary>
    /// <c>aspire publish</c> (the pipeline's publish step) writes <paramref name="fileName"/> in the output
    /// folder from the app model: every project and container resource becomes a service.
    /// <paramref name="configure"/> sets what belongs to the file (header, shared healthcheck, secrets);
    /// <paramref name="finish"/> has the last word on the services once every resource has mapped to one.
    /// </summary>
    public static IDistributedApplicationBuilder AddDockerComposePublishing(
        this IDistributedApplicationBuilder builder, string name, string fileName, Action<ComposeFileModel>? configure = null,
        Action<ComposeFileModel>? finish = null)
    {
        builder.Services.AddSingleton(new ComposePublisher(name, fileName, configure, finish));
        builder.Pipeline.AddStep(StepName, async context =>
        {
            var publisher = context.Services.GetRequiredService<ComposePublisher>();
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var path = await publisher.PublishAsync(context.Model, context.ExecutionContext, output, context.CancellationToken);
            context.Logger.LogInformation("Wrote {Path} from the app model", path);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>Name of the pipeline step that writes the Swarm stack file.</summary>
    public const string StackStepName = "publish-swarm-stack";

    /// <summary>
    /// <c>aspire publish</c> also writes <paramref name="fileName"/> (relative to the output folder), a
    /// <c>docker stack deploy</c> file made from the same services as the compose file, with each resource's
    /// <see cref="PublishAsSwarmService"/> changes, which <paramref name="finish"/> then adapts to Swarm as a
    /// whole. Registered as the keyed service "swarm".
    /// </summary>
    public static IDistributedApplicationBuilder AddSwarmStackPublishing(
        this IDistributedApplicationBuilder builder, string name, string fileName, Action<ComposeFileModel>? configure, Action<ComposeFileModel> finish)
    {
        var publisher = new ComposePublisher(name, fileName, configure, finish, swarm: true);
        builder.Services.AddKeyedSingleton("swarm", publisher);
        builder.Pipeline.AddStep(StackStepName, async context =>
        {
            var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
            var path = await publisher.PublishAsync(context.Model, context.ExecutionContext, output, context.CancellationToken);
            context.Logger.LogInformation("Wrote {Path} from the app model", path);
        }, requiredBy: WellKnownPipelineSteps.Publish);
        return builder;
    }

    /// <summary>Customises the compose service made from this resource (Aspire.Hosting.Docker's shape).</summary>
    public static IResourceBuilder<T> PublishAsComposeService<T>(this IResourceBuilder<T> builder, Action<T, ComposeService> configure)
        where T : IResource =>
        builder.WithAnnotation(new ComposeServiceAnnotation((resource, service) => configure((T)resource, service)));

    /// <summary>The same customisation for every replica of a list.</summary>
    public static IReadOnlyList<IResourceBuilder<T>> PublishAsComposeService<T>(
        this IReadOnlyList<IResourceBuilder<T>> builders, Action<T, ComposeService> configure) where T : IResource
    {
        foreach (var builder in builders) builder.PublishAsComposeService(configure);
        return builders;
    }

    /// <summary>Customises the service made from this resource in the Swarm stack file only, after its
    /// <see cref="PublishAsComposeService{T}(IResourceBuilder{T}, Action{T, ComposeService})"/> changes.</summary>
    public static IResourceBuilder<T> PublishAsSwarmService<T>(this IResourceBuilder<T> builder, Action<T, ComposeService> configure)
        where T : IResource =>
        builder.WithAnnotation(new ComposeServiceAnnotation((resource, service) => configure((T)resource, service), swarmOnly: true));

    /// <summary>The service mounts the file secret <paramref name="name"/> (/run/secrets/&lt;name&gt;), declared at the
    /// file's top level from <paramref name="file"/> (an absolute path on the host; written relative to the file).</summary>
    public static IResourceBuilder<T> PublishWithComposeSecret<T>(this IResourceBuilder<T> builder, string name, string file, string? comment = null)
        where T : IResource =>
        builder.WithAnnotation(new ComposeSecretAnnotation(name, new ComposeSecret(File: file, Comment: comment)));

    /// <summary>This resource is one replica of compose service <paramref name="serviceName"/>.</summary>
    public static IResourceBuilder<T> PublishAsComposeReplicaOf<T>(this IResourceBuilder<T> builder, string serviceName)
        where T : IResource =>
        builder.WithAnnotation(new ComposeReplicaOfAnnotation(serviceName));

    /// <summary>Compose reads this parameter as <c>${variable:-defaultValue}</c> (<c>${variable}</c> without a default).</summary>
    public static IResourceBuilder<ParameterResource> PublishAsComposeVariable(
        this IResourceBuilder<ParameterResource> builder, string variable, string? defaultValue, string? description = null) =>
        builder.WithAnnotation(new ComposeVariableAnnotation(new ComposeVariable(variable, defaultValue, null, description)));

    /// <summary>Compose reads this parameter as <c>${variable:?message}</c>: it refuses to start without it.</summary>
    public static IResourceBuilder<ParameterResource> PublishAsRequiredComposeVariable(
        this IResourceBuilder<ParameterResource> builder, string variable, string message, string? description = null) =>
        builder.WithAnnotation(new ComposeVariableAnnotation(new ComposeVariable(variable, null, message, description)));

    /// <summary>The host port of endpoint <paramref name="endpointName"/> is <c>${variable:-defaultPort}</c>
    /// (<paramref name="defaultPort"/> null: the endpoint's port, which configuration may have moved on the
    /// machine that publishes; a constant keeps the file the same everywhere).</summary>
    public static IResourceBuilder<T> PublishPortAsComposeVariable<T>(
        this IResourceBuilder<T> builder, string endpointName, string variable, string description, int? defaultPort = null)
        where T : IResourceWithEndpoints =>
        builder.WithAnnotation(new ComposePublishedPortAnnotation(endpointName, variable, description, defaultPort));

    /// <summary>Puts a comment above an environment variable the service already has.</summary>
    public static ComposeService CommentEnvironment(this ComposeService service, string name, string comment)
    {
        if (!service.Environment.TryGetValue(name, out var value))
            throw new InvalidOperationException($"Compose service {service.Name} has no environment variable {name} to comment.");
        service.Environment[name] = value with { Comment = comment };
        return service;
    }
}

/// <summary>
/// Maps the app model to a <see cref="ComposeFileModel"/> and writes it. The default mapping, before each
/// resource's <see cref="ComposeServiceAnnotation"/>s run:
/// <list type="bullet">
/// <item>service: the resource's name, or its <see cref="ComposeReplicaOfAnnotation"/> service, with <c>deploy.replicas</c>;</item>
/// <item>build (context, dockerfile, stage) from AddDockerfile, image <c>{name}-{service}:local</c>; a container image as it is;
/// a build shared by several services (same image) is written on the first only;</item>
/// <item>environment: the resource's, evaluated for publishing; a parameter is its <see cref="ComposeVariableAnnotation"/>
/// interpolation, an endpoint reference is the service's name and container port;</item>
/// <item>ports: an external endpoint on every address, one with a fixed port on 127.0.0.1 only, others not published;</item>
/// <item>volumes: bind mounts and named volumes; secrets: each <see cref="ComposeSecretAnnotation"/>, declared at top level too;
/// healthcheck: the file's shared settings when the resource has a health check (the image's HEALTHCHECK does the probing);
/// depends_on: every WaitFor, as service_healthy / service_started / service_completed_successfully, sorted by name.</item>
/// </list>
/// <paramref name="swarm"/>: the Swarm stack file, where the resources' Swarm-only annotations run too.
/// </summary>
public sealed class ComposePublisher(string name, string fileName, Action<ComposeFileModel>? configure, Action<ComposeFileModel>? finish = null,
    bool swarm = false)
{
    public string FileName { get; } = fileName;

    /// <summary>
    /// What Aspire adds to a project's environment when publishing, left out of its compose service (a
    /// trailing * is a prefix): OTEL_* (OTLP export settings; compose runs no dashboard or collector),
    /// HTTP_PORTS / HTTPS_PORTS / ASPNETCORE_URLS (the endpoint's port, which the image already sets with
    /// ASPNETCORE_HTTP_PORTS), ASPNETCORE_FORWARDEDHEADERS_ENABLED (trust X-Forwarded-*: a choice of the
    /// service's, to make in the AppHost with WithEnvironment if wanted, not a side effect of publishing).
    /// </summary>
    public static IReadOnlyList<string> AspireProjectVariables { get; } =
        ["OTEL_*", "HTTP_PORTS", "HTTPS_PORTS", "ASPNETCORE_URLS", "ASPNETCORE_FORWARDEDHEADERS_ENABLED"];

    /// <summary>Writes the file into <paramref name="outputDirectory"/> (only when its content changes) and returns its path.</summary>
    public async Task<string> PublishAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext context,
        string outputDirectory, CancellationToken ct)
    {
        var text = await RenderAsync(model, context, outputDirectory, ct);
        var path = Path.Combine(outputDirectory, FileName);
        Directory.CreateDirectory(outputDirectory);
        if (!File.Exists(path) || await File.ReadAllTextAsync(path, ct) != text)
            await File.WriteAllTextAsync(path, text, new System.Text.UTF8Encoding(false), ct);
        return path;
    }

    /// <summary>The file's text, paths relative to <paramref name="baseDirectory"/>.</summary>
    public async Task<string> RenderAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext context,
        string baseDirectory, CancellationToken ct = default) =>
        ComposeYamlWriter.Write(await BuildAsync(model, context, ct), baseDirectory);

    public async Task<ComposeFileModel> BuildAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext context,
        CancellationToken ct = default)
    {
        var file = new ComposeFileModel { Name = name };
        configure?.Invoke(file);

        var groups = model.Resources.Where(IsService).GroupBy(ServiceName).ToList();
        foreach (var group in groups)
        {
            var replicas = group.Any(r => r.Annotations.OfType<ComposeReplicaOfAnnotation>().Any()) ? group.Count() : (int?)null;
            ComposeService? service = null;
            string? first = null;
            foreach (var resource in group)
            {
                var candidate = await MapAsync(file, resource, replicas, context, ct);
                // Replicas share one service definition: each must map to the very same one.
                var text = ComposeYamlWriter.Write(new ComposeFileModel { Name = name, Services = { [candidate.Name] = candidate } }, "/");
                if (first is null) (service, first) = (candidate, text);
                else if (text != first)
                    throw new InvalidOperationException(
                        $"Resource {resource.Name} is a replica of compose service {group.Key} but maps to another service:\n{text}\nthan {group.First().Name}:\n{first}");
            }
            file.Services[group.Key] = service!;
        }

        // Compose builds an image once: the first service that names it builds it, the others run it.
        foreach (var shared in file.Services.Values.Where(s => s is { Build: not null, Image: not null }).GroupBy(s => (s.Image, s.Build)))
        {
            var builder = shared.First();
            foreach (var other in shared.Skip(1))
            {
                other.Build = null;
                // Compose pulls a missing image before it builds: on a fresh machine it would look for
                // this one in a registry instead of waiting for the build above.
                other.PullPolicy = "never";
            }
            if (shared.Count() > 1 && !builder.KeyComments.ContainsKey("image"))
                builder.KeyComments["image"] = $"Built once, here; {string.Join(", ", shared.Skip(1).Select(s => s.Name))} run{(shared.Count() > 2 ? "" : "s")} the same image.";
        }

        foreach (var service in file.Services.Values)
        {
            if (service.Image is null && service.Build is null)
                throw new InvalidOperationException($"Compose service {service.Name} has neither an image nor a build: set one with PublishAsComposeService.");
            foreach (var volume in service.Volumes.Where(v => v is { IsBind: false, IsAnonymous: false }))
                file.Volumes.Add(volume.Source);
            foreach (var secret in service.Secrets.Where(s => !file.Secrets.ContainsKey(s.Source)))
                throw new InvalidOperationException($"Compose service {service.Name} mounts secret {secret.Source}, which the file does not declare.");
        }
        // Last word on the whole file (the Swarm stack file's changes to the compose services).
        finish?.Invoke(file);
        return file;
    }

    /// <summary>Projects and containers; a resource left out of the manifest (ExcludeFromManifest) is left out here too.</summary>
    private static bool IsService(IResource resource) =>
        resource is ProjectResource or ContainerResource
        && !(resource.TryGetLastAnnotation<ManifestPublishingCallbackAnnotation>(out var manifest) && manifest.Callback is null);

    private static string ServiceName(IResource resource) =>
        resource.Annotations.OfType<ComposeReplicaOfAnnotation>().LastOrDefault()?.ServiceName ?? resource.Name;

    private async Task<ComposeService> MapAsync(ComposeFileModel file, IResource resource, int? replicas,
        DistributedApplicationExecutionContext context, CancellationToken ct)
    {
        var service = new ComposeService(ServiceName(resource));

        if (resource.TryGetLastAnnotation<DockerfileBuildAnnotation>(out var build))
        {
            var dockerfile = Path.GetRelativePath(build.ContextPath, Path.GetFullPath(build.DockerfilePath, build.ContextPath));
            service.Build = new ComposeBuild(Path.GetFullPath(build.ContextPath), dockerfile, build.Stage);
            service.Image = $"{name}-{service.Name}:local";
        }
        else if (resource is ContainerResource && resource.TryGetLastAnnotation<ContainerImageAnnotation>(out var image))
        {
            service.Image = (image.Registry is null ? "" : image.Registry + "/") + image.Image
                + (image.SHA256 is not null ? "@sha256:" + image.SHA256 : image.Tag is not null ? ":" + image.Tag : "");
        }

        if (replicas is not null)
            service.Deploy = new ComposeDeploy { Replicas = replicas };

        if (resource.Annotations.OfType<HealthCheckAnnotation>().Any())
            service.Healthcheck = file.HealthcheckDefaults;

        if (resource is IResourceWithEndpoints)
        {
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                if (!endpoint.IsExternal && endpoint.Port is null) continue;
                var target = endpoint.TargetPort ?? endpoint.Port!.Value;
                service.Ports.Add(new ComposePort(target, PublishedPort(file, resource, endpoint), endpoint.IsExternal ? null : "127.0.0.1",
                    endpoint.Protocol == System.Net.Sockets.ProtocolType.Udp ? "udp" : null));
            }
        }

        var environment = new Dictionary<string, object>();
        var callbackContext = new EnvironmentCallbackContext(context, resource, environment, ct);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            await callback.Callback(callbackContext);
        foreach (var (variable, value) in environment)
        {
            if (resource is ProjectResource && AspireProjectVariables.Any(v => v.EndsWith('*') ? variable.StartsWith(v[..^1], StringComparison.Ordinal) : variable == v))
                continue;
            service.Environment[variable] = await ValueAsync(file, value, ct);
        }

        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            service.Volumes.Add(mount.Type == ContainerMountType.BindMount
                ? new ComposeVolume(Path.GetFullPath(mount.Source!), mount.Target, mount.IsReadOnly)
                : new ComposeVolume(mount.Source ?? throw new InvalidOperationException($"{resource.Name}: anonymous volumes are not published"), mount.Target, mount.IsReadOnly));
        }

        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>()
                     .Where(w => IsService(w.Resource) && ServiceName(w.Resource) != service.Name)
                     .OrderBy(w => ServiceName(w.Resource), StringComparer.Ordinal))
        {
            service.DependsOn[ServiceName(wait.Resource)] = wait.WaitType switch
            {
                WaitType.WaitUntilHealthy => "service_healthy",
                WaitType.WaitForCompletion => "service_completed_successfully",
                _ => "service_started",
            };
        }

        foreach (var secret in resource.Annotations.OfType<ComposeSecretAnnotation>())
        {
            if (file.Secrets.TryGetValue(secret.Name, out var declared) && declared != secret.Secret)
                throw new InvalidOperationException($"{resource.Name} declares secret {secret.Name} otherwise than another resource does.");
            file.Secrets[secret.Name] = secret.Secret;
            service.Secrets.Add(new ComposeServiceSecret(secret.Name));
        }

        var annotations = resource.Annotations.OfType<ComposeServiceAnnotation>().ToList();
        foreach (var annotation in annotations.Where(a => !a.SwarmOnly).Concat(swarm ? annotations.Where(a => a.SwarmOnly) : []))
            annotation.Configure(resource, service);
        return service;
    }

    private static string PublishedPort(ComposeFileModel file, IResource resource, EndpointAnnotation endpoint)
    {
        var port = (endpoint.Port ?? endpoint.TargetPort)?.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ?? throw new InvalidOperationException($"Endpoint {endpoint.Name} of {resource.Name} is external but has no port.");
        var published = resource.Annotations.OfType<ComposePublishedPortAnnotation>().LastOrDefault(a => a.EndpointName == endpoint.Name);
        if (published is null) return port;
        var variable = new ComposeVariable(published.Variable,
            published.DefaultPort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? port, null, published.Description);
        file.Variables[variable.Name] = variable;
        return variable.Interpolation;
    }

    /// <summary>An environment value as compose writes it.</summary>
    private async Task<string> ValueAsync(ComposeFileModel file, object value, CancellationToken ct)
    {
        switch (value)
        {
            case string s:
                return s;
            case ParameterResource parameter:
                return Interpolation(file, parameter);
            case EndpointReference endpoint:
                return $"{endpoint.EndpointAnnotation.UriScheme}://{ServiceName(endpoint.Resource)}:{TargetPort(endpoint)}";
            case EndpointReferenceExpression expression:
                return expression.Property switch
                {
                    EndpointProperty.Url => await ValueAsync(file, expression.Endpoint, ct),
                    EndpointProperty.Host or EndpointProperty.IPV4Host => ServiceName(expression.Endpoint.Resource),
                    EndpointProperty.HostAndPort => $"{ServiceName(expression.Endpoint.Resource)}:{TargetPort(expression.Endpoint)}",
                    EndpointProperty.TargetPort => TargetPort(expression.Endpoint),
                    // The port clients use: the published one when the endpoint is published, else the container's.
                    EndpointProperty.Port => expression.Endpoint.EndpointAnnotation is { } e && (e.IsExternal || e.Port is not null)
                        ? PublishedPort(file, expression.Endpoint.Resource, e)
                        : TargetPort(expression.Endpoint),
                    EndpointProperty.Scheme => expression.Endpoint.EndpointAnnotation.UriScheme,
                    _ => throw new NotSupportedException($"Endpoint property {expression.Property} is not published to compose."),
                };
            case ReferenceExpression { IsConditional: false } reference:
                return await FormatAsync(file, reference, ct);
            case IResourceBuilder<IResource> builder:
                return await ValueAsync(file, builder.Resource, ct);
            case IFormattable formattable:
                return formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
            default:
                throw new NotSupportedException($"An environment value of type {value.GetType().Name} is not published to compose.");
        }
    }

    /// <summary>A parameter as compose reads it: its <see cref="ComposeVariableAnnotation"/> interpolation (else a variable
    /// named after it), listed in the header's table with the parameter's WithDescription.</summary>
    private static string Interpolation(ComposeFileModel file, ParameterResource parameter)
    {
        var variable = parameter.Annotations.OfType<ComposeVariableAnnotation>().LastOrDefault()?.Variable
            ?? new ComposeVariable(parameter.Name.ToUpperInvariant().Replace('-', '_'), null, null, null);
        variable = variable with { Description = variable.Description ?? parameter.Description ?? $"parameter {parameter.Name}" };
        file.Variables[variable.Name] = variable;
        return variable.Interpolation;
    }

    /// <summary>A reference expression with each of its values as compose writes it.</summary>
    private async Task<string> FormatAsync(ComposeFileModel file, ReferenceExpression reference, CancellationToken ct)
    {
        var values = new object[reference.ValueProviders.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var part = await ValueAsync(file, reference.ValueProviders[i], ct);
            values[i] = reference.StringFormats[i] == "uri" ? Uri.EscapeDataString(part) : part;
        }
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, reference.Format, values);
    }

    private static string TargetPort(EndpointReference endpoint) =>
        endpoint.EndpointAnnotation.TargetPort?.ToString(System.Globalization.CultureInfo.InvariantCulture)
        ?? throw new InvalidOperationException(
            $"Endpoint {endpoint.EndpointName} of {endpoint.Resource.Name} has no target port: give it the container's port when publishing.");
}
