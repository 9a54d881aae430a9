namespace MlopsExam.Tests.Infrastructure;

/// <summary>The stack tests need a container engine: fail with the fix rather than a timeout.</summary>
public static class DockerPrerequisite
{
    public static void EnsureRunning()
    {
        var (code, output) = Shell.Run("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(30));
        if (code != 0)
            throw new InvalidOperationException(
                $"No Docker engine answers ({output.Trim()}). Run 'make docker' (scripts/bootstrap-docker.sh) first; 'make verify' does it for you.");
    }
}
