using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost;

/// <summary>
/// The hardening every container gets (CIS Docker Benchmark 5.3, 5.12, 5.25): a read-only root file
/// system with a tmpfs for each path given, no capability (nothing here binds a port below 1024 or
/// changes owners), no privilege gained through setuid binaries. The images already run as non-root
/// users. Container arguments under the AppHost, the same keys in the published files.
/// </summary>
public static class ContainerHardening
{
    /// <param name="tmpfs">"path[:options]" mounts for what the container must write, e.g. "/tmp:size=16m".</param>
    public static IResourceBuilder<T> WithHardening<T>(this IResourceBuilder<T> container, params string[] tmpfs)
        where T : ContainerResource
    {
        string[] args = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", .. tmpfs.Select(t => $"--tmpfs={t}")];
        return container.WithContainerRuntimeArgs(args)
            .PublishAsComposeService((_, service) => Harden(service, tmpfs));
    }

    /// <summary>The same keys on a compose service (a project runs as a process under the AppHost, in a
    /// container once published).</summary>
    public static void Harden(ComposeService service, params string[] tmpfs)
    {
        service.ReadOnly = true;
        service.CapDrop.Add("ALL");
        service.SecurityOpt.Add("no-new-privileges:true");
        service.Tmpfs.AddRange(tmpfs);
    }
}
