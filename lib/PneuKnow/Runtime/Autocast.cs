using System.Runtime.InteropServices;
using TorchSharp;

namespace PneuKnow.Runtime;

/// <summary>
/// libtorch's own automatic mixed precision (<c>at::autocast</c>, what <c>torch.autocast</c> drives in Python) as a scope:
/// while it is open, the operators libtorch lists as safe in lower precision (convolutions, linear layers, matrix
/// products) cast their inputs to <see cref="Dtype"/> and compute in it, the operators it lists as needing float32
/// (the losses, softmax-based and reductions such as <c>mse_loss</c>, <c>cross_entropy</c>, <c>kl_div</c>) compute in
/// float32, and everything else (BatchNorm, ReLU, pooling, additions) runs in the type of its input. Parameters stay in
/// float32: the lower-precision copies of the weights are made per forward pass and cached until the outermost scope
/// closes, so an optimizer step between two scopes always works on fresh copies.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107 does not wrap autocast, but libtorch exports its functions from <c>libtorch_cpu</c>
/// (<c>at::autocast::set_autocast_enabled(c10::DeviceType, bool)</c> and its siblings): this class calls them by their
/// Itanium-mangled names from the library the process has already mapped. Its state is thread-local in libtorch, so a
/// scope affects only the thread that opened it; open and dispose it on the thread that runs the forward pass.
/// </para>
/// <para>
/// Entering and leaving follow <c>torch.autocast.__enter__</c> and <c>__exit__</c> exactly: enter records the enabled
/// flag, the dtype and the cache flag, sets them, and increments the nesting count; leave decrements it, clears the cache
/// of cast weights when the outermost scope closes, and restores the recorded values, so scopes nest (an inner one may
/// change the dtype or disable autocast for a region) and a disposed scope leaves no trace, also when an exception ended it.
/// </para>
/// </remarks>
public sealed class Autocast : IDisposable
{
    readonly DeviceType device;
    readonly bool previousEnabled;
    readonly torch.ScalarType previousDtype;
    readonly bool previousCache;
    readonly int threadId;
    bool disposed;

    /// <summary>Opens a scope on the calling thread.</summary>
    /// <param name="device">The device type whose autocast state is set (<c>CPU</c> or <c>CUDA</c>): the device the forward pass runs on.</param>
    /// <param name="dtype">The lower-precision type: <c>BFloat16</c> or <c>Float16</c>.</param>
    /// <param name="enabled">False opens a scope that disables autocast for its region (inside an enabled one).</param>
    /// <param name="cacheEnabled">Whether the casts of leaf tensors (weights) are cached until the outermost scope closes; as in torch.</param>
    /// <exception cref="ArgumentException">A device type other than CPU or CUDA, or a dtype other than bfloat16 or float16.</exception>
    /// <exception cref="AutocastUnavailableException">libtorch_cpu is not mapped or lacks one of the functions.</exception>
    public Autocast(DeviceType device, torch.ScalarType dtype, bool enabled = true, bool cacheEnabled = true)
    {
        if (device is not (DeviceType.CPU or DeviceType.CUDA))
            throw new ArgumentException($"autocast: expected the device type CPU or CUDA, found {device}.", nameof(device));
        if (dtype is not (torch.ScalarType.BFloat16 or torch.ScalarType.Float16))
            throw new ArgumentException($"autocast: expected the dtype BFloat16 or Float16, found {dtype}.", nameof(dtype));
        var n = Native.Instance;
        this.device = device;
        threadId = Environment.CurrentManagedThreadId;
        previousCache = n.IsCacheEnabled() != 0;
        previousEnabled = n.IsEnabled((sbyte)device) != 0;
        previousDtype = (torch.ScalarType)n.GetDtype((sbyte)device);
        n.SetEnabled((sbyte)device, enabled ? (byte)1 : (byte)0);
        n.SetDtype((sbyte)device, (sbyte)dtype);
        n.IncrementNesting();
        n.SetCacheEnabled(cacheEnabled ? (byte)1 : (byte)0);
    }

    /// <summary>Whether autocast is enabled for <paramref name="device"/> on the calling thread.</summary>
    public static bool IsEnabled(DeviceType device) => Native.Instance.IsEnabled((sbyte)device) != 0;

    /// <summary>The lower-precision type autocast uses for <paramref name="device"/> on the calling thread (libtorch's default: bfloat16 on the CPU, float16 on CUDA).</summary>
    public static torch.ScalarType Dtype(DeviceType device) => (torch.ScalarType)Native.Instance.GetDtype((sbyte)device);

    /// <summary>Whether weight casts are cached on the calling thread.</summary>
    public static bool IsCacheEnabled => Native.Instance.IsCacheEnabled() != 0;

    /// <summary>Null when autocast can be used in this process; otherwise why not (libtorch_cpu not mapped, or a function missing).</summary>
    public static string? Unavailable => Native.Problem;

    /// <summary>Leaves the scope: clears the weight-cast cache if it was the outermost, and restores the state it found.</summary>
    /// <exception cref="InvalidOperationException">Disposed on another thread than the one that opened it (the state is thread-local).</exception>
    public void Dispose()
    {
        if (disposed) return;
        if (Environment.CurrentManagedThreadId != threadId)
            throw new InvalidOperationException($"autocast: a scope opened on managed thread {threadId} was disposed on thread {Environment.CurrentManagedThreadId}; libtorch's autocast state is thread-local, so a scope must close on the thread that opened it.");
        disposed = true;
        var n = Native.Instance;
        if (n.DecrementNesting() == 0) n.ClearCache();
        n.SetEnabled((sbyte)device, previousEnabled ? (byte)1 : (byte)0);
        n.SetDtype((sbyte)device, (sbyte)previousDtype);
        n.SetCacheEnabled(previousCache ? (byte)1 : (byte)0);
    }

    // c10::DeviceType and c10::ScalarType are `enum class : int8_t`, and TorchSharp's DeviceType and ScalarType enums carry
    // the same numbers (CPU 0, CUDA 1; Float16 5, Float32 6, BFloat16 15), so they pass as sbyte. C++ bool is one byte.
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetEnabledFn(sbyte device, byte enabled);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate byte IsEnabledFn(sbyte device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetDtypeFn(sbyte device, sbyte dtype);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate sbyte GetDtypeFn(sbyte device);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int NestingFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void VoidFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void SetCacheFn(byte enabled);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate byte IsCacheFn();

    /// <summary>The resolved functions; resolved once, on first use, from the libtorch_cpu this process mapped.</summary>
    sealed class Native
    {
        // Itanium C++ ABI names (Linux, macOS), as `nm -D libtorch_cpu.so` lists them for libtorch 2.10.
        const string SetEnabledName = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb";
        const string IsEnabledName = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE";
        const string SetDtypeName = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE";
        const string GetDtypeName = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE";
        const string IncrementName = "_ZN2at8autocast17increment_nestingEv";
        const string DecrementName = "_ZN2at8autocast17decrement_nestingEv";
        const string ClearCacheName = "_ZN2at8autocast11clear_cacheEv";
        const string SetCacheName = "_ZN2at8autocast26set_autocast_cache_enabledEb";
        const string IsCacheName = "_ZN2at8autocast25is_autocast_cache_enabledEv";

        static readonly Lazy<(Native? Value, string? Problem)> Resolved = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

        public static Native Instance => Resolved.Value.Value ?? throw new AutocastUnavailableException(Resolved.Value.Problem!);
        public static string? Problem => Resolved.Value.Problem;

        public required SetEnabledFn SetEnabled { get; init; }
        public required IsEnabledFn IsEnabled { get; init; }
        public required SetDtypeFn SetDtype { get; init; }
        public required GetDtypeFn GetDtype { get; init; }
        public required NestingFn IncrementNesting { get; init; }
        public required NestingFn DecrementNesting { get; init; }
        public required VoidFn ClearCache { get; init; }
        public required SetCacheFn SetCacheEnabled { get; init; }
        public required IsCacheFn IsCacheEnabled { get; init; }

        static (Native?, string?) Resolve()
        {
            if (OperatingSystem.IsWindows())
                return (null, "autocast: libtorch's autocast functions are called by their Itanium C++ names, which torch_cpu.dll (MSVC) does not export; mixed precision needs Linux or macOS.");
            if (TorchRuntime.Current is null)
                return (null, "autocast: call TorchRuntime.Initialize() first; autocast binds to the libtorch_cpu it loads.");
            // The library torch already mapped: loading it again by its path returns the same handle (dlopen's reference count),
            // so the functions are those whose thread-local state the operators read. A name alone could find another libtorch.
            var candidates = new List<string>();
            if (!string.IsNullOrEmpty(TorchRuntime.Current.LibTorchPath)) candidates.Add(TorchRuntime.Current.LibTorchPath);
            candidates.Add(OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so");
            var tried = new List<string>();
            foreach (var path in candidates)
            {
                if (!NativeLibrary.TryLoad(path, out var handle))
                {
                    tried.Add($"{path}: could not be loaded");
                    continue;
                }
                var missing = new List<string>();
                T Get<T>(string name) where T : Delegate
                {
                    if (NativeLibrary.TryGetExport(handle, name, out var f)) return Marshal.GetDelegateForFunctionPointer<T>(f);
                    missing.Add(name);
                    return null!;
                }
                var native = new Native
                {
                    SetEnabled = Get<SetEnabledFn>(SetEnabledName), IsEnabled = Get<IsEnabledFn>(IsEnabledName),
                    SetDtype = Get<SetDtypeFn>(SetDtypeName), GetDtype = Get<GetDtypeFn>(GetDtypeName),
                    IncrementNesting = Get<NestingFn>(IncrementName), DecrementNesting = Get<NestingFn>(DecrementName),
                    ClearCache = Get<VoidFn>(ClearCacheName), SetCacheEnabled = Get<SetCacheFn>(SetCacheName), IsCacheEnabled = Get<IsCacheFn>(IsCacheName),
                };
                if (missing.Count == 0) return (native, null);
                tried.Add($"{path}: lacks {string.Join(", ", missing)}");
            }
            return (null, "autocast: libtorch's autocast functions were not found (" + string.Join("; ", tried) +
                $"); this code expects libtorch 2.x's at::autocast API (found libtorch {TorchRuntime.Current.LibTorchVersion}). Use --precision fp32.");
        }
    }
}

/// <summary>libtorch's autocast cannot be reached in this process; the message says why and what to do.</summary>
public sealed class AutocastUnavailableException(string message) : Exception(message);
