using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PneuKnow.Runtime;

/// <summary>
/// Caps oneDNN (libtorch's CPU convolution library) at SSE4.1 on AMD processors with AVX-512.
/// </summary>
/// <remarks>
/// On the AMD EPYC virtual machines this project runs on (libtorch 2.10), oneDNN's vectorised
/// convolution kernels compute wrong numbers: with AVX-512 the backward pass of a 3×3 convolution
/// returns NaN input gradients in 2–7 % of calls; capped at AVX2 or AVX, 3×3 convolutions with 12
/// or 20 channels and batch ≥ 2 are 20–40 % off in output, input gradient and weight gradient,
/// every time. Capped at SSE4.1 every shape we checked matches float64 to 1e-6
/// (<c>tests/PneuKnow.Tests/Runtime/ConvolutionCorrectnessTests.cs</c>), at about 30 % less
/// training throughput than the wrong AVX2 kernels. The same machines make libtorch's cpuinfo
/// report "unsupported hardware" for NNPACK on every convolution, which is why the runtime also
/// raises libtorch's C++ log threshold to errors (<see cref="TorchRuntime"/>).
/// oneDNN reads the variable with the C library's <c>getenv</c> when it first dispatches, so it is
/// set with <c>setenv</c> before libtorch is loaded; .NET's <c>Environment.SetEnvironmentVariable</c>
/// would not reach it on Linux. A value the user set is left alone.
/// </remarks>
public static class OneDnnIsa
{
    /// <summary>The variable oneDNN reads.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>The ISA the cap sets.</summary>
    public const string Cap = "SSE41";

    /// <summary>Whether <see cref="Apply"/> set the cap in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Applies the cap where needed; returns a sentence for the runtime report, or null when nothing was done.</summary>
    public static string? Apply()
    {
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported) return null;
        var user = Marshal.PtrToStringAnsi(GetEnv(Variable));
        if (!string.IsNullOrEmpty(user)) return $"{Variable}={user} (set by the user)";
        if (!Avx512F.IsSupported || !IsAmd()) return null;
        if (SetEnv(Variable, Cap, 1) != 0) return $"could not set {Variable}={Cap} (errno {Marshal.GetLastPInvokeError()})";
        Applied = true;
        return $"{Variable}={Cap}: oneDNN's AVX2/AVX-512 convolutions compute wrong values on this AMD CPU";
    }

    static bool IsAmd()
    {
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(MemoryMarshal.AsBytes(vendor)) == "AuthenticAMD";
    }
}
