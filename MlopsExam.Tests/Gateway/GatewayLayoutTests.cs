using System.Text.RegularExpressions;

namespace MlopsExam.Tests.Gateway;

/// <summary>
/// The shape of the images' entrypoints, read from the repository (no container): the gateway's as
/// in the official nginx image (a short docker-entrypoint.sh running numbered one-concern scripts,
/// every nginx directive in a .conf file or a template, shell supplying values only), one
/// name-resolution helper for the gateway and Prometheus, and no Dockerfile kept in a shell string.
/// What the scripts produce is checked by <see cref="GatewayEntrypointTests"/>.
/// </summary>
public sealed partial class GatewayLayoutTests
{
    private static string Nginx(params string[] parts) => RepoLayout.Path(["deployments", "nginx", .. parts]);

    /// <summary>The gateway's shell files: the entrypoint, its scripts, their functions.</summary>
    private static IEnumerable<string> GatewayShellFiles() =>
        [Nginx("docker-entrypoint.sh"), .. Directory.GetFiles(Nginx("docker-entrypoint.d")), .. Directory.GetFiles(Nginx("lib"))];

    /// <summary>Lines of a shell file that are not comments.</summary>
    private static IEnumerable<(int Number, string Text)> Code(string path) =>
        File.ReadAllLines(path).Select((text, i) => (i + 1, text)).Where(l => !l.text.TrimStart().StartsWith('#'));

    [Fact]
    public void The_entrypoint_is_short_and_runs_numbered_one_concern_scripts()
    {
        Assert.InRange(File.ReadAllLines(Nginx("docker-entrypoint.sh")).Length, 1, 60);
        var scripts = Directory.GetFiles(Nginx("docker-entrypoint.d")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, name => Assert.Matches(@"^\d\d-[a-z0-9-]+\.(sh|envsh)$", name));
        Assert.Equal(scripts.Count, scripts.Select(name => name![..2]).Distinct().Count());
    }

    [Fact]
    public void No_gateway_script_writes_an_nginx_directive()
    {
        // A directive name followed by its arguments and a ';' on a line of shell: nginx configuration
        // kept in a string rather than in a .conf file or a template.
        var offending = GatewayShellFiles()
            .SelectMany(path => Code(path).Where(l => Directive().IsMatch(l.Text)).Select(l => $"{Path.GetFileName(path)}:{l.Number}: {l.Text.Trim()}"))
            .ToList();
        Assert.True(offending.Count == 0, "nginx directives in shell:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void Every_template_is_rendered_by_a_script_and_names_only_values_it_is_given()
    {
        // The entrypoint's scripts, the helpers they share (lib/gateway.sh renders the canary split for
        // them and for canary-weight.sh) and canary-weight.sh.
        var scripts = string.Join("\n", Directory.GetFiles(Nginx("docker-entrypoint.d")).Append(Nginx("lib", "gateway.sh")).Append(Nginx("canary-weight.sh")).Select(File.ReadAllText));
        foreach (var template in Directory.GetFiles(Nginx("templates"), "*.template"))
        {
            var name = Path.GetFileName(template);
            // The calls that render it: `render[_file] ... NAME.template NAME=VALUE ...`.
            var calls = Regex.Matches(scripts, $@"render(?:_file)?\s[^\n]*?{Regex.Escape(name)}([^\n]*)").Select(m => m.Groups[1].Value).ToList();
            Assert.True(calls.Count > 0, $"no script renders templates/{name}");
            var needed = Regex.Matches(string.Join("\n", File.ReadAllLines(template).Where(l => !l.TrimStart().StartsWith('#'))), @"\$\{([A-Z][A-Z0-9_]*)\}")
                .Select(m => m.Groups[1].Value).ToHashSet();
            Assert.All(calls, call => Assert.Subset(Regex.Matches(call, @"\b([A-Z][A-Z0-9_]*)=").Select(m => m.Groups[1].Value).ToHashSet(), needed));
        }
    }

    [Fact]
    public void The_gateway_and_prometheus_share_one_resolve_helper()
    {
        const string Helper = "deployments/common/resolve.sh";
        var definitions = Directory.GetFiles(RepoLayout.Path("deployments"), "*", SearchOption.AllDirectories)
            .Where(path => path.EndsWith(".sh", StringComparison.Ordinal) || path.EndsWith(".envsh", StringComparison.Ordinal))
            .SelectMany(path => Code(path).Where(l => Regex.IsMatch(l.Text, @"^\s*(split_list|resolve)\s*\(\)")).Select(_ => Path.GetRelativePath(RepoLayout.Root, path)))
            .ToList();
        Assert.Equal([Helper, Helper], definitions);

        foreach (var image in new[] { "nginx", "prometheus" })
            Assert.Matches(@"(?m)^COPY\s.*\bcommon/resolve\.sh\b.*\s/usr/local/lib/mlopsexam/", File.ReadAllText(RepoLayout.Path("deployments", image, "Dockerfile")));
        Assert.Contains(". /usr/local/lib/mlopsexam/resolve.sh", File.ReadAllText(RepoLayout.Path("deployments", "prometheus", "docker-entrypoint.sh")));
        Assert.Contains(". /usr/local/lib/mlopsexam/resolve.sh", File.ReadAllText(Nginx("lib", "gateway.sh")));
    }

    [Fact]
    public void No_script_holds_a_dockerfile_in_a_string()
    {
        Assert.True(File.Exists(RepoLayout.Path("scripts", "standins", "dotnet.Dockerfile")));
        var offending = Directory.GetFiles(RepoLayout.Path("scripts"), "*.sh")
            .SelectMany(path => Code(path).Where(l => Regex.IsMatch(l.Text, @"^\s*(FROM|RUN|COPY)\s")).Select(l => $"{Path.GetFileName(path)}:{l.Number}"))
            .ToList();
        Assert.Empty(offending);
    }

    [Fact]
    public void Every_default_the_settings_script_applies_is_the_one_its_header_and_the_compose_file_document()
    {
        // 10-validate-settings.envsh documents each setting as "#   NAME   default   what it is" and applies
        // it as NAME="${NAME:-default}"; the published compose file's header says the same for its own.
        var script = Nginx("docker-entrypoint.d", "10-validate-settings.envsh");
        var applied = Code(script).SelectMany(l => AppliedDefault().Matches(l.Text))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.True(applied.Count >= 8, $"{applied.Count} defaults read from {script}");

        static Dictionary<string, string> Documented(string path) => File.ReadLines(path)
            .Select(line => DocumentedDefault().Match(line)).Where(m => m.Success)
            .GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.First().Groups[2].Value);
        var header = Documented(script);
        var compose = Documented(RepoLayout.Path(["docker-compose.yml"]));
        Assert.All(applied, setting =>
        {
            Assert.True(header.TryGetValue(setting.Key, out var said), $"{setting.Key} is not in the script's header");
            Assert.Equal((setting.Key, setting.Value), (setting.Key, said));
            if (compose.TryGetValue(setting.Key, out var composeSaid))
                Assert.Equal((setting.Key, setting.Value, "docker-compose.yml"), (setting.Key, composeSaid, "docker-compose.yml"));
        });
    }

    [GeneratedRegex(@"\b([A-Z][A-Z0-9_]+)=""\$\{\1:-([^}]*)\}""")]
    private static partial Regex AppliedDefault();

    [GeneratedRegex(@"^#\s+([A-Z][A-Z0-9_]+)\s+(\S+)\s")]
    private static partial Regex DocumentedDefault();

    [GeneratedRegex(@"\b(upstream|server|keepalive\w*|zone|limit_req\w*|limit_conn\w*|split_clients|map|listen|include|proxy_\w+|ssl_\w+|add_header|return|location)\s+[^;|&]*;")]
    private static partial Regex Directive();
}
