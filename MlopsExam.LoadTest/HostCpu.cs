using System.Globalization;

namespace MlopsExam.LoadTest;

/// <summary>
/// CPU time outside the stack's containers: the load generator's (h2load runs as a child of this
/// process, so its time shows in this process's children's time once it has been waited for) and the
/// whole machine's (every core's busy time from /proc/stat). With the containers' own counters they
/// say where the cores went during a run: on a machine the load generator shares with the stack, a
/// core it takes is a core the gateway does not get.
/// </summary>
internal static class HostCpu
{
    /// <summary>User + system time of the waited-for children of this process so far (the h2load runs):
    /// cutime and cstime of /proc/self/stat.</summary>
    public static TimeSpan Children() => HostProcess.StatTime("/proc/self/stat", 16, 17);

    /// <summary>Busy time of every core together so far (/proc/stat's first line, less idle and iowait).</summary>
    public static TimeSpan MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        var busy = fields.Take(8).Sum() - fields[3] - fields[4];
        return TimeSpan.FromSeconds(busy / HostProcess.TicksPerSecond);
    }
}
