using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MlopsExam.Tests.Compose;

/// <summary>
/// The parts of a compose file the tests compare, read with YamlDotNet (no Docker needed): short and
/// long syntaxes alike, anchors, aliases and merge keys resolved, paths made absolute against the
/// file's folder, and <c>${VAR:-default}</c> read as its default (what `make up` gets on a machine
/// that sets nothing).
/// </summary>
public sealed partial class ComposeFile
{
    private ComposeFile(string directory, IReadOnlyDictionary<string, ParsedService> services) =>
        (Directory, Services) = (directory, services);

    public string Directory { get; }
    public IReadOnlyDictionary<string, ParsedService> Services { get; }

    public static ComposeFile Load(string path) =>
        Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>A compose file's text, its relative paths resolved against <paramref name="directory"/>.</summary>
    public static ComposeFile Parse(string text, string directory)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(text))
            yaml.Load(new MergingParser(new Parser(reader)));
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        var services = Child<YamlMappingNode>(root, "services")
            ?? throw new InvalidDataException("The compose file has no services.");
        return new ComposeFile(directory, services.Children.ToDictionary(
            kv => Scalar(kv.Key)!,
            kv => ReadService(directory, Scalar(kv.Key)!, (YamlMappingNode)kv.Value)));
    }

    private static ParsedService ReadService(string directory, string name, YamlMappingNode node)
    {
        var deploy = Child<YamlMappingNode>(node, "deploy");
        var replicas = Scalar(Child<YamlNode>(deploy, "replicas")) ?? Scalar(Child<YamlNode>(node, "scale"));
        return new ParsedService(
            name,
            Image: Scalar(Child<YamlNode>(node, "image")),
            Build: ReadBuild(directory, Child<YamlNode>(node, "build")),
            Replicas: replicas is null ? 1 : Int(WithDefaults(replicas)),
            Environment: ReadEnvironment(Child<YamlNode>(node, "environment")),
            Ports: Sequence(node, "ports").Select(ReadPort).ToList(),
            Mounts: Sequence(node, "volumes").Select(v => ReadMount(directory, v)).ToList(),
            DependsOn: ReadDependsOn(Child<YamlNode>(node, "depends_on")),
            Healthcheck: Child<YamlMappingNode>(node, "healthcheck"),
            Restart: Scalar(Child<YamlNode>(node, "restart")),
            RestartPolicy: ReadMap(Child<YamlMappingNode>(deploy, "restart_policy")),
            LogDriver: Scalar(Child<YamlNode>(Child<YamlMappingNode>(node, "logging"), "driver")),
            LogOptions: ReadMap(Child<YamlMappingNode>(Child<YamlMappingNode>(node, "logging"), "options")),
            Limits: ReadMap(Child<YamlMappingNode>(Child<YamlMappingNode>(deploy, "resources"), "limits")));
    }

    /// <summary>A mapping of scalars, <c>${VAR:-default}</c> read as its default; empty when absent.</summary>
    private static IReadOnlyDictionary<string, string> ReadMap(YamlMappingNode? node) =>
        node?.Children.ToDictionary(kv => Scalar(kv.Key)!, kv => WithDefaults(Scalar(kv.Value) ?? ""))
        ?? new Dictionary<string, string>();

    private static ParsedBuild? ReadBuild(string directory, YamlNode? node)
    {
        if (node is null) return null;
        var context = node is YamlMappingNode map ? Scalar(Child<YamlNode>(map, "context")) ?? "." : Scalar(node)!;
        var dockerfile = node is YamlMappingNode m ? Scalar(Child<YamlNode>(m, "dockerfile")) ?? "Dockerfile" : "Dockerfile";
        var target = node is YamlMappingNode t ? Scalar(Child<YamlNode>(t, "target")) : null;
        var contextPath = Path.GetFullPath(Path.Combine(directory, context));
        return new ParsedBuild(contextPath, Path.GetFullPath(Path.Combine(contextPath, dockerfile)), target);
    }

    /// <summary>Both forms: a map (NAME: value) or a list (NAME=value, or NAME alone).</summary>
    private static IReadOnlyDictionary<string, string?> ReadEnvironment(YamlNode? node) => node switch
    {
        null => new Dictionary<string, string?>(),
        YamlMappingNode map => map.Children.ToDictionary(kv => Scalar(kv.Key)!, kv => Scalar(kv.Value)),
        YamlSequenceNode list => list.Children.Select(i => Scalar(i)!.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : null),
        _ => throw new InvalidDataException($"environment at {node.Start} is neither a map nor a list"),
    };

    /// <summary>"[ip:]host:container[/protocol]", "container", or {target, published}.</summary>
    private static ParsedPort ReadPort(YamlNode node)
    {
        if (node is YamlMappingNode map)
        {
            var published = Scalar(Child<YamlNode>(map, "published"));
            return new ParsedPort(Int(Scalar(Child<YamlNode>(map, "target"))!), published is null ? null : Int(WithDefaults(published)));
        }
        var parts = WithDefaults(Scalar(node)!).Split('/')[0].Split(':');
        return new ParsedPort(Int(parts[^1]), parts.Length >= 2 ? Int(parts[^2]) : null, parts.Length >= 3 ? parts[^3] : null);
    }

    /// <summary>Bind mounts; a named volume comes back with a null source path.</summary>
    private static ParsedMount ReadMount(string directory, YamlNode node)
    {
        string source, target;
        bool readOnly;
        if (node is YamlMappingNode map)
        {
            source = Scalar(Child<YamlNode>(map, "source")) ?? "";
            target = Scalar(Child<YamlNode>(map, "target"))!;
            readOnly = Scalar(Child<YamlNode>(map, "read_only")) is "true";
            if (Scalar(Child<YamlNode>(map, "type")) is not "bind")
                return new ParsedMount(null, target, readOnly);
        }
        else
        {
            var parts = Scalar(node)!.Split(':');
            (source, target) = (parts[0], parts[1]);
            readOnly = parts.Length > 2 && parts[2].Split(',').Contains("ro");
            if (!(source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~')))
                return new ParsedMount(null, target, readOnly);
        }
        return new ParsedMount(Path.GetFullPath(Path.Combine(directory, source)), target, readOnly);
    }

    /// <summary>service -> condition; the list form means service_started.</summary>
    private static IReadOnlyDictionary<string, string> ReadDependsOn(YamlNode? node) => node switch
    {
        null => new Dictionary<string, string>(),
        YamlSequenceNode list => list.Children.ToDictionary(i => Scalar(i)!, _ => "service_started"),
        YamlMappingNode map => map.Children.ToDictionary(kv => Scalar(kv.Key)!,
            kv => Scalar(Child<YamlNode>(kv.Value as YamlMappingNode, "condition")) ?? "service_started"),
        _ => throw new InvalidDataException($"depends_on at {node.Start} is neither a map nor a list"),
    };

    /// <summary>${VAR:-default} and ${VAR-default} become their default; anything else is kept.</summary>
    public static string WithDefaults(string value) => DefaultedVariable().Replace(value, m => m.Groups["default"].Value);

    [GeneratedRegex(@"\$\{\w+:?-(?<default>[^}]*)\}")]
    private static partial Regex DefaultedVariable();

    private static T? Child<T>(YamlMappingNode? map, string key) where T : YamlNode =>
        map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as T : null;

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode map, string key) =>
        Child<YamlSequenceNode>(map, key)?.Children ?? [];

    private static string? Scalar(YamlNode? node) => (node as YamlScalarNode)?.Value;

    private static int Int(string value) => int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record ParsedService(
    string Name,
    string? Image,
    ParsedBuild? Build,
    int Replicas,
    IReadOnlyDictionary<string, string?> Environment,
    IReadOnlyList<ParsedPort> Ports,
    IReadOnlyList<ParsedMount> Mounts,
    IReadOnlyDictionary<string, string> DependsOn,
    YamlMappingNode? Healthcheck,
    string? Restart,
    IReadOnlyDictionary<string, string> RestartPolicy,
    string? LogDriver,
    IReadOnlyDictionary<string, string> LogOptions,
    IReadOnlyDictionary<string, string> Limits);

/// <summary>Absolute context and Dockerfile paths, and the stage built (null: the last one).</summary>
public sealed record ParsedBuild(string Context, string Dockerfile, string? Target);

/// <summary>A published port; <paramref name="HostIp"/> null means every address of the host.</summary>
public sealed record ParsedPort(int Container, int? Host, string? HostIp = null);

/// <summary><paramref name="Source"/> is an absolute host path, or null for a named volume.</summary>
public sealed record ParsedMount(string? Source, string Target, bool ReadOnly);
