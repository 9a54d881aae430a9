namespace MlopsExam.Tooling;

/// <summary>
/// The repository root (the folder holding MlopsExam.sln), for the command-line tools and the
/// tests, and the data sets that live beside it in <c>../shared/data</c>.
/// </summary>
public static class RepoRoot
{
    public const string Marker = "MlopsExam.sln";

    /// <summary>
    /// Walks up from the working directory, then from the executable's folder: <c>dotnet run
    /// --project ...</c> from the root, a run from bin/ and the tests (working directory: their
    /// bin/) all find it.
    /// </summary>
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, Marker)))
                    return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException(
            $"Could not find the repository root ({Marker}) above '{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}'.");
    }

    /// <summary>A user-given folder: absolute as given, else from the working directory when it exists there, else under the root.</summary>
    public static string Resolve(string path, string root)
    {
        if (Path.IsPathRooted(path)) return Path.GetFullPath(path);
        var fromCwd = Path.GetFullPath(path);
        return Directory.Exists(fromCwd) ? fromCwd : Path.GetFullPath(Path.Combine(root, path));
    }

    /// <summary>
    /// A data set kept beside the repository, never in it: the folder the environment variable
    /// names (SST2_DIR, UCI_SLS_DIR, as the Makefile exports them), else <c>&lt;root&gt;/../shared/data/&lt;name&gt;</c>.
    /// </summary>
    public static string SharedData(string root, string name, string environmentVariable) =>
        Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnv
            ? Path.GetFullPath(fromEnv)
            : Path.GetFullPath(Path.Combine(root, "..", "shared", "data", name));
}
