using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>The gateway features against docker-compose.yml (`make up`'s stack): the same tests,
/// from the same code, as <see cref="AspireGatewayTests"/>.</summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class ComposeGatewayTests(ComposeStack stack)
    : GatewayFeatureTests<ComposeStack>(stack), IClassFixture<ComposeStack>;
