using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MlopsExam.AppHost.Compose;

/// <summary>
/// Writes a <see cref="ComposeFileModel"/> as YAML through YamlDotNet's emitter: keys in the order of
/// the Compose reference, comments (comment events) above services and keys, blank lines between
/// sections, two-space indents, "\n" line ends, no timestamp. The same model always gives the same bytes.
/// </summary>
public static class ComposeYamlWriter
{
    /// <summary>Anchor of <see cref="ComposeFileModel.HealthcheckDefaults"/>.</summary>
    private const string HealthcheckAnchor = "healthcheck";

    /// <param name="baseDirectory">The folder the file is written to: paths are made relative to it.</param>
    public static string Write(ComposeFileModel file, string baseDirectory)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var yaml = new Yaml(text);
        var paths = new RelativePaths(baseDirectory);

        yaml.StartStream();
        if (file.Header is not null)
        {
            yaml.Comment(ExpandVariables(file.Header, file.Variables));
            yaml.BlankLine();
        }
        yaml.Document(() => yaml.Mapping(() =>
        {
            // `docker stack deploy` reads the version 3 format, which has no project name.
            if (file.StackFormatVersion is { } version) yaml.Entry("version", () => yaml.Quoted(version));
            else yaml.Entry("name", file.Name);

            if (file.HealthcheckDefaults is { } defaults)
            {
                yaml.BlankLine();
                yaml.Comment(defaults.Comment);
                yaml.Entry("x-healthcheck", () => yaml.Mapping(() => WriteHealthcheckFields(yaml, defaults), anchor: HealthcheckAnchor));
            }

            yaml.BlankLine();
            yaml.Entry("services", () => yaml.Mapping(() =>
            {
                var first = true;
                foreach (var service in file.Services.Values)
                {
                    if (!first) yaml.BlankLine();
                    first = false;
                    yaml.Comment(service.Comment);
                    yaml.Entry(service.Name, () => WriteService(yaml, paths, file, service));
                }
            }));

            if (file.Secrets.Count > 0)
            {
                yaml.BlankLine();
                yaml.Entry("secrets", () => yaml.Mapping(() =>
                {
                    foreach (var (name, secret) in file.Secrets)
                    {
                        yaml.Comment(secret.Comment);
                        yaml.Entry(name, () => yaml.Mapping(() =>
                        {
                            if (secret.File is not null) yaml.Entry("file", paths.Bind(secret.File));
                            if (secret.Environment is not null) yaml.Entry("environment", secret.Environment);
                        }));
                    }
                }));
            }

            if (file.Volumes.Count > 0)
            {
                yaml.BlankLine();
                yaml.Entry("volumes", () => yaml.Mapping(() =>
                {
                    foreach (var volume in file.Volumes)
                        yaml.Entry(volume, () => yaml.Mapping(() => { }, flow: true));
                }));
            }
        }));
        yaml.EndStream();
        return Yaml.Tidy(text.ToString());
    }

    private static void WriteService(Yaml yaml, RelativePaths paths, ComposeFileModel file, ComposeService s) => yaml.Mapping(() =>
    {
        // A key of the service, with the comment KeyComments holds for it.
        void Key(string key, Action value)
        {
            yaml.Comment(s.KeyComments.GetValueOrDefault(key));
            yaml.Entry(key, value);
        }

        void List(string key, List<string> values)
        {
            if (values.Count > 0) Key(key, () => yaml.Sequence(() => values.ForEach(yaml.String)));
        }

        if (s.Build is { } build)
        {
            Key("build", () => yaml.Mapping(() =>
            {
                yaml.Entry("context", paths.Relative(build.Context));
                if (build.Dockerfile is { } dockerfile && dockerfile != "Dockerfile")
                    yaml.Entry("dockerfile", dockerfile.Replace('\\', '/'));
                if (build.Target is { } target)
                    yaml.Entry("target", target);
            }));
        }
        if (s.Image is { } image) Key("image", () => yaml.String(image));
        if (s.PullPolicy is { } pullPolicy) Key("pull_policy", () => yaml.String(pullPolicy));
        if (s.User is { } user) Key("user", () => yaml.String(user));
        if (s.ReadOnly is { } readOnly) Key("read_only", () => yaml.Boolean(readOnly));
        List("cap_drop", s.CapDrop);
        List("cap_add", s.CapAdd);
        List("security_opt", s.SecurityOpt);
        List("tmpfs", s.Tmpfs);
        if (s.Restart is { } restart) Key("restart", () => yaml.String(restart));
        if (s.Deploy is { IsEmpty: false } deploy) Key("deploy", () => WriteDeploy(yaml, deploy));
        if (s.Healthcheck is { } healthcheck)
        {
            Key("healthcheck", () =>
            {
                if (ReferenceEquals(healthcheck, file.HealthcheckDefaults)) yaml.Alias(HealthcheckAnchor);
                else yaml.Mapping(() => WriteHealthcheckFields(yaml, healthcheck));
            });
        }
        if (s.Ports.Count > 0)
        {
            Key("ports", () => yaml.Sequence(() =>
            {
                foreach (var port in s.Ports)
                {
                    if (port.Mode is not null)
                    {
                        yaml.Mapping(() =>
                        {
                            yaml.Entry("target", () => yaml.Number(port.Target));
                            if (port.Published is not null) yaml.Entry("published", () => yaml.Quoted(port.Published));
                            yaml.Entry("protocol", port.Protocol ?? "tcp");
                            yaml.Entry("mode", port.Mode);
                        });
                        continue;
                    }
                    var text = string.Join(':', new[] { port.HostIp, port.Published, port.Target.ToString(CultureInfo.InvariantCulture) }.Where(p => p is not null))
                        + (port.Protocol is null ? "" : "/" + port.Protocol);
                    // Always quoted, as the Compose reference advises (YAML 1.1 reads some host:container pairs as base 60).
                    yaml.Quoted(text);
                }
            }));
        }
        if (s.Environment.Count > 0)
        {
            Key("environment", () => yaml.Mapping(() =>
            {
                foreach (var (name, value) in s.Environment)
                {
                    yaml.Comment(value.Comment);
                    yaml.Entry(name, value.Value);
                }
            }));
        }
        if (s.Secrets.Count > 0)
        {
            Key("secrets", () => yaml.Sequence(() =>
            {
                foreach (var secret in s.Secrets)
                {
                    if (secret is { Target: null, Uid: null, Gid: null, Mode: null })
                    {
                        yaml.String(secret.Source);
                        continue;
                    }
                    yaml.Mapping(() =>
                    {
                        yaml.Entry("source", secret.Source);
                        if (secret.Target is not null) yaml.Entry("target", secret.Target);
                        // Strings, as the Compose reference has them; the mode an octal number.
                        if (secret.Uid is not null) yaml.Entry("uid", () => yaml.Quoted(secret.Uid));
                        if (secret.Gid is not null) yaml.Entry("gid", () => yaml.Quoted(secret.Gid));
                        if (secret.Mode is not null) yaml.Entry("mode", () => yaml.Octal(secret.Mode));
                    });
                }
            }));
        }
        if (s.Volumes.Count > 0 || s.TmpfsVolumes.Count > 0)
        {
            Key("volumes", () => yaml.Sequence(() =>
            {
                foreach (var volume in s.Volumes)
                {
                    var source = volume.IsBind ? paths.Bind(volume.Source) : volume.Source;
                    yaml.String(volume.IsAnonymous ? volume.Target : $"{source}:{volume.Target}{(volume.ReadOnly ? ":ro" : "")}");
                }
                foreach (var tmpfs in s.TmpfsVolumes)
                {
                    yaml.Mapping(() =>
                    {
                        yaml.Entry("type", "tmpfs");
                        yaml.Entry("target", tmpfs.Target);
                        yaml.Entry("tmpfs", () => yaml.Mapping(() =>
                        {
                            yaml.Entry("size", () => yaml.Number(tmpfs.SizeBytes));
                            if (tmpfs.Mode is { } mode) yaml.Entry("mode", () => yaml.Octal(mode));
                        }));
                    });
                }
            }));
        }
        if (s.Logging is { } logging)
        {
            Key("logging", () => yaml.Mapping(() =>
            {
                if (logging.Driver is not null) yaml.Entry("driver", logging.Driver);
                if (logging.Options.Count > 0)
                {
                    // Docker's log options are strings ("10m", "3"): quoted, so "3" stays one.
                    yaml.Entry("options", () => yaml.Mapping(() =>
                    {
                        foreach (var (key, value) in logging.Options)
                            yaml.Entry(key, () => yaml.Quoted(value));
                    }));
                }
            }));
        }
        if (s.DependsOn.Count > 0)
        {
            Key("depends_on", () => yaml.Mapping(() =>
            {
                foreach (var (name, condition) in s.DependsOn)
                    yaml.Entry(name, () => yaml.Mapping(() => yaml.Entry("condition", condition)));
            }));
        }
    });

    private static void WriteDeploy(Yaml yaml, ComposeDeploy deploy) => yaml.Mapping(() =>
    {
        if (deploy.Replicas is { } replicas) yaml.Entry("replicas", () => yaml.Number(replicas));
        if (deploy.EndpointMode is { } mode) yaml.Entry("endpoint_mode", mode);
        if (deploy.Placement is { IsEmpty: false } placement)
        {
            yaml.Entry("placement", () => yaml.Mapping(() =>
            {
                if (placement.Constraints.Count > 0)
                    yaml.Entry("constraints", () => yaml.Sequence(() => placement.Constraints.ForEach(yaml.String)));
                if (placement.MaxReplicasPerNode is { } max) yaml.Entry("max_replicas_per_node", () => yaml.Number(max));
            }));
        }
        if (deploy.Resources is { IsEmpty: false } resources)
        {
            yaml.Entry("resources", () => yaml.Mapping(() =>
            {
                foreach (var (key, limits) in new[] { ("limits", resources.Limits), ("reservations", resources.Reservations) })
                {
                    if (limits is not { IsEmpty: false }) continue;
                    yaml.Entry(key, () => yaml.Mapping(() =>
                    {
                        // cpus is a string in the Compose reference ("0.5"): quoted.
                        if (limits.Cpus is not null) yaml.Entry("cpus", () => yaml.Quoted(limits.Cpus));
                        if (limits.Memory is not null) yaml.Entry("memory", limits.Memory);
                    }));
                }
            }));
        }
        if (deploy.RestartPolicy is { } restart)
        {
            yaml.Entry("restart_policy", () => yaml.Mapping(() =>
            {
                yaml.Entry("condition", restart.Condition);
                if (restart.Delay is not null) yaml.Entry("delay", restart.Delay);
                if (restart.MaxAttempts is { } attempts) yaml.Entry("max_attempts", () => yaml.Number(attempts));
                if (restart.Window is not null) yaml.Entry("window", restart.Window);
            }));
        }
        if (deploy.UpdateConfig is { } update)
        {
            yaml.Entry("update_config", () => yaml.Mapping(() =>
            {
                yaml.Entry("parallelism", () => yaml.Number(update.Parallelism));
                yaml.Entry("order", update.Order);
                if (update.Delay is not null) yaml.Entry("delay", update.Delay);
                if (update.Monitor is not null) yaml.Entry("monitor", update.Monitor);
                if (update.FailureAction is not null) yaml.Entry("failure_action", update.FailureAction);
            }));
        }
    });

    private static void WriteHealthcheckFields(Yaml yaml, ComposeHealthcheck h)
    {
        if (h.Test is { } test)
            yaml.Entry("test", () => yaml.Sequence(() => { foreach (var part in test) yaml.Quoted(part); }, flow: true));
        if (h.Interval is not null) yaml.Entry("interval", h.Interval);
        if (h.Timeout is not null) yaml.Entry("timeout", h.Timeout);
        if (h.Retries is { } retries) yaml.Entry("retries", () => yaml.Number(retries));
        if (h.StartPeriod is not null) yaml.Entry("start_period", h.StartPeriod);
        if (h.StartInterval is not null) yaml.Entry("start_interval", h.StartInterval);
    }

    /// <summary>The header with its <c>{variables}</c> line replaced by one line per variable.</summary>
    private static string ExpandVariables(string header, OrderedDictionary<string, ComposeVariable> variables)
    {
        var rows = variables.Values.OrderBy(v => v.Name, StringComparer.Ordinal)
            .Select(v => (v.Name, Default: v.RequiredMessage is not null ? "required" : v.Default ?? "", Description: v.Description ?? "")).ToList();
        var nameWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length);
        var defaultWidth = rows.Count == 0 ? 0 : rows.Max(r => r.Default.Length);
        var table = string.Join('\n', rows.Select(r =>
            $"  {r.Name.PadRight(nameWidth)}  {r.Default.PadRight(defaultWidth)}  {r.Description}".TrimEnd()));
        return string.Join('\n', header.Split('\n').Select(line => line.Trim() == "{variables}" ? table : line));
    }

    /// <summary>Paths relative to the folder of the written file, as compose resolves them.</summary>
    private sealed class RelativePaths(string baseDirectory)
    {
        /// <summary>Relative to the file's folder, "/" separated ("." for the folder itself).</summary>
        public string Relative(string path) => Path.GetRelativePath(baseDirectory, path).Replace('\\', '/');

        /// <summary>A relative path compose reads as a bind mount or file: it starts with "./" or "../".</summary>
        public string Bind(string path)
        {
            var relative = Relative(path);
            return relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." ? relative : "./" + relative;
        }
    }

    /// <summary>
    /// The events of one YAML document, sent to YamlDotNet's <see cref="Emitter"/>, which chooses how to write
    /// each string: plain when it can, else quoted (": ", " #", a leading indicator...). What the emitter cannot
    /// know, whether a plain scalar reads back as a string, is YamlDotNet's serializer's rule for YAML 1.1
    /// (yes, on, 0400) and 1.2 (1e3): a string either would read as another type is double-quoted.
    /// </summary>
    private sealed class Yaml(TextWriter output)
    {
        private static readonly EmitterSettings Settings = new EmitterSettings()
            .WithBestIndent(2).WithBestWidth(int.MaxValue).WithIndentedSequences().WithNewLine("\n");

        /// <summary>YamlDotNet's serializers that quote the strings YAML 1.1 and YAML 1.2 would misread.</summary>
        private static readonly IValueSerializer[] Quoting =
        [
            new SerializerBuilder().WithQuotingNecessaryStrings(quoteYaml1_1Strings: true).BuildValueSerializer(),
            new SerializerBuilder().WithQuotingNecessaryStrings(quoteYaml1_1Strings: false).BuildValueSerializer(),
        ];

        /// <summary>
        /// The emitter has no event for a blank line, and writes an empty comment line as "# ": a comment
        /// holding only this marker becomes an empty line in <see cref="Tidy"/>. A NUL is never in a comment
        /// of ours, and never written raw in a scalar (the emitter escapes it in double quotes).
        /// </summary>
        private const string BlankLineMarker = "\0";

        private readonly Emitter _emitter = new(output, Settings);

        public void StartStream() => _emitter.Emit(new StreamStart());

        public void EndStream() => _emitter.Emit(new StreamEnd());

        /// <summary>One document, without "---" or "...".</summary>
        public void Document(Action body)
        {
            _emitter.Emit(new DocumentStart());
            body();
            _emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        /// <summary>Comment lines above what comes next (null: none). The emitter starts a new comment line at
        /// \r and \n only, and writes the rest raw: a YAML reader also breaks lines at NEL, LS and PS, so those
        /// start a new comment line too, and another control character is refused.</summary>
        public void Comment(string? text)
        {
            if (text is null) return;
            foreach (var c in text.Where(c => char.IsControl(c) && c is not ('\t' or '\r' or '\n' or '\u0085')))
                throw new ArgumentException($"A compose comment holds the control character U+{(int)c:X4}: {text}", nameof(text));
            _emitter.Emit(new Comment(text.Replace('\u0085', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n'), isInline: false));
        }

        public void BlankLine() => _emitter.Emit(new Comment(BlankLineMarker, isInline: false));

        public void Mapping(Action body, string? anchor = null, bool flow = false)
        {
            _emitter.Emit(new MappingStart(anchor is null ? AnchorName.Empty : new AnchorName(anchor), TagName.Empty, isImplicit: true,
                flow ? MappingStyle.Flow : MappingStyle.Block));
            body();
            _emitter.Emit(new MappingEnd());
        }

        public void Sequence(Action body, bool flow = false)
        {
            _emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
            body();
            _emitter.Emit(new SequenceEnd());
        }

        public void Entry(string key, Action value)
        {
            String(key);
            value();
        }

        public void Entry(string key, string value)
        {
            String(key);
            String(value);
        }

        /// <summary>A string: plain when YAML reads it back as the same string, else quoted. One with a line
        /// break or a control character is double-quoted, where the emitter escapes each (\n, \x85, \u2028...):
        /// in the other styles the emitter writes them raw, and a YAML 1.1 reader folds NEL into \n.</summary>
        public void String(string value)
        {
            var style = Quoting.Any(serializer => SerializedStyle(serializer, value) == ScalarStyle.DoubleQuoted)
                || value.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' or '\ufeff')
                ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, style, isPlainImplicit: true, isQuotedImplicit: true));
        }

        private static ScalarStyle SerializedStyle(IValueSerializer serializer, string value)
        {
            var scalar = new ScalarCapture();
            serializer.SerializeValue(scalar, value, typeof(string));
            return scalar.Style;
        }

        /// <summary>Keeps the style the serializer chose for the one scalar it emits.</summary>
        private sealed class ScalarCapture : IEmitter
        {
            public ScalarStyle Style { get; private set; }

            public void Emit(ParsingEvent @event) => Style = ((Scalar)@event).Style;
        }

        /// <summary>Always double-quoted, where compose expects a string that looks like a number.</summary>
        public void Quoted(string value) =>
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, ScalarStyle.DoubleQuoted, isPlainImplicit: true, isQuotedImplicit: true));

        public void Number(long value) => Plain(value.ToString(CultureInfo.InvariantCulture));

        public void Boolean(bool value) => Plain(value ? "true" : "false");

        /// <summary>An octal number as compose reads file modes (0400): plain, digits only.</summary>
        public void Octal(string digits)
        {
            if (digits.Length == 0 || !digits.All(c => c is >= '0' and <= '7'))
                throw new ArgumentException($"Not an octal mode: {digits}", nameof(digits));
            Plain(digits);
        }

        /// <summary>A number or boolean: plain, read as such.</summary>
        private void Plain(string value) =>
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));

        public void Alias(string anchor) => _emitter.Emit(new AnchorAlias(new AnchorName(anchor)));

        /// <summary>Blank-line markers become empty lines; an empty comment line loses its trailing space.
        /// No other line ends with a space: the emitter quotes a scalar with trailing spaces.</summary>
        public static string Tidy(string text) => string.Join('\n', text.Split('\n').Select(line => line.TrimStart() switch
        {
            "# " + BlankLineMarker => "",
            "# " => line.TrimEnd(),
            _ => line,
        }));
    }
}
