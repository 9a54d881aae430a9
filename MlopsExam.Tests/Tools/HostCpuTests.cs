using System.Diagnostics;
using MlopsExam.LoadTest;

namespace MlopsExam.Tests.Tools;

/// <summary>No other test runs beside these: a process's children's time is process-wide, so the curl,
/// docker and dotnet children other tests wait for while this one runs would count as this child's (CI
/// once saw 1,580 ms of children's time in 815 ms of wall time).</summary>
[CollectionDefinition(nameof(ProcessWideChildren), DisableParallelization = true)]
public sealed class ProcessWideChildren;

/// <summary>
/// make overload's CPU columns outside the containers (MlopsExam.LoadTest/HostCpu.cs): the load
/// generator's time is read as this process's waited-for children's, so a child that burns CPU must
/// show there, and the machine's busy time must count it too.
/// </summary>
[Collection(nameof(ProcessWideChildren))]
public sealed class HostCpuTests
{
    [Fact]
    public async Task A_child_that_burns_cpu_shows_in_the_childrens_time_and_the_machines()
    {
        var childrenBefore = HostCpu.Children();
        var machineBefore = HostCpu.MachineBusy();

        // Half a second of CPU or more in a child shell (400,000 turns of a loop), waited for as h2load is.
        var wall = Stopwatch.StartNew();
        using (var child = Process.Start(new ProcessStartInfo("sh", ["-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"]))!)
        {
            await child.WaitForExitAsync();
        }
        wall.Stop();

        var children = HostCpu.Children() - childrenBefore;
        var machine = HostCpu.MachineBusy() - machineBefore;
        // One thread cannot use more CPU than the wall time it ran; /proc's ticks are 10 ms.
        Assert.InRange(children.TotalMilliseconds, 100, wall.Elapsed.TotalMilliseconds + 20);
        Assert.True(machine >= children - TimeSpan.FromMilliseconds(20), $"machine busy {machine.TotalMilliseconds} ms < the child's {children.TotalMilliseconds} ms");
    }
}
