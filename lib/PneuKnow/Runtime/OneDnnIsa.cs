using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PneuKnow.Runtime;

/// <summary>
/// Caps oneDNN (libtorch's CPU convolution library) at AVX2 on AMD processors with AVX-512.
/// </summary>
/// <remarks>
/// On the AMD EPYC machines this project runs on (libtorch 2.10, oneDNN's AVX-512 kernels), the
/// backward pass of a plain 3×3 convolution returns NaN for the input gradient in a few percent of
/// calls, with one thread or many; weight gradients stay finite, so training silently diverges at
/// the first layer. With <c>ONEDNN_MAX_CPU_ISA=AVX2</c> it never happened in the same test
/// (<c>tests/PneuKnow.Tests/Runtime/ConvolutionGradientTests.cs</c>). oneDNN reads the variable with
/// the C library's <c>getenv</c> when it first dispatches, so it is set with <c>setenv</c> before
/// libtorch is loaded; .NET's <c>Environment.SetEnvironmentVariable</c> would not reach it on Linux.
/// A value the user set is left alone.
/// </remarks>
public static class OneDnnIsa
{
    /// <summary>The variable oneDNN reads.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>Applies the cap where needed; returns a sentence for the runtime report, or null when nothing was done.</summary>
    public static string? Apply()
    {
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported) return null;
        var user = Marshal.PtrToStringAnsi(GetEnv(Variable));
        if (!string.IsNullOrEmpty(user)) return $"{Variable}={user} (set by the user)";
        if (!Avx512F.IsSupported || !IsAmd()) return null;
        if (SetEnv(Variable, "AVX2", 1) != 0) return $"could not set {Variable}=AVX2 (errno {Marshal.GetLastPInvokeError()})";
        return $"{Variable}=AVX2: oneDNN's AVX-512 convolution backward returns NaN input gradients on this AMD CPU";
    }

    static bool IsAmd()
    {
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return System.Text.Encoding.ASCII.GetString(MemoryMarshal.AsBytes(vendor)) == "AuthenticAMD";
    }
}
