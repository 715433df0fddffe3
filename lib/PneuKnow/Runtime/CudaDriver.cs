using System.Runtime.InteropServices;
using System.Text;

namespace PneuKnow.Runtime;

/// <summary>
/// GPU names, memory and driver version from the CUDA driver API (<c>libcuda.so.1</c>), whose C ABI is stable
/// across CUDA releases; TorchSharp exposes only device counts.
/// </summary>
public static class CudaDriver
{
    [DllImport("libcuda.so.1", EntryPoint = "cuInit")] static extern int CuInit(uint flags);
    [DllImport("libcuda.so.1", EntryPoint = "cuDriverGetVersion")] static extern int CuDriverGetVersion(out int version);
    [DllImport("libcuda.so.1", EntryPoint = "cuDeviceGet")] static extern int CuDeviceGet(out int device, int ordinal);
    [DllImport("libcuda.so.1", EntryPoint = "cuDeviceGetName")] static extern int CuDeviceGetName(byte[] name, int length, int device);
    [DllImport("libcuda.so.1", EntryPoint = "cuDeviceTotalMem_v2")] static extern int CuDeviceTotalMem(out nuint bytes, int device);

    /// <summary>One line about CUDA device <paramref name="ordinal"/>, e.g. <c>NVIDIA H200 (139.8 GiB), driver CUDA 13.0</c>; null without a driver.</summary>
    public static string? Describe(int ordinal)
    {
        try
        {
            if (CuInit(0) != 0 || CuDeviceGet(out var dev, ordinal) != 0) return null;
            var buf = new byte[256];
            if (CuDeviceGetName(buf, buf.Length, dev) != 0) return null;
            var name = Encoding.ASCII.GetString(buf, 0, Math.Max(0, Array.IndexOf(buf, (byte)0)));
            var mem = CuDeviceTotalMem(out var bytes, dev) == 0 ? $" ({bytes / (1024.0 * 1024 * 1024):F1} GiB)" : "";
            var driver = CuDriverGetVersion(out var v) == 0 ? $", driver supports CUDA {v / 1000}.{v % 1000 / 10}" : "";
            return name + mem + driver;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The CUDA runtime library mapped into this process (e.g. <c>libcudart.so.13</c>), null when none is.</summary>
    public static string? MappedCudaRuntime()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var file = Path.GetFileName(line[slash..]);
            if (file.StartsWith("libcudart.so", StringComparison.Ordinal) || file.StartsWith("libcudart-", StringComparison.Ordinal)) return line[slash..];
        }
        return null;
    }
}
