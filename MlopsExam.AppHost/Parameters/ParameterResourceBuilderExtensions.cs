using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Parameters;

/// <summary>
/// Settings the AppHost and the published files read from the same environment variables, with the
/// same defaults. A parameter's <c>WithDescription</c> is also its line in the compose file's header.
/// </summary>
public static class ParameterResourceBuilderExtensions
{
    /// <summary>A plain (non-secret) parameter: <c>Parameters:{name}</c> in configuration, else the
    /// environment variable <paramref name="environmentVariable"/> when set, else <paramref name="defaultValue"/>.
    /// Compose reads the same variable with the same default.</summary>
    public static IResourceBuilder<ParameterResource> AddSetting(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable, string defaultValue)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(environmentVariable);
        var value = builder.Configuration[$"Parameters:{name}"]
            ?? (string.IsNullOrEmpty(fromEnvironment) ? defaultValue : fromEnvironment);
        return builder.AddParameter(name, value)
            .PublishAsComposeVariable(environmentVariable, defaultValue);
    }

    /// <summary>The gateway's password: <paramref name="environmentVariable"/> when set, else generated
    /// (24 letters and digits, ~143 bits) on first run and kept in the AppHost's user secrets. Compose
    /// requires the same variable (`make env` writes it into .env); the published files never hold a value.</summary>
    public static IResourceBuilder<ParameterResource> AddBasicAuthPassword(
        this IDistributedApplicationBuilder builder, string name, string environmentVariable) =>
        (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment
            ? builder.AddParameter(name, fromEnvironment, secret: true)
            : builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true))
        .PublishAsRequiredComposeVariable(environmentVariable, "run make env (scripts/generate-env.sh writes .env)");
}
