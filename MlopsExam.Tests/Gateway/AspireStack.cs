using System.Collections.Concurrent;
using System.Text;
using Aspire.Hosting;
using Microsoft.Extensions.Logging;

namespace MlopsExam.Tests.Gateway;

/// <summary>Starts the real AppHost once per test class (Aspire.Hosting.Testing): the same
/// resources `make run` starts, images built from deployments/. Without Aspire's dashboard (the testing
/// builder's default); <see cref="AspireDashboardStack"/> runs it.</summary>
public class AspireStack : GatewayStack
{
    /// <summary>A fresh machine builds three images and four API processes first.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    private DistributedApplication? _app;
    private readonly ConcurrentDictionary<string, StringBuilder> _logs = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _watchers = [];

    public DistributedApplicationModel Model => _app!.Services.GetRequiredService<DistributedApplicationModel>();

    /// <summary>Whether the AppHost runs its dashboard, as `make run` does.</summary>
    protected virtual bool RunsDashboard => false;

    /// <summary>What the AppHost itself printed (warnings; with the dashboard, also its login URL), as `make run` shows it.</summary>
    public AppHostOutput Output { get; } = new();

    public override async Task InitializeAsync()
    {
        DockerPrerequisite.EnsureRunning();
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlopsExam_AppHost>(
            // Keep the ports the AppHost asks for (80/443): the redirect test checks the real one.
            // `make run`'s launch profile (http: the dashboard needs no development certificate).
            ["DcpPublisher:RandomizePorts=false", "DOTNET_LAUNCH_PROFILE=http"],
            (options, _) => options.DisableDashboard = !RunsDashboard,
            cts.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            // The line that prints the dashboard's login URL is an Information of this category.
            .AddFilter(AppHostOutput.HostingCategory, LogLevel.Information)
            .AddProvider(Output));
        _app = await builder.BuildAsync(cts.Token);

        await _app.StartAsync(cts.Token);

        // After start, when each resource's DCP instance name is known. DCP streams a log from its
        // beginning to a new subscriber, so nothing written before this point is lost.
        var loggers = _app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var api in Model.Resources.OfType<ProjectResource>())
            _watchers.Add(CollectLogsAsync(loggers, api, _stopping.Token));
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceHealthyAsync("gateway", cts.Token);
        await notifications.WaitForResourceHealthyAsync("prometheus", cts.Token);

        // Declared as tcp under the AppHost (GatewayResourceBuilderExtensions says why); nginx speaks TLS there.
        HttpsBase = new UriBuilder(_app.GetEndpoint("gateway", "https")) { Scheme = Uri.UriSchemeHttps }.Uri;
        HttpBase = _app.GetEndpoint("gateway", "http");
        User = await ParameterValueAsync("basic-auth-user", cts.Token);
        Password = await ParameterValueAsync("basic-auth-password", cts.Token);
        LoadGatewayCertificate();
    }

    private async Task<string> ParameterValueAsync(string name, CancellationToken ct) =>
        await Model.Resources.OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(ct)
        ?? throw new InvalidOperationException($"Parameter {name} has no value.");

    private async Task CollectLogsAsync(ResourceLoggerService loggers, IResource resource, CancellationToken ct)
    {
        // The IResource overload follows the resource's DCP instance(s), whose names carry a suffix.
        var log = _logs.GetOrAdd(resource.Name, _ => new StringBuilder());
        try
        {
            await foreach (var batch in loggers.WatchAsync(resource).WithCancellation(ct))
                lock (log)
                    foreach (var line in batch)
                        log.AppendLine(line.Content);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override Task<string> GetReplicaLogsAsync(string instanceId, CancellationToken ct)
    {
        // In the AppHost a replica's instance id is its resource name (Serving__InstanceId).
        if (!_logs.TryGetValue(instanceId, out var log))
            throw new InvalidOperationException($"No API resource named '{instanceId}'.");
        lock (log) return Task.FromResult(log.ToString());
    }

    /// <summary>DCP names a container after its resource plus a random suffix ("gateway-abcd1234").</summary>
    public override Task<IReadOnlyDictionary<string, string>> ContainerIdsAsync(CancellationToken ct)
    {
        var (code, output) = Shell.Run("docker", ["ps", "--format", "{{.Names}} {{.ID}}"], TimeSpan.FromSeconds(30));
        if (code != 0) throw new InvalidOperationException($"docker ps failed: {output}");
        var containers = Model.Resources.OfType<ContainerResource>().Select(r => r.Name).ToHashSet();
        var found = new Dictionary<string, string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            var dash = parts[0].LastIndexOf('-');
            if (dash > 0 && containers.Contains(parts[0][..dash])) found[parts[0][..dash]] = parts[1];
        }
        return Task.FromResult<IReadOnlyDictionary<string, string>>(found);
    }

    public override async Task<string> QueryPrometheusAsync(string pathAndQuery, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = _app!.GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(10) };
        return await client.GetStringAsync(pathAndQuery, ct);
    }

    public override async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Task.WhenAll(_watchers);
        _stopping.Dispose();
    }
}

/// <summary>The AppHost with its own dashboard, as under `make run`: the dashboard's browser tests.</summary>
public sealed class AspireDashboardStack : AspireStack
{
    protected override bool RunsDashboard => true;

    /// <summary>The login URL the AppHost printed ("Login to the dashboard at http://localhost:15043/login?t=...").</summary>
    public string LoginUrl => Output.Match(@"Login to the dashboard at (?<url>\S+/login\?t=\S+)")?.Groups["url"].Value
        ?? throw new InvalidOperationException($"The AppHost printed no dashboard login URL; it printed:\n{Output.Text}");

    public Uri DashboardBase => new(new Uri(LoginUrl).GetLeftPart(UriPartial.Authority));
}

/// <summary>Keeps every message the AppHost logs, one line each ("level category: message").</summary>
public sealed class AppHostOutput : ILoggerProvider
{
    public const string HostingCategory = "Aspire.Hosting.DistributedApplication";

    private readonly StringBuilder _text = new();

    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    public System.Text.RegularExpressions.Match? Match(string pattern) =>
        System.Text.RegularExpressions.Regex.Match(Text, pattern) is { Success: true } match ? match : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(AppHostOutput output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (output._text)
                output._text.AppendLine($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
