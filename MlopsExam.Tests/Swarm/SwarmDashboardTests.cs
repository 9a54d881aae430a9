using MlopsExam.Tests.Compose;
using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Swarm;

/// <summary>
/// The Swarm stack's dashboard service in a real browser (<see cref="DashboardBrowserTests{TStack}"/>): Swarm
/// cannot publish a port on 127.0.0.1 alone, so `make dashboard` gives the task's address on docker_gwbridge,
/// the bridge only this host reaches; the same login, traces, logs and metrics as compose's.
/// </summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class SwarmDashboardTests(SwarmStack stack)
    : DashboardBrowserTests<SwarmStack>(stack), IClassFixture<SwarmStack>
{
    protected override string ScreenshotPrefix => "swarm-dashboard";

    protected override string LoginUrl()
    {
        var url = StackDashboard.LoginUrl();
        // Not the loopback interface (compose's): the docker_gwbridge address of the dashboard's task.
        Assert.DoesNotContain("//127.", url, StringComparison.Ordinal);
        return url;
    }
}
