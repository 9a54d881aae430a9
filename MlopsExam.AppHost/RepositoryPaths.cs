namespace MlopsExam.AppHost;

/// <summary>Where the AppHost finds the repository's files: it lives in the repository's root folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository's root folder (the AppHost's parent).</summary>
    public static string RepositoryRoot(this IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    /// <summary>Absolute path of a file or folder under the repository's deployments/.</summary>
    public static string Deployments(this IDistributedApplicationBuilder builder, string relative) =>
        Path.GetFullPath(Path.Combine(builder.RepositoryRoot(), "deployments", relative));
}
