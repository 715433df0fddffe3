using System.Runtime.InteropServices;

namespace PneuKnow.Cli.Commands;

/// <summary>What the bench commands print about the machine, so numbers can be compared across reports.</summary>
public static class BenchMachine
{
    /// <summary>
    /// A rate or ratio with three significant figures (0.300, 17.6, 1.02), so small rates (0.3 images/s at
    /// 224 px on a loaded CPU) keep their precision and large ones print no false digits after the point.
    /// </summary>
    public static string Significant3(double value)
    {
        if (value == 0 || !double.IsFinite(value)) return value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        static int Decimals(double v) => Math.Max(0, 2 - (int)Math.Floor(Math.Log10(Math.Abs(v))));
        int decimals = Decimals(value);
        // Rounding can carry into the next power of ten (0.9996 → 1.00, not 1.000).
        if (decimals > 0) decimals = Decimals(Math.Round(value, Math.Min(decimals, 15)));
        return value.ToString($"F{decimals}", System.Globalization.CultureInfo.InvariantCulture);
    }

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
