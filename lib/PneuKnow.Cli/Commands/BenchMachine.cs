using System.Runtime.InteropServices;

namespace PneuKnow.Cli.Commands;

/// <summary>What the bench commands print about the machine, so numbers can be compared across reports.</summary>
static class BenchMachine
{
    /// <summary>The CPU's model name from /proc/cpuinfo, else the process architecture.</summary>
    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The first <paramref name="count"/> load averages (1, 5, 15 minutes), or "unknown".</summary>
    public static string LoadAverage(int count = 3)
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(count)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "unknown"; }
    }
}
