using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MlopsExam.Api.Serving;

namespace MlopsExam.Tests.Api;

/// <summary>The API in-process, serving the committed model of one variant.</summary>
public sealed class ApiFactory(string variant = "v1", bool debugFields = false, string? modelSha256 = null)
    : WebApplicationFactory<ServingOptions>
{
    public const string InstanceId = "api-test-1";

    /// <summary>More settings or services for one test (applied last).</summary>
    public Action<IWebHostBuilder>? Configure { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production"); // no developer exception page: what users get
        builder.UseSetting("Serving:Variant", variant);
        builder.UseSetting("Serving:ModelPath", RepoLayout.Path("models", $"sentiment-{variant}.zip"));
        builder.UseSetting("Serving:InstanceId", InstanceId);
        builder.UseSetting("Serving:IncludeDebugFields", debugFields ? "true" : "false");
        // Not models/serving/: a selection left there by a rollout on this machine must not change what these tests serve.
        builder.UseSetting("Serving:SelectionFile", System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlopsexam-no-selection", $"{variant}.model"));
        if (modelSha256 is not null)
            builder.UseSetting("Serving:ModelSha256", modelSha256);
        Configure?.Invoke(builder);
    }
}

public sealed class V1ApiFixture : IDisposable
{
    public ApiFactory Factory { get; } = new("v1");
    public void Dispose() => Factory.Dispose();
}

/// <summary>Both variants in-process: v1, and v2 with its debug fields (which normalise the sentence
/// once more for the answer).</summary>
public sealed class BothVariantsFixture : IDisposable
{
    private readonly Lazy<ApiFactory> _v1 = new(() => new ApiFactory("v1"));
    private readonly Lazy<ApiFactory> _v2 = new(() => new ApiFactory("v2", debugFields: true));

    public ApiFactory Factory(string variant) => variant == "v2" ? _v2.Value : _v1.Value;

    public void Dispose()
    {
        if (_v1.IsValueCreated) _v1.Value.Dispose();
        if (_v2.IsValueCreated) _v2.Value.Dispose();
    }
}
