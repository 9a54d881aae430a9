using MlopsExam.AppHost.Compose;
using YamlDotNet.RepresentationModel;

namespace MlopsExam.Tests.Compose;

/// <summary>The compose writer on its own: every setting the model has comes out where compose reads it,
/// and a value reads back as the same string.</summary>
public sealed class ComposeYamlWriterTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "compose-writer");

    /// <summary>A hardened service as the Compose reference writes one: non-root, read-only root file system,
    /// tmpfs, no capability, no privilege escalation, a file secret read through a *_FILE variable, logging.</summary>
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
        service.Deploy = new ComposeDeploy { Replicas = 2 };
        service.Healthcheck = new ComposeHealthcheck { Test = ["CMD", "wget", "-qO-", "http://127.0.0.1:8081/healthz"], Interval = "2s", Retries = 3 };
        service.Ports.Add(new ComposePort(8443, "${GATEWAY_HTTPS_PORT:-443}"));
        service.Environment["BASIC_AUTH_PASSWORD_FILE"] = "/run/secrets/basic_auth_password";
        service.Environment["CANARY_PERCENT"] = new ComposeValue("${CANARY_PERCENT:-0}", "0 to 100");
        service.Environment["DEBUG"] = "true";
        service.Secrets.Add(new ComposeServiceSecret("basic_auth_password"));
        service.Volumes.Add(new ComposeVolume(Path.Combine(Root, "certs"), "/etc/nginx/certs", ReadOnly: true));
        service.Volumes.Add(new ComposeVolume("cache", "/var/cache/nginx"));
        service.Logging = new ComposeLogging { Driver = "json-file", Options = { ["max-size"] = "10m" } };
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
        Assert.Equal("2", gateway["deploy"]["replicas"].ToString());
        Assert.Equal(["CMD", "wget", "-qO-", "http://127.0.0.1:8081/healthz"], Strings(gateway["healthcheck"]["test"]));
        Assert.Equal("service_healthy", gateway["depends_on"]["api"]["condition"].ToString());
        Assert.True(((YamlMappingNode)root["volumes"]).Children.ContainsKey("cache"));

        // Comments where people look for them, and the variables table of the header.
        Assert.Contains("  # The entry point.\n  gateway:\n", text);
        Assert.Contains("    # A compromised worker cannot change the image's files.\n    read_only: true\n", text);
        Assert.Contains("      # 0 to 100\n      CANARY_PERCENT: ${CANARY_PERCENT:-0}\n", text);
        Assert.Contains("#   CANARY_PERCENT  0  share of traffic to the canary\n", text);
        // A string that YAML would read as a boolean is quoted.
        Assert.Contains("      DEBUG: \"true\"\n", text);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("no")]
    [InlineData("8080")]
    [InlineData("80:80")]
    [InlineData("1e3")]
    [InlineData("0x1F")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData(" padded ")]
    [InlineData("# not a comment")]
    [InlineData("a: b")]
    [InlineData("*alias")]
    [InlineData("line\nbreak")]
    public void A_value_yaml_would_misread_is_quoted_and_reads_back_the_same(string value)
    {
        var written = ComposeYamlWriter.Scalar(value);
        Assert.StartsWith("\"", written);
        var node = (YamlScalarNode)((YamlMappingNode)Load($"key: {written}\n").RootNode)["key"];
        Assert.Equal(value, node.Value);
    }

    [Theory]
    [InlineData("api-v1:8080")]
    [InlineData("${RATE_LIMIT_RPS:-10}")]
    [InlineData("${BASIC_AUTH_PASSWORD:?run make env (scripts/generate-env.sh writes .env)}")]
    [InlineData("http://gateway:8081/stub_status")]
    [InlineData("2s")]
    [InlineData("say \"hi\" \\ bye")]
    public void A_plain_value_stays_plain_and_reads_back_the_same(string value)
    {
        Assert.Equal(value, ComposeYamlWriter.Scalar(value));
        var node = (YamlScalarNode)((YamlMappingNode)Load($"key: {value}\n").RootNode)["key"];
        Assert.Equal(value, node.Value);
    }

    private static YamlDocument Load(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return yaml.Documents.Single();
    }

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.ToString()).ToList();
}
