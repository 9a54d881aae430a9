namespace MlopsExam.Training;

/// <summary>Finds the repository root (the folder holding MlopsExam.sln) and the default paths under it.</summary>
internal static class RepoLocator
{
    private const string Marker = "MlopsExam.sln";

    /// <summary>
    /// Walks up from the working directory, then from the executable's folder, so that both
    /// <c>dotnet run --project MlopsExam.Training</c> from the root and a run from bin/ work.
    /// </summary>
    public static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, Marker)))
                    return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"Could not find the repository root ({Marker}) above '{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'.");
    }

    /// <summary>SST-2 lives beside the repository, not in it: <c>&lt;root&gt;/../shared/data/sst2</c>, or SST2_DIR.</summary>
    public static string DefaultDataDir(string root) =>
        Environment.GetEnvironmentVariable("SST2_DIR") is { Length: > 0 } fromEnv
            ? Path.GetFullPath(fromEnv)
            : Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "sst2"));

    /// <summary>Resolves a user-given path against the working directory, falling back on the repository root.</summary>
    public static string Resolve(string path, string root)
    {
        if (Path.IsPathRooted(path)) return Path.GetFullPath(path);
        var fromCwd = Path.GetFullPath(path);
        return Directory.Exists(fromCwd) ? fromCwd : Path.GetFullPath(Path.Combine(root, path));
    }
}
