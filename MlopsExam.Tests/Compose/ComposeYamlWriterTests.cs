using CsCheck;
using MlopsExam.AppHost.Compose;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace MlopsExam.Tests.Compose;

/// <summary>The compose writer (YamlDotNet's emitter) on its own: every setting the model has comes out where
/// compose reads it, comments and blank lines where people look for them, and any string reads back as itself.</summary>
public sealed class ComposeYamlWriterTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "compose-writer");

    /// <summary>A hardened service as the Compose reference writes one: non-root, read-only root file system,
    /// tmpfs, no capability, no privilege escalation, a file secret read through a *_FILE variable, logging,
    /// a restart policy and resource limits.</summary>
    private static ComposeFileModel Hardened()
    {
        var file = new ComposeFileModel { Name = "demo", Header = "A header.\n\nVariables:\n{variables}" };
        file.Secrets["basic_auth_password"] = new ComposeSecret(File: Path.Combine(Root, "secrets", "basic_auth_password"), Comment: "make env writes it");
        file.Variables["CANARY_PERCENT"] = new ComposeVariable("CANARY_PERCENT", "0", null, "share of traffic to the canary");
        var service = new ComposeService("gateway") { Comment = "The entry point.", Image = "demo-gateway:local", User = "101:101", ReadOnly = true };
        service.Build = new ComposeBuild(Path.Combine(Root, "deployments", "nginx"), "Dockerfile", "gateway");
        service.KeyComments["read_only"] = "A compromised worker cannot change the image's files.";
        service.Tmpfs.Add("/tmp:size=16m,mode=1777");
        service.CapDrop.Add("ALL");
        service.SecurityOpt.Add("no-new-privileges:true");
        service.Restart = "unless-stopped";
        service.Deploy = new ComposeDeploy
        {
            Replicas = 2,
            Resources = new ComposeResources { Limits = new ComposeResourceLimits(Cpus: "0.5", Memory: "256M"), Reservations = new ComposeResourceLimits(Memory: "64M") },
            RestartPolicy = new ComposeRestartPolicy("any", Delay: "2s", MaxAttempts: 10, Window: "30s"),
        };
        service.Healthcheck = new ComposeHealthcheck { Test = ["CMD", "wget", "-qO-", "http://127.0.0.1:8081/healthz"], Interval = "2s", Retries = 3 };
        service.Ports.Add(new ComposePort(8443, "${GATEWAY_HTTPS_PORT:-443}"));
        service.Environment["BASIC_AUTH_PASSWORD_FILE"] = "/run/secrets/basic_auth_password";
        service.Environment["CANARY_PERCENT"] = new ComposeValue("${CANARY_PERCENT:-0}", "0 to 100");
        service.Environment["DEBUG"] = "true";
        service.Secrets.Add(new ComposeServiceSecret("basic_auth_password"));
        service.Volumes.Add(new ComposeVolume(Path.Combine(Root, "certs"), "/etc/nginx/certs", ReadOnly: true));
        service.Volumes.Add(new ComposeVolume("cache", "/var/cache/nginx"));
        service.Logging = new ComposeLogging { Driver = "json-file", Options = { ["max-size"] = "10m", ["max-file"] = "3" } };
        service.DependsOn["api"] = "service_healthy";
        file.Services[service.Name] = service;
        file.Volumes.Add("cache");
        return file;
    }

    [Fact]
    public void Every_setting_of_a_hardened_service_is_written_where_compose_reads_it()
    {
        var text = ComposeYamlWriter.Write(Hardened(), Root);
        var root = (YamlMappingNode)Load(text).RootNode;
        var gateway = (YamlMappingNode)root["services"]["gateway"];

        Assert.Equal("101:101", gateway["user"].ToString());
        Assert.Equal("true", gateway["read_only"].ToString());
        Assert.Equal(["/tmp:size=16m,mode=1777"], Strings(gateway["tmpfs"]));
        Assert.Equal(["ALL"], Strings(gateway["cap_drop"]));
        Assert.Equal(["no-new-privileges:true"], Strings(gateway["security_opt"]));
        Assert.Equal(["basic_auth_password"], Strings(gateway["secrets"]));
        Assert.Equal("./secrets/basic_auth_password", root["secrets"]["basic_auth_password"]["file"].ToString());
        Assert.Equal("/run/secrets/basic_auth_password", gateway["environment"]["BASIC_AUTH_PASSWORD_FILE"].ToString());
        Assert.Equal("${CANARY_PERCENT:-0}", gateway["environment"]["CANARY_PERCENT"].ToString());
        Assert.Equal(["${GATEWAY_HTTPS_PORT:-443}:8443"], Strings(gateway["ports"]));
        Assert.Equal(["./certs:/etc/nginx/certs:ro", "cache:/var/cache/nginx"], Strings(gateway["volumes"]));
        Assert.Equal("10m", gateway["logging"]["options"]["max-size"].ToString());
        Assert.Equal("3", gateway["logging"]["options"]["max-file"].ToString());
        Assert.Equal("unless-stopped", gateway["restart"].ToString());
        Assert.Equal("2", gateway["deploy"]["replicas"].ToString());
        Assert.Equal("0.5", gateway["deploy"]["resources"]["limits"]["cpus"].ToString());
        Assert.Equal("256M", gateway["deploy"]["resources"]["limits"]["memory"].ToString());
        Assert.Equal("64M", gateway["deploy"]["resources"]["reservations"]["memory"].ToString());
        Assert.Equal(["any", "2s", "10", "30s"], ((YamlMappingNode)gateway["deploy"]["restart_policy"]).Children.Values.Select(v => v.ToString()));
        Assert.Equal(["CMD", "wget", "-qO-", "http://127.0.0.1:8081/healthz"], Strings(gateway["healthcheck"]["test"]));
        Assert.Equal("service_healthy", gateway["depends_on"]["api"]["condition"].ToString());
        Assert.True(((YamlMappingNode)root["volumes"]).Children.ContainsKey("cache"));

        // Comments (YamlDotNet comment events) where people look for them, and the variables table of the header.
        Assert.StartsWith("# A header.\n#\n# Variables:\n#   CANARY_PERCENT  0  share of traffic to the canary\n\nname: demo\n", text);
        Assert.Contains("\n\nservices:\n  # The entry point.\n  gateway:\n", text);
        Assert.Contains("    # A compromised worker cannot change the image's files.\n    read_only: true\n", text);
        Assert.Contains("      # 0 to 100\n      CANARY_PERCENT: ${CANARY_PERCENT:-0}\n", text);
        Assert.Contains("\n\nsecrets:\n  # make env writes it\n  basic_auth_password:\n", text);
        // Strings compose reads as strings although they look like something else: quoted.
        Assert.Contains("      DEBUG: \"true\"\n", text);
        Assert.Contains("      max-file: \"3\"\n", text);
        Assert.Contains("          cpus: \"0.5\"\n", text);
        Assert.Contains("      - \"${GATEWAY_HTTPS_PORT:-443}:8443\"\n", text);
        Assert.Contains("    test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1:8081/healthz\"]\n", text);
    }

    /// <summary>The layout people read: sections and services separated by one blank line, the shared healthcheck
    /// as an anchor each service refers to, the Swarm forms (long port and secret syntax, tmpfs volumes), no
    /// trailing space, one "\n" at the end.</summary>
    [Fact]
    public void A_two_service_swarm_file_is_written_exactly_so()
    {
        var file = new ComposeFileModel { Name = "demo", StackFormatVersion = "3.8", Header = "Line one.\n\nLine two." };
        file.HealthcheckDefaults = new ComposeHealthcheck { Interval = "2s", Comment = "Shared." };
        file.Secrets["pw"] = new ComposeSecret(File: Path.Combine(Root, "pw"));
        var api = new ComposeService("api") { Comment = "First\nservice.", Image = "api:local", Healthcheck = file.HealthcheckDefaults };
        api.Deploy = new ComposeDeploy { Replicas = 3, EndpointMode = "dnsrr", UpdateConfig = new ComposeUpdateConfig(1, "start-first", Delay: "2s") };
        api.TmpfsVolumes.Add(new ComposeTmpfsVolume("/tmp", 16 * 1024 * 1024, "01777"));
        var gateway = new ComposeService("gateway") { Image = "gateway:local", Healthcheck = file.HealthcheckDefaults };
        gateway.Ports.Add(new ComposePort(8443, "${HTTPS_PORT:-443}", Mode: "host"));
        gateway.Secrets.Add(new ComposeServiceSecret("pw", Uid: "10101", Gid: "10101", Mode: "0400"));
        gateway.KeyComments["secrets"] = "Read by uid 10101 only.";
        file.Services["api"] = api;
        file.Services["gateway"] = gateway;
        file.Volumes.Add("data");

        Assert.Equal("""
            # Line one.
            #
            # Line two.

            version: "3.8"

            # Shared.
            x-healthcheck: &healthcheck
              interval: 2s

            services:
              # First
              # service.
              api:
                image: api:local
                deploy:
                  replicas: 3
                  endpoint_mode: dnsrr
                  update_config:
                    parallelism: 1
                    order: start-first
                    delay: 2s
                healthcheck: *healthcheck
                volumes:
                  - type: tmpfs
                    target: /tmp
                    tmpfs:
                      size: 16777216
                      mode: 01777

              gateway:
                image: gateway:local
                healthcheck: *healthcheck
                ports:
                  - target: 8443
                    published: "${HTTPS_PORT:-443}"
                    protocol: tcp
                    mode: host
                # Read by uid 10101 only.
                secrets:
                  - source: pw
                    uid: "10101"
                    gid: "10101"
                    mode: 0400

            secrets:
              pw:
                file: ./pw

            volumes:
              data: {}

            """.ReplaceLineEndings("\n"), ComposeYamlWriter.Write(file, Root));
    }

    /// <summary>Strings that YAML 1.1 or 1.2 reads as a boolean, null or number when plain: double-quoted, so
    /// compose (and any YAML reader) gets the string.</summary>
    [Theory]
    [InlineData("true")]
    [InlineData("False")]
    [InlineData("no")]
    [InlineData("Yes")]
    [InlineData("on")]
    [InlineData("y")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("8080")]
    [InlineData("-1")]
    [InlineData("0400")]
    [InlineData("1e3")]
    [InlineData("3.8")]
    [InlineData("0x1F")]
    [InlineData(".inf")]
    [InlineData(".NaN")]
    public void A_string_yaml_reads_as_another_type_is_double_quoted(string value)
    {
        var text = WriteEnvironment(value);
        Assert.Contains($"      VALUE: \"{value}\"\n", text);
        Assert.Equal(value, ReadEnvironment(text));
    }

    /// <summary>Strings a plain scalar cannot hold (indicators, ": ", " #", breaks, control characters, quotes):
    /// each reads back as itself, and the file keeps its shape.</summary>
    [Theory]
    [InlineData(" padded ")]
    [InlineData("# not a comment")]
    [InlineData("a #b")]
    [InlineData("a: b")]
    [InlineData("trailing:")]
    [InlineData("*alias")]
    [InlineData("&anchor")]
    [InlineData("!tag")]
    [InlineData("- item")]
    [InlineData("? key")]
    [InlineData("[1, 2]")]
    [InlineData("{a: b}")]
    [InlineData("|")]
    [InlineData(">")]
    [InlineData("%directive")]
    [InlineData("@reserved")]
    [InlineData("`reserved")]
    [InlineData("'single'")]
    [InlineData("\"double\"")]
    [InlineData("---")]
    [InlineData("...")]
    [InlineData("line\nbreak")]
    [InlineData("ends with a break\n")]
    [InlineData("\r\n")]
    [InlineData("tab\tinside")]
    [InlineData("nul \0 bell \a escape \u001b")]
    [InlineData("next line \u0085 line separator \u2028 bom \ufeff")]
    [InlineData("back\\slash and \"quotes\"")]
    [InlineData("  # comment\nkey: injected")]
    public void A_hostile_string_reads_back_as_itself(string value)
    {
        var text = WriteEnvironment(value);
        Assert.Equal(value, ReadEnvironment(text));
        AssertShape(text);
    }

    [Theory]
    [InlineData("api-v1:8080")]
    [InlineData("${RATE_LIMIT_RPS:-10}")]
    [InlineData("${BASIC_AUTH_PASSWORD:?run make env (scripts/generate-env.sh writes .env)}")]
    [InlineData("http://gateway:8081/stub_status")]
    [InlineData("/tmp:size=16m,mode=1777")]
    [InlineData("2s")]
    [InlineData("say \"hi\" \\ bye")]
    [InlineData("client ──https──▶ gateway")]
    public void A_string_yaml_reads_as_itself_stays_plain(string value)
    {
        var text = WriteEnvironment(value);
        Assert.Contains($"      VALUE: {value}\n", text);
        Assert.Equal(value, ReadEnvironment(text));
    }

    /// <summary>Generated strings (any Unicode scalar value, control characters and YAML indicators often) as a
    /// value and as a comment: the value reads back as itself, and the file keeps its shape.</summary>
    [Fact]
    public void Any_string_reads_back_as_itself_and_a_comment_never_changes_the_shape()
    {
        var hostile = Gen.OneOf(
            Gen.Int[0x20, 0x7E],
            Gen.OneOf(0, 7, 9, 10, 13, 0x1B, 0x7F, 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF),
            Gen.OneOf(':', '#', '-', '?', '*', '&', '!', '|', '>', '\'', '"', '%', '@', '`', '[', ']', '{', '}', ',', ' ').Select(c => (int)c),
            Gen.Int[0x80, 0xD7FF],
            Gen.Int[0x10000, 0x10FFFF]);
        var strings = hostile.Array[0, 24].Select(scalars => string.Concat(scalars.Select(char.ConvertFromUtf32)));
        // Comments are text: line breaks of every kind and tabs, no other control character (refused, see below).
        var comments = strings.Select(s => string.Concat(s.Select(c => char.IsControl(c) && c is not ('\t' or '\r' or '\n' or '\u0085') ? '?' : c)));

        Gen.Select(strings, comments).Sample((value, comment) =>
        {
            var text = WriteEnvironment(value, comment);
            Assert.Equal(value, ReadEnvironment(text));
            AssertShape(text);
        }, iter: 5000, print: t => $"value {Escaped(t.Item1)}, comment {Escaped(t.Item2)}");
    }

    [Fact]
    public void No_line_ends_in_a_space_and_an_empty_comment_line_is_a_bare_hash()
    {
        var file = Hardened();
        file.Services["gateway"].Comment = "Paragraph one.\n\nParagraph two.";
        var text = ComposeYamlWriter.Write(file, Root);

        Assert.Contains("  # Paragraph one.\n  #\n  # Paragraph two.\n  gateway:\n", text);
        Assert.DoesNotContain(text.Split('\n'), line => line.EndsWith(' ') || line.EndsWith('\t'));
        Assert.EndsWith("}\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [Theory]
    [InlineData("line one\u0085key: injected")]
    [InlineData("line one\u2028key: injected")]
    [InlineData("line one\u2029key: injected")]
    [InlineData("line one\rkey: injected")]
    public void A_line_break_of_any_kind_in_a_comment_starts_a_comment_line(string comment)
    {
        var text = WriteEnvironment("value", comment);
        Assert.Contains("      # line one\n      # key: injected\n      VALUE: value\n", text);
        AssertShape(text);
    }

    [Fact]
    public void A_comment_with_a_control_character_is_refused() =>
        Assert.Throws<ArgumentException>(() => WriteEnvironment("value", "escape \u001b[31m"));

    [Fact]
    public void A_file_mode_that_is_not_octal_is_refused()
    {
        var file = Hardened();
        file.Services["gateway"].Secrets.Add(new ComposeServiceSecret("basic_auth_password", Mode: "0400; rm"));
        Assert.Throws<ArgumentException>(() => ComposeYamlWriter.Write(file, Root));
    }

    /// <summary>A file whose service api has <paramref name="value"/> as VALUE, under <paramref name="comment"/>.</summary>
    private static string WriteEnvironment(string value, string? comment = null)
    {
        var file = new ComposeFileModel { Name = "demo" };
        var api = new ComposeService("api") { Image = "api:local" };
        api.Environment["VALUE"] = new ComposeValue(value, comment);
        file.Services["api"] = api;
        return ComposeYamlWriter.Write(file, Root);
    }

    /// <summary>VALUE as a YAML deserializer reads it when it resolves plain scalars to types (as compose does).</summary>
    private static object? ReadEnvironment(string text)
    {
        var deserializer = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();
        static Dictionary<object, object?> Map(object? node) => Assert.IsType<Dictionary<object, object?>>(node);
        var document = deserializer.Deserialize<Dictionary<object, object?>>(text);
        return Map(Map(Map(document["services"])["api"])["environment"])["VALUE"];
    }

    /// <summary>The file <see cref="WriteEnvironment"/> writes, whatever the value and comment: nothing added.</summary>
    private static void AssertShape(string text)
    {
        var root = (YamlMappingNode)Load(text).RootNode;
        Assert.Equal(["name", "services"], root.Children.Keys.Select(k => k.ToString()));
        var api = (YamlMappingNode)root["services"]["api"];
        Assert.Equal(["image", "environment"], api.Children.Keys.Select(k => k.ToString()));
        Assert.Equal(["VALUE"], ((YamlMappingNode)api["environment"]).Children.Keys.Select(k => k.ToString()));
    }

    private static string Escaped(string s) => string.Concat(s.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}"));

    private static YamlDocument Load(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return yaml.Documents.Single();
    }

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.ToString()).ToList();
}
