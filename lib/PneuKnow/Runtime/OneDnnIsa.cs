using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PneuKnow.Runtime;

/// <summary>How the user asked oneDNN's instruction set to be chosen.</summary>
public enum OneDnnIsaRequest
{
    /// <summary>Decided by the convolution self-test (<see cref="OneDnnSelfTest"/>), cached per machine.</summary>
    Auto,
    /// <summary>No cap: oneDNN uses the best instruction set the CPU has.</summary>
    Full,
    /// <summary>Capped at AVX-512 (oneDNN's <c>AVX512_CORE</c>).</summary>
    Avx512,
    /// <summary>Capped at AVX2.</summary>
    Avx2,
    /// <summary>Capped at SSE4.1.</summary>
    Sse41,
}

/// <summary>What <see cref="OneDnnIsa.Apply"/> decided and why.</summary>
/// <param name="Cap">The value given to <c>ONEDNN_MAX_CPU_ISA</c> (<c>ALL</c> = no cap), or null when nothing was set.</param>
/// <param name="Source">Where the decision came from: <c>self-test</c>, <c>cache</c>, <c>user</c> or <c>not tested</c>.</param>
/// <param name="Detail">One sentence for <c>pneuknow info</c>: the trials, the oneDNN version, the cost, or why nothing was tested.</param>
public sealed record OneDnnIsaVerdict(string? Cap, string Source, string Detail)
{
    /// <summary>The line <c>pneuknow info</c> prints.</summary>
    public override string ToString() => $"{(Cap is null or "ALL" ? "no cap (full ISA)" : $"capped at {Cap}")} [{Source}] {Detail}";
}

/// <summary>
/// Sets the cap on oneDNN's (libtorch's CPU convolution library's) instruction set before libtorch loads.
/// </summary>
/// <remarks>
/// On some AMD EPYC virtual machines (libtorch 2.10) oneDNN's vectorised convolution kernels compute wrong
/// numbers: with AVX-512 the backward pass of a 3×3 convolution returned NaN input gradients in 2–7 % of calls;
/// capped at AVX2 or AVX, 3×3 convolutions with 12 or 20 channels and batch ≥ 2 were 20–40 % off. On an Intel
/// Xeon with AVX-512 the same kernels are right, and a cap costs 2–3× in training throughput. So the cap is not
/// chosen by vendor but by <see cref="OneDnnSelfTest"/>, which checks those convolutions against float64 in a
/// child process at each level and keeps the first level that agrees; the verdict is cached per machine.
/// oneDNN reads the variable with the C library's <c>getenv</c> when it first dispatches, so it is set with
/// <c>setenv</c> before libtorch is loaded; .NET's <c>Environment.SetEnvironmentVariable</c> would not reach it
/// on Linux. A value of <c>ONEDNN_MAX_CPU_ISA</c> the user set is left alone.
/// </remarks>
public static class OneDnnIsa
{
    /// <summary>The variable oneDNN reads.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The variable (also set by the CLI's <c>--onednn-isa</c>) that overrides the self-test.</summary>
    public const string RequestVariable = "PNEUKNOW_ONEDNN_ISA";

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>Whether <see cref="Apply"/> set a cap below the full ISA in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>The decision of this process, once libtorch was loaded on Linux x64.</summary>
    public static OneDnnIsaVerdict? Current { get; private set; }

    /// <summary>
    /// The request for this process; defaults to <c>PNEUKNOW_ONEDNN_ISA</c> (parsed by <see cref="Parse"/>) or <see cref="OneDnnIsaRequest.Auto"/>.
    /// Set it before <see cref="TorchRuntime.Initialize"/>; later changes have no effect.
    /// </summary>
    /// <exception cref="ArgumentException">Read with a <c>PNEUKNOW_ONEDNN_ISA</c> that is not a valid request.</exception>
    public static OneDnnIsaRequest Request
    {
        // Read lazily: a bad environment value is an error of Initialize, not of this type's static constructor.
        get => _request ??= FromEnvironment();
        set => _request = value;
    }

    static OneDnnIsaRequest? _request;

    /// <summary>oneDNN's spelling of a cap (the value of <c>ONEDNN_MAX_CPU_ISA</c>).</summary>
    public static string OneDnnName(OneDnnIsaRequest r) => r switch
    {
        OneDnnIsaRequest.Full => "ALL",
        OneDnnIsaRequest.Avx512 => "AVX512_CORE",
        OneDnnIsaRequest.Avx2 => "AVX2",
        OneDnnIsaRequest.Sse41 => "SSE41",
        _ => throw new ArgumentOutOfRangeException(nameof(r), r, "auto has no oneDNN name"),
    };

    /// <summary>Parses <c>auto</c>, <c>full</c>, <c>avx512</c>, <c>avx2</c> or <c>sse41</c> (case-insensitive).</summary>
    /// <param name="value">The text.</param>
    /// <param name="where">Where the text came from, for the error (e.g. <c>--onednn-isa</c>).</param>
    /// <exception cref="ArgumentException">Any other value; the message names the valid ones and where the bad one came from.</exception>
    public static OneDnnIsaRequest Parse(string value, string where) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => OneDnnIsaRequest.Auto,
        "full" or "all" => OneDnnIsaRequest.Full,
        "avx512" or "avx512_core" => OneDnnIsaRequest.Avx512,
        "avx2" => OneDnnIsaRequest.Avx2,
        "sse41" or "sse4.1" => OneDnnIsaRequest.Sse41,
        _ => throw new ArgumentException($"{where}: expected auto, full, avx512, avx2 or sse41, found '{value}'."),
    };

    static OneDnnIsaRequest FromEnvironment()
    {
        var v = Environment.GetEnvironmentVariable(RequestVariable);
        return string.IsNullOrWhiteSpace(v) ? OneDnnIsaRequest.Auto : Parse(v, RequestVariable);
    }

    /// <summary>
    /// Decides and sets the cap for the libtorch in <paramref name="nativeDir"/>, before it is loaded.
    /// Returns a sentence for the runtime report when a cap was set, else null.
    /// </summary>
    /// <param name="nativeDir">The folder with <c>libtorch_cpu.so</c> about to be loaded.</param>
    /// <param name="libTorchVersion">Its version, part of the cache key.</param>
    internal static string? Apply(string nativeDir, string libTorchVersion)
    {
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported) return null;
        var user = Marshal.PtrToStringAnsi(GetEnv(Variable));
        if (!string.IsNullOrEmpty(user))
        {
            Current = new OneDnnIsaVerdict(user, "user", $"{Variable}={user} was set in the environment");
            return $"{Variable}={user} (set by the user)";
        }
        if (Request == OneDnnIsaRequest.Auto)
        {
            try
            {
                Current = OneDnnSelfTest.Verdict(nativeDir, libTorchVersion);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The self-test is a safeguard; a fault of its own must not stop torch from loading.
                Current = new OneDnnIsaVerdict(null, "not tested", $"the self-test failed: {e.GetType().Name}: {e.Message}");
            }
        }
        else
        {
            Current = new OneDnnIsaVerdict(OneDnnName(Request), "user", $"requested with --onednn-isa or {RequestVariable}");
        }
        if (Current.Cap is null or "ALL") return null;
        if (SetEnv(Variable, Current.Cap, 1) != 0) return $"could not set {Variable}={Current.Cap} (errno {Marshal.GetLastPInvokeError()})";
        Applied = true;
        return $"{Variable}={Current.Cap} ({Current.Source}: {Current.Detail})";
    }
}
