using System.Reflection;

namespace MlopsExam.Tests;

/// <summary>Where the repository is, recorded at build time (MlopsExam.Tests.csproj).</summary>
public static class RepoLayout
{
    public static string Root { get; } = typeof(RepoLayout).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
