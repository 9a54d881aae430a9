using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MlopsExam.AppHost.Compose;

/// <summary>
/// Writes a <see cref="ComposeFileModel"/> as YAML by hand, because the file is read by people:
/// comments above services and keys, keys in the order of the Compose reference, two-space indents,
/// "\n" line ends, no timestamp. The same model always gives the same bytes.
/// </summary>
public static partial class ComposeYamlWriter
{
    /// <summary>Anchor of <see cref="ComposeFileModel.HealthcheckDefaults"/>.</summary>
    private const string HealthcheckAnchor = "healthcheck";

    /// <param name="baseDirectory">The folder the file is written to: paths are made relative to it.</param>
    public static string Write(ComposeFileModel file, string baseDirectory)
    {
        var w = new Writer(baseDirectory);

        if (file.Header is not null)
        {
            w.Comment(0, ExpandVariables(file.Header, file.Variables));
            w.Blank();
        }
        if (file.StackFormatVersion is { } version) w.Line(0, $"version: {DoubleQuoted(version)}");
        else w.Line(0, $"name: {Scalar(file.Name)}");

        if (file.HealthcheckDefaults is { } defaults)
        {
            w.Blank();
            w.Comment(0, defaults.Comment);
            w.Line(0, $"x-healthcheck: &{HealthcheckAnchor}");
            WriteHealthcheckFields(w, 1, defaults);
        }

        w.Blank();
        w.Line(0, "services:");
        var firstService = true;
        foreach (var service in file.Services.Values)
        {
            if (!firstService) w.Blank();
            firstService = false;
            WriteService(w, file, service);
        }

        if (file.Secrets.Count > 0)
        {
            w.Blank();
            w.Line(0, "secrets:");
            foreach (var (name, secret) in file.Secrets)
            {
                w.Comment(1, secret.Comment);
                w.Line(1, $"{Scalar(name)}:");
                if (secret.File is not null) w.Line(2, $"file: {Scalar(w.BindPath(secret.File))}");
                if (secret.Environment is not null) w.Line(2, $"environment: {Scalar(secret.Environment)}");
            }
        }

        if (file.Volumes.Count > 0)
        {
            w.Blank();
            w.Line(0, "volumes:");
            foreach (var volume in file.Volumes)
                w.Line(1, $"{Scalar(volume)}: {{}}");
        }

        return w.ToString();
    }

    private static void WriteService(Writer w, ComposeFileModel file, ComposeService s)
    {
        w.Comment(1, s.Comment);
        w.Line(1, $"{Scalar(s.Name)}:");
        const int i = 2;
        void Key(string key) => w.Comment(i, s.KeyComments.GetValueOrDefault(key));

        if (s.Build is { } build)
        {
            Key("build");
            w.Line(i, "build:");
            w.Line(i + 1, $"context: {Scalar(w.RelativePath(build.Context))}");
            if (build.Dockerfile is { } dockerfile && dockerfile != "Dockerfile")
                w.Line(i + 1, $"dockerfile: {Scalar(dockerfile.Replace('\\', '/'))}");
            if (build.Target is { } target)
                w.Line(i + 1, $"target: {Scalar(target)}");
        }
        Field("image", s.Image);
        Field("user", s.User);
        if (s.ReadOnly is { } readOnly) Field("read_only", readOnly ? "true" : "false", plain: true);
        List("cap_drop", s.CapDrop);
        List("cap_add", s.CapAdd);
        List("security_opt", s.SecurityOpt);
        List("tmpfs", s.Tmpfs);
        if (s.Deploy is { } deploy && (deploy.Replicas is not null || deploy.EndpointMode is not null || deploy.UpdateConfig is not null))
        {
            Key("deploy");
            w.Line(i, "deploy:");
            if (deploy.Replicas is { } replicas) w.Line(i + 1, $"replicas: {replicas.ToString(CultureInfo.InvariantCulture)}");
            if (deploy.EndpointMode is { } mode) w.Line(i + 1, $"endpoint_mode: {Scalar(mode)}");
            if (deploy.UpdateConfig is { } update)
            {
                w.Line(i + 1, "update_config:");
                w.Line(i + 2, $"parallelism: {update.Parallelism.ToString(CultureInfo.InvariantCulture)}");
                w.Line(i + 2, $"order: {Scalar(update.Order)}");
                if (update.Delay is not null) w.Line(i + 2, $"delay: {Scalar(update.Delay)}");
                if (update.Monitor is not null) w.Line(i + 2, $"monitor: {Scalar(update.Monitor)}");
                if (update.FailureAction is not null) w.Line(i + 2, $"failure_action: {Scalar(update.FailureAction)}");
            }
        }
        if (s.Healthcheck is { } healthcheck)
        {
            Key("healthcheck");
            if (ReferenceEquals(healthcheck, file.HealthcheckDefaults))
                w.Line(i, $"healthcheck: *{HealthcheckAnchor}");
            else
            {
                w.Line(i, "healthcheck:");
                WriteHealthcheckFields(w, i + 1, healthcheck);
            }
        }
        if (s.Ports.Count > 0)
        {
            Key("ports");
            w.Line(i, "ports:");
            foreach (var port in s.Ports)
            {
                w.Comment(i + 1, port.Comment);
                if (port.Mode is not null)
                {
                    w.Line(i + 1, $"- target: {port.Target.ToString(CultureInfo.InvariantCulture)}");
                    if (port.Published is not null) w.Line(i + 2, $"published: {DoubleQuoted(port.Published)}");
                    w.Line(i + 2, $"protocol: {Scalar(port.Protocol ?? "tcp")}");
                    w.Line(i + 2, $"mode: {Scalar(port.Mode)}");
                    continue;
                }
                var text = string.Join(':', new[] { port.HostIp, port.Published, port.Target.ToString(CultureInfo.InvariantCulture) }.Where(p => p is not null))
                    + (port.Protocol is null ? "" : "/" + port.Protocol);
                // Always quoted: the Compose reference's advice (YAML 1.1 reads 80:80-like plain scalars as base 60).
                w.Line(i + 1, $"- {DoubleQuoted(text)}");
            }
        }
        if (s.Environment.Count > 0)
        {
            Key("environment");
            w.Line(i, "environment:");
            foreach (var (name, value) in s.Environment)
            {
                w.Comment(i + 1, value.Comment);
                w.Line(i + 1, $"{Scalar(name)}: {Scalar(value.Value)}");
            }
        }
        if (s.Secrets.Count > 0)
        {
            Key("secrets");
            w.Line(i, "secrets:");
            foreach (var secret in s.Secrets)
            {
                if (secret is { Target: null, Uid: null, Gid: null, Mode: null })
                {
                    w.Line(i + 1, $"- {Scalar(secret.Source)}");
                    continue;
                }
                w.Line(i + 1, $"- source: {Scalar(secret.Source)}");
                if (secret.Target is not null) w.Line(i + 2, $"target: {Scalar(secret.Target)}");
                if (secret.Uid is not null) w.Line(i + 2, $"uid: {DoubleQuoted(secret.Uid)}");
                if (secret.Gid is not null) w.Line(i + 2, $"gid: {DoubleQuoted(secret.Gid)}");
                if (secret.Mode is not null) w.Line(i + 2, $"mode: {secret.Mode}");
            }
        }
        if (s.Volumes.Count > 0 || s.TmpfsVolumes.Count > 0)
        {
            Key("volumes");
            w.Line(i, "volumes:");
            foreach (var volume in s.Volumes)
            {
                w.Comment(i + 1, volume.Comment);
                var source = volume.IsBind ? w.BindPath(volume.Source) : volume.Source;
                w.Line(i + 1, $"- {Scalar($"{source}:{volume.Target}{(volume.ReadOnly ? ":ro" : "")}")}");
            }
            foreach (var tmpfs in s.TmpfsVolumes)
            {
                w.Line(i + 1, "- type: tmpfs");
                w.Line(i + 2, $"target: {Scalar(tmpfs.Target)}");
                w.Line(i + 2, "tmpfs:");
                w.Line(i + 3, $"size: {tmpfs.SizeBytes.ToString(CultureInfo.InvariantCulture)}");
                if (tmpfs.Mode is { } mode) w.Line(i + 3, $"mode: {mode}");
            }
        }
        if (s.Logging is { } logging)
        {
            Key("logging");
            w.Line(i, "logging:");
            if (logging.Driver is not null) w.Line(i + 1, $"driver: {Scalar(logging.Driver)}");
            if (logging.Options.Count > 0)
            {
                w.Line(i + 1, "options:");
                foreach (var (key, value) in logging.Options)
                    w.Line(i + 2, $"{Scalar(key)}: {DoubleQuoted(value)}");
            }
        }
        if (s.DependsOn.Count > 0)
        {
            Key("depends_on");
            w.Line(i, "depends_on:");
            foreach (var (name, condition) in s.DependsOn)
            {
                w.Line(i + 1, $"{Scalar(name)}:");
                w.Line(i + 2, $"condition: {Scalar(condition)}");
            }
        }

        void Field(string key, string? value, bool plain = false)
        {
            if (value is null) return;
            Key(key);
            w.Line(i, $"{key}: {(plain ? value : Scalar(value))}");
        }

        void List(string key, List<string> values)
        {
            if (values.Count == 0) return;
            Key(key);
            w.Line(i, $"{key}:");
            foreach (var value in values)
                w.Line(i + 1, $"- {Scalar(value)}");
        }
    }

    private static void WriteHealthcheckFields(Writer w, int indent, ComposeHealthcheck h)
    {
        if (h.Test is { } test)
            w.Line(indent, $"test: [{string.Join(", ", test.Select(DoubleQuoted))}]");
        if (h.Interval is not null) w.Line(indent, $"interval: {Scalar(h.Interval)}");
        if (h.Timeout is not null) w.Line(indent, $"timeout: {Scalar(h.Timeout)}");
        if (h.Retries is { } retries) w.Line(indent, $"retries: {retries.ToString(CultureInfo.InvariantCulture)}");
        if (h.StartPeriod is not null) w.Line(indent, $"start_period: {Scalar(h.StartPeriod)}");
        if (h.StartInterval is not null) w.Line(indent, $"start_interval: {Scalar(h.StartInterval)}");
    }

    /// <summary>The header with its <c>{variables}</c> line replaced by one line per variable.</summary>
    private static string ExpandVariables(string header, OrderedDictionary<string, ComposeVariable> variables)
    {
        var rows = variables.Values.OrderBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => (v.Name, Default: v.RequiredMessage is not null ? "required" : v.Default ?? "", v.Description)).ToList();
        var nameWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length);
        var defaultWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Default.Length);
        var table = string.Join('\n', rows.Select(r =>
            $"  {r.Name.PadRight(nameWidth)}  {r.Default.PadRight(defaultWidth)}  {r.Description}".TrimEnd()));
        return string.Join('\n', header.Split('\n').Select(line => line.Trim() == "{variables}" ? table : line));
    }

    /// <summary>A plain scalar when YAML reads it back as the same string, else double-quoted.</summary>
    public static string Scalar(string value) => NeedsQuotes(value) ? DoubleQuoted(value) : value;

    private static bool NeedsQuotes(string value) =>
        value.Length == 0
        || value != value.Trim()
        || "-?:,[]{}#&*!|>'\"%@`".Contains(value[0])
        || value.Contains(": ", StringComparison.Ordinal) || value.Contains(" #", StringComparison.Ordinal) || value.EndsWith(':')
        || value.Any(char.IsControl)
        || NotAString().IsMatch(value);

    /// <summary>Scalars YAML 1.1 or 1.2 would read as a boolean, null or number.</summary>
    [GeneratedRegex(@"^(?i:y|n|yes|no|true|false|on|off|null|~|\.nan|[-+]?\.inf)$|^[-+]?(\.[0-9]|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$|0[xo][0-9a-fA-F]+$|[0-9]+(:[0-9]+)+)")]
    private static partial Regex NotAString();

    public static string DoubleQuoted(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private sealed class Writer(string baseDirectory)
    {
        private readonly StringBuilder _sb = new();

        public void Line(int indent, string text) => _sb.Append(' ', indent * 2).Append(text).Append('\n');

        public void Blank() => _sb.Append('\n');

        public void Comment(int indent, string? text)
        {
            if (text is null) return;
            foreach (var line in text.Split('\n'))
                Line(indent, line.Length == 0 ? "#" : "# " + line);
        }

        /// <summary>Relative to the file's folder, "/" separated ("." for the folder itself).</summary>
        public string RelativePath(string path) =>
            Path.GetRelativePath(baseDirectory, path).Replace('\\', '/');

        /// <summary>A relative path compose reads as a bind mount or file: it starts with "./" or "../".</summary>
        public string BindPath(string path)
        {
            var relative = RelativePath(path);
            return relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." ? relative : "./" + relative;
        }

        public override string ToString() => _sb.ToString();
    }
}
