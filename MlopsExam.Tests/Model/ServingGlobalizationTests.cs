using System.Text.Json;
using MlopsExam.Model;

namespace MlopsExam.Tests.Model;

/// <summary>
/// The API must read text exactly as training did (issue 12). TextNormalizer folds compatibility
/// characters with ICU; in invariant-globalization mode it silently would not, so the served API
/// and the tests (which always have ICU) would disagree while every normaliser test passed.
/// These tests tie the API's configuration to the mode the normaliser tests run in.
/// </summary>
public class ServingGlobalizationTests
{
    /// <summary>The runtime configuration the API is built with (copied beside the tests by the project reference).</summary>
    private static JsonElement ApiConfigProperties()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "MlopsExam.Api.runtimeconfig.json");
        Assert.True(File.Exists(path), $"{path} not found: the test project references MlopsExam.Api, so the build should copy it.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties)
            ? properties.Clone()
            : default;
    }

    private static bool ApiIsInvariant()
    {
        var properties = ApiConfigProperties();
        return properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty("System.Globalization.Invariant", out var invariant)
            && invariant.GetBoolean();
    }

    [Fact]
    public void ApiIsNotBuiltWithInvariantGlobalization() =>
        Assert.False(ApiIsInvariant(),
            "MlopsExam.Api runs with InvariantGlobalization=true: string.Normalize(FormKC) is then a no-op and served text " +
            "is not normalised as training text was. Keep InvariantGlobalization=false in MlopsExam.Api.csproj.");

    [Fact]
    public void NothingSwitchesTheServedApiToInvariantMode()
    {
        // The same switch through the environment (compose, the AppHost, the image) would undo the project setting.
        foreach (var file in new[] { "docker-compose.yml", "docker-stack.yml", "MlopsExam.Api/Dockerfile", "MlopsExam.AppHost/AppHost.cs", "MlopsExam.AppHost/Api/ApiResourceBuilderExtensions.cs", "Directory.Build.props" })
        {
            var path = RepoLayout.Path(file.Split('/'));
            Assert.True(File.Exists(path), $"{path} is gone: update this list");
            var text = File.ReadAllText(path);
            Assert.DoesNotContain("GLOBALIZATION_INVARIANT", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InvariantGlobalization>true", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void TestsRunTheNormaliserInTheApisMode()
    {
        // The normaliser's cases (TextNormalizerTests) prove what the API does only if both fold alike.
        Assert.Equal(!ApiIsInvariant(), TextNormalizer.FoldsCompatibilityCharacters);
    }
}
