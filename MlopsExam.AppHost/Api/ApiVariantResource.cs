namespace MlopsExam.AppHost.Api;

/// <summary>
/// A variant served by several replicas (api-v1 under `make run`): no process of its own, the parent the
/// dashboard lists its replicas under (WithParentRelationship), so the resource list reads like the README's
/// diagram. Not published: compose and Swarm have one service per variant already.
/// </summary>
public sealed class ApiVariantResource(string name) : Resource(name);

public static class ApiVariantResourceBuilderExtensions
{
    /// <summary>The variant's parent resource, shown Running (it groups; health is each replica's).</summary>
    public static IResourceBuilder<ApiVariantResource> AddApiVariant(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new ApiVariantResource(name))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Variant",
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                Properties = [],
            })
            .ExcludeFromManifest();
}
