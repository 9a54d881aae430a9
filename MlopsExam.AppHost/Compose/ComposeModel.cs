namespace MlopsExam.AppHost.Compose;

// A typed subset of the Compose specification (https://docs.docker.com/reference/compose-file/),
// what ComposePublisher fills from the app model and what PublishAsComposeService callbacks edit.
// Paths (build contexts, bind-mount sources, secret files) are absolute here; the writer makes them
// relative to the folder of the written file, as compose resolves them.
// Collections keep the order things were added in, so the output is the same at every run.

/// <summary>The whole file: name, header, shared healthcheck settings, services, top-level secrets.</summary>
public sealed class ComposeFileModel
{
    /// <summary>Compose project name (<c>name:</c>); also the prefix of the images built here.</summary>
    public required string Name { get; set; }

    /// <summary>Written as <c>version:</c> instead of <c>name:</c> when set: <c>docker stack deploy</c>
    /// reads the version 3 format, which has no project name (the stack's name is given on the command line).</summary>
    public string? StackFormatVersion { get; set; }

    /// <summary>Comment lines at the top of the file. A line <c>{variables}</c> is replaced by the table of
    /// the variables the file reads (name, default or "required", description), generated from the
    /// ComposeVariable and ComposePublishedPort annotations.</summary>
    public string? Header { get; set; }

    /// <summary>Healthcheck settings written once as <c>x-healthcheck: &amp;healthcheck</c>; a service whose
    /// <see cref="ComposeService.Healthcheck"/> is this very instance says <c>healthcheck: *healthcheck</c>.</summary>
    public ComposeHealthcheck? HealthcheckDefaults { get; set; }

    public OrderedDictionary<string, ComposeService> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level <c>secrets:</c>, which services mount with <see cref="ComposeService.Secrets"/>.</summary>
    public OrderedDictionary<string, ComposeSecret> Secrets { get; } = new(StringComparer.Ordinal);

    /// <summary>Top-level <c>volumes:</c> (named volumes). Filled from the services' named volumes.</summary>
    public SortedSet<string> Volumes { get; } = new(StringComparer.Ordinal);

    /// <summary>Variables the file interpolates, for the header's table (filled by the publisher).</summary>
    public OrderedDictionary<string, ComposeVariable> Variables { get; } = new(StringComparer.Ordinal);
}

/// <summary>One service. Null or empty members are not written.</summary>
public sealed class ComposeService
{
    public ComposeService(string name) => Name = name;

    public string Name { get; }

    /// <summary>Comment written above the service's name (lines separated by \n).</summary>
    public string? Comment { get; set; }

    /// <summary>Comments written above a key of the service: <c>KeyComments["read_only"] = "..."</c>.</summary>
    public Dictionary<string, string> KeyComments { get; } = new(StringComparer.Ordinal);

    public ComposeBuild? Build { get; set; }
    public string? Image { get; set; }
    /// <summary><c>pull_policy</c>: <c>never</c> for a service that runs an image another service of the file builds.</summary>
    public string? PullPolicy { get; set; }
    public string? User { get; set; }
    public bool? ReadOnly { get; set; }
    public List<string> CapDrop { get; } = [];
    public List<string> CapAdd { get; } = [];
    public List<string> SecurityOpt { get; } = [];
    /// <summary>tmpfs mounts, "path[:options]", e.g. "/tmp:size=16m,mode=1777".</summary>
    public List<string> Tmpfs { get; } = [];
    /// <summary><c>no</c>, <c>always</c>, <c>on-failure[:n]</c> or <c>unless-stopped</c> (compose; Swarm reads <see cref="ComposeDeploy.RestartPolicy"/>).</summary>
    public string? Restart { get; set; }
    public ComposeDeploy? Deploy { get; set; }
    public ComposeHealthcheck? Healthcheck { get; set; }
    public List<ComposePort> Ports { get; } = [];
    /// <summary>Values are written as they are: <c>${VAR:-default}</c> interpolations included.</summary>
    public OrderedDictionary<string, ComposeValue> Environment { get; } = new(StringComparer.Ordinal);
    public List<ComposeServiceSecret> Secrets { get; } = [];
    public List<ComposeVolume> Volumes { get; } = [];
    /// <summary>tmpfs mounts in the volumes' long syntax (what `docker stack deploy` honours; it ignores <c>tmpfs:</c>).</summary>
    public List<ComposeTmpfsVolume> TmpfsVolumes { get; } = [];
    public ComposeLogging? Logging { get; set; }
    /// <summary>service name -> condition (service_started, service_healthy, service_completed_successfully).</summary>
    public OrderedDictionary<string, string> DependsOn { get; } = new(StringComparer.Ordinal);
}

/// <summary>A value with an optional comment above it; a plain string converts to one.</summary>
public sealed record ComposeValue(string Value, string? Comment = null)
{
    public static implicit operator ComposeValue(string value) => new(value);
}

/// <summary><paramref name="Context"/> absolute; <paramref name="Dockerfile"/> relative to it (null: Dockerfile).</summary>
public sealed record ComposeBuild(string Context, string? Dockerfile = null, string? Target = null);

/// <summary>A published port, <c>"[HostIp:]Published:Target[/Protocol]"</c> (<paramref name="Published"/> may be an
/// interpolation); <paramref name="Mode"/> (Swarm: <c>host</c> or <c>ingress</c>) makes it long syntax.</summary>
public sealed record ComposePort(int Target, string? Published = null, string? HostIp = null, string? Protocol = null, string? Mode = null);

/// <summary>A bind mount (<paramref name="Source"/> an absolute path) or a named volume (a bare name).</summary>
/// <summary>A bind mount (absolute <see cref="Source"/>), a named volume, or an anonymous one (empty <see cref="Source"/>).</summary>
public sealed record ComposeVolume(string Source, string Target, bool ReadOnly = false)
{
    public bool IsBind => Path.IsPathRooted(Source);
    public bool IsAnonymous => Source.Length == 0;
}

public sealed class ComposeDeploy
{
    public int? Replicas { get; set; }
    /// <summary>Swarm: <c>vip</c> (one virtual IP, the default) or <c>dnsrr</c> (the name resolves to every task).</summary>
    public string? EndpointMode { get; set; }
    /// <summary>Memory and CPU limits and reservations (compose and Swarm).</summary>
    public ComposeResources? Resources { get; set; }
    /// <summary>Swarm: when a task that stopped is started again.</summary>
    public ComposeRestartPolicy? RestartPolicy { get; set; }
    /// <summary>Swarm: how a rolling update replaces tasks.</summary>
    public ComposeUpdateConfig? UpdateConfig { get; set; }
    /// <summary>Swarm: which nodes may run the tasks, and how many on one node.</summary>
    public ComposePlacement? Placement { get; set; }

    /// <summary>Nothing to write.</summary>
    public bool IsEmpty => Replicas is null && EndpointMode is null && Resources is not { IsEmpty: false } && RestartPolicy is null && UpdateConfig is null
        && Placement is not { IsEmpty: false };
}

/// <summary>Swarm placement: node constraints (<c>node.labels.edge == true</c>) and at most
/// <see cref="MaxReplicasPerNode"/> tasks of the service on one node.</summary>
public sealed class ComposePlacement
{
    public List<string> Constraints { get; } = [];
    public int? MaxReplicasPerNode { get; set; }

    public bool IsEmpty => Constraints.Count == 0 && MaxReplicasPerNode is null;
}

/// <summary><c>deploy.resources</c>.</summary>
public sealed class ComposeResources
{
    public ComposeResourceLimits? Limits { get; set; }
    public ComposeResourceLimits? Reservations { get; set; }

    public bool IsEmpty => Limits is not { IsEmpty: false } && Reservations is not { IsEmpty: false };
}

/// <summary><paramref name="Cpus"/> a share of CPUs ("0.5"); <paramref name="Memory"/> a byte value ("256M").</summary>
public sealed record ComposeResourceLimits(string? Cpus = null, string? Memory = null)
{
    public bool IsEmpty => Cpus is null && Memory is null;
}

/// <summary>Swarm's <c>deploy.restart_policy</c>: <paramref name="Condition"/> none, on-failure or any.</summary>
public sealed record ComposeRestartPolicy(string Condition, string? Delay = null, int? MaxAttempts = null, string? Window = null);

/// <summary>Swarm's <c>deploy.update_config</c>.</summary>
public sealed record ComposeUpdateConfig(int Parallelism, string Order, string? Delay = null, string? FailureAction = null, string? Monitor = null);

/// <summary>Null members are the image's own HEALTHCHECK values.</summary>
public sealed class ComposeHealthcheck
{
    /// <summary>e.g. ["CMD", "wget", "-qO-", "http://localhost/"]; null keeps the image's test.</summary>
    public IReadOnlyList<string>? Test { get; set; }
    public string? Interval { get; set; }
    public string? Timeout { get; set; }
    public int? Retries { get; set; }
    public string? StartPeriod { get; set; }
    public string? StartInterval { get; set; }
    /// <summary>Comment above <c>x-healthcheck</c> when this is the file's <see cref="ComposeFileModel.HealthcheckDefaults"/>.</summary>
    public string? Comment { get; set; }
}

/// <summary>A secret a service mounts: short syntax when only <paramref name="Source"/> is set
/// (/run/secrets/&lt;source&gt;), long syntax otherwise.</summary>
public sealed record ComposeServiceSecret(string Source, string? Target = null, string? Uid = null, string? Gid = null, string? Mode = null);

/// <summary>A top-level secret: from a file (absolute path) or from a variable of compose's environment.</summary>
public sealed record ComposeSecret(string? File = null, string? Environment = null, string? Comment = null);

public sealed class ComposeLogging
{
    public string? Driver { get; set; }
    public OrderedDictionary<string, string> Options { get; } = new(StringComparer.Ordinal);
}

/// <summary>A variable the file interpolates: <c>${Name:-Default}</c>, or <c>${Name:?RequiredMessage}</c>;
/// <paramref name="Description"/> is its line in the header's table.</summary>
public sealed record ComposeVariable(string Name, string? Default, string? RequiredMessage, string? Description)
{
    public string Interpolation => RequiredMessage is not null ? $"${{{Name}:?{RequiredMessage}}}"
        : Default is not null ? $"${{{Name}:-{Default}}}"
        : $"${{{Name}}}";
}

/// <summary>A tmpfs mount in long syntax: size in bytes, mode as octal text (e.g. "01777").</summary>
public sealed record ComposeTmpfsVolume(string Target, long SizeBytes, string? Mode = null);
