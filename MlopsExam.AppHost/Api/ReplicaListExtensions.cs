using MlopsExam.AppHost.Compose;

namespace MlopsExam.AppHost.Api;

/// <summary>What a resource does with every replica of a variant: wait for each, or list their addresses.</summary>
public static class ReplicaListExtensions
{
    /// <summary>Waits for every resource of a list (the replicas of a variant).</summary>
    public static IResourceBuilder<T> WaitForAll<T, TDependency>(this IResourceBuilder<T> builder, IEnumerable<IResourceBuilder<TDependency>> dependencies)
        where T : IResourceWithWaitSupport where TDependency : class, IResource
    {
        foreach (var dependency in dependencies) builder.WaitFor(dependency);
        return builder;
    }

    /// <summary><c>host:port host:port ...</c> of each replica's http endpoint, as seen from the
    /// consuming container (Aspire resolves the host for the container network). When publishing, the
    /// replicas of one compose service are one name, which resolves to all of them: listed once.</summary>
    public static ReferenceExpression HostAndPortList(this IEnumerable<IResourceBuilder<ProjectResource>> replicas)
    {
        var list = new ReferenceExpressionBuilder();
        var first = true;
        var services = new HashSet<string>(StringComparer.Ordinal);
        foreach (var replica in replicas)
        {
            var service = replica.Resource.Annotations.OfType<ComposeReplicaOfAnnotation>().LastOrDefault()?.ServiceName;
            if (replica.ApplicationBuilder.ExecutionContext.IsPublishMode && service is not null && !services.Add(service))
                continue;
            if (!first) list.AppendLiteral(" ");
            list.Append($"{replica.GetEndpoint("http").Property(EndpointProperty.HostAndPort)}");
            first = false;
        }
        return list.Build();
    }
}
