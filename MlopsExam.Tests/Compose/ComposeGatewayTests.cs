using MlopsExam.Tests.Gateway;

namespace MlopsExam.Tests.Compose;

/// <summary>The gateway features against docker-compose.yml (`make up`'s stack): the same tests,
/// from the same code, as <see cref="AspireGatewayTests"/>; and what only the API's image does.</summary>
[Collection(GatewayCollection.Name), Trait("Category", "Stack")]
public sealed class ComposeGatewayTests(ComposeStack stack)
    : GatewayFeatureTests<ComposeStack>(stack), IClassFixture<ComposeStack>
{
    /// <summary>The image buffers stdout (Serving__StdoutFlushMilliseconds) and Program.cs then swaps
    /// the console logger for BufferedConsoleLogger: the replica runs no "Console logger" thread, the
    /// one the stock logger wakes for every line. (The lines themselves reaching `docker logs` is
    /// checked by the balancing and fallback tests.)</summary>
    [Fact]
    public async Task An_api_replica_writes_its_log_lines_without_the_console_logger_thread()
    {
        var replica = (await Stack.ContainerIdsAsync(CancellationToken.None))["api-v1"];
        var (code, output) = Shell.Run("docker", ["exec", replica, "sh", "-c", "cat /proc/1/comm /proc/1/task/*/comm"], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, output);
        var threads = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("dotnet", threads[0]); // the API is the container's first process
        Assert.Contains(threads, t => t.StartsWith(".NET Sockets", StringComparison.Ordinal));
        Assert.DoesNotContain(threads, t => t.StartsWith("Console logger", StringComparison.Ordinal));
    }
}
