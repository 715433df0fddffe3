using System.Diagnostics;
using System.Globalization;

namespace PneuKnow.Runtime;

/// <summary>What this process holds in memory, as the trainer logs it per epoch and <c>pneuknow bench train</c> reports it.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// The resident set in bytes. With <paramref name="collectFirst"/> a full garbage collection runs first, so that the
    /// number reflects what is held, not garbage awaiting the collector.
    /// </summary>
    public static long ResidentBytes(bool collectFirst = true)
    {
        if (collectFirst)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }

    /// <summary>
    /// A <c>Name: 123 kB</c> line of <c>/proc/self/status</c> in bytes (e.g. <c>RssAnon</c>, <c>RssFile</c>); null off
    /// Linux or where the kernel has no such line.
    /// </summary>
    public static long? StatusBytes(string name)
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(name + ":", StringComparison.Ordinal)
                && long.TryParse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out var kb))
                return kb * 1024;
        return null;
    }
}
