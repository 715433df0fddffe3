using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace PneuKnow.Runtime;

/// <summary>What <see cref="TorchRuntime.Initialize"/> found and did.</summary>
/// <param name="TorchSharpVersion">Version of the TorchSharp assembly.</param>
/// <param name="LibTorchVersion">Version of the libtorch package the native library came from.</param>
/// <param name="Device">The chosen device, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="DeviceDescription">One human line about the device.</param>
/// <param name="Threads">Intra-op threads torch uses.</param>
/// <param name="NativeStatus">What was needed to load the native libraries.</param>
/// <param name="LibTorchPath">Absolute path of the <c>libtorch_cpu</c> library actually mapped into the process.</param>
/// <param name="Attempts">Every native path tried, with the outcome.</param>
/// <param name="Cuda">CUDA the loaded libtorch was built for and the runtime mapped, or why there is none.</param>
/// <param name="Gpu">Name, memory and driver of the chosen GPU; null on the CPU.</param>
public sealed record TorchRuntimeReport(
    string TorchSharpVersion,
    string LibTorchVersion,
    string Device,
    string DeviceDescription,
    int Threads,
    string NativeStatus,
    string LibTorchPath,
    IReadOnlyList<string> Attempts,
    string Cuda = "none",
    string? Gpu = null);

/// <summary>
/// The one entry point that makes TorchSharp usable: call <see cref="Initialize"/> before any
/// other torch call, from the CLI, tests and notebooks alike.
/// </summary>
/// <remarks>
/// On current distributions it only picks the device. On Debian 12 / Ubuntu 22.04 it marks
/// TorchSharp's needless <c>GLIBCXX_3.4.32</c> requirement weak (in a build output or the NuGet
/// package folder, with a <c>.orig</c> backup); on machines with a system libtorch it loads the
/// package's own libtorch by absolute path first so the system one cannot be picked up by name;
/// in notebooks that pulled TorchSharp with <c>#r "nuget: ..."</c> it consolidates the package's
/// native files next to TorchSharp.dll, as TorchSharp itself would, but with the fix applied.
/// </remarks>
public static class TorchRuntime
{
    /// <summary>The libstdc++ version that TorchSharp 0.107 asks for but does not need.</summary>
    public const string NeedlessGlibcxx = "GLIBCXX_3.4.32";

    static readonly object Gate = new();
    static NativeLoad? _native;
    static TorchRuntimeReport? _report;

    /// <summary>The report of the last successful <see cref="Initialize"/>, if any.</summary>
    public static TorchRuntimeReport? Current => _report;

    /// <summary>
    /// Where this process computes, in one line: CPU model, libtorch version, intra-op threads, device and the oneDNN
    /// instruction set in use, e.g. <c>AMD EPYC; libtorch 2.10.0 (libtorch-cpu-linux-x64); 2 thread(s); cpu; oneDNN full ISA</c>.
    /// Two runs give bit-identical numbers only where this line is the same (other kernels round differently, which after
    /// a few epochs acts like another seed), so runs and studies record it.
    /// </summary>
    public static string Machine()
    {
        var r = _report;
        var isa = OneDnnIsa.Current switch
        {
            null => "oneDNN ISA not decided",
            { Cap: null or "ALL" } => "oneDNN full ISA",
            { Cap: var cap } => $"oneDNN capped at {cap}",
        };
        return $"{OneDnnSelfTest.CpuIdentity().Model}; libtorch {r?.LibTorchVersion ?? "not loaded"}; "
               + $"{r?.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} thread(s); {r?.Device ?? "cpu"}; {isa}";
    }

    static torch.Device? _device;

    /// <summary>The device chosen by the last <see cref="Initialize"/>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Initialize"/>.</exception>
    // No torch member may be touched before the native libraries are loaded: torch's static
    // constructor runs TorchSharp's own loader, which fails on the systems this class exists for.
    public static torch.Device Device => _device ?? throw new InvalidOperationException("Call TorchRuntime.Initialize() before using torch.");

    /// <summary>
    /// Loads the native libraries (once per process), selects the device and sets the thread count.
    /// </summary>
    /// <param name="device"><c>auto</c> (CUDA when available, else CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="threads">Intra-op threads; null keeps torch's default (the core count).</param>
    /// <exception cref="TorchRuntimeException">The native libraries could not be loaded; the message names every path tried and why.</exception>
    /// <exception cref="ArgumentException">An unknown device spelling, or a CUDA device that is not present.</exception>
    public static TorchRuntimeReport Initialize(string device = "auto", int? threads = null)
    {
        lock (Gate)
        {
            _native ??= LoadNative();
            var (chosen, description) = ChooseDevice(device);
            if (threads is { } n)
            {
                if (n <= 0) throw new ArgumentException($"threads: expected a positive count, found {n}.");
                torch.set_num_threads(n);
            }
            _device = chosen;
            _report = new TorchRuntimeReport(
                TorchSharpVersion: typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                                   ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
                LibTorchVersion: _native.LibTorchVersion,
                Device: chosen.ToString(),
                DeviceDescription: description,
                Threads: torch.get_num_threads(),
                NativeStatus: _native.Status,
                LibTorchPath: MappedLibTorchPath() ?? _native.LibTorchPath,
                Attempts: _native.Attempts,
                Cuda: DescribeCuda(_native.Cuda),
                Gpu: chosen.type == DeviceType.CUDA ? CudaDriver.Describe(chosen.index < 0 ? 0 : chosen.index) ?? "(CUDA driver API not reachable)" : null);
            return _report;
        }
    }

    /// <summary>The self-test child's load: exactly <paramref name="nativeDir"/>, with oneDNN's cap left to the parent.</summary>
    internal static void InitializeForSelfTest(string nativeDir)
    {
        lock (Gate)
        {
            _native ??= LoadNative(nativeDir);
            _device = torch.CPU;
        }
    }

    /// <summary>
    /// Checks the form of a device option before anything loads: auto, cpu, cuda or cuda:N (N ≥ 0). Whether CUDA is there is
    /// decided at <see cref="Initialize"/>.
    /// </summary>
    /// <param name="spec">The value given.</param>
    /// <param name="option">The option's name for the message, e.g. <c>--device</c>.</param>
    /// <returns>Null when well formed; otherwise the message naming the option, the accepted forms and the value found.</returns>
    public static string? CheckDeviceSpec(string spec, string option)
    {
        var s = spec.Trim().ToLowerInvariant();
        bool ok = s is "auto" or "cpu" or "cuda"
            || (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _));
        return ok ? null : $"{option}: expected auto, cpu, cuda or cuda:N, found '{spec}'.";
    }

    static (torch.Device, string) ChooseDevice(string spec)
    {
        var s = spec.Trim().ToLowerInvariant();
        if (s == "auto")
            s = torch.cuda.is_available() ? "cuda:0" : "cpu";
        if (s == "cpu")
            return (torch.CPU, $"cpu ({Environment.ProcessorCount} logical cores, {RuntimeInformation.ProcessArchitecture})");
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (s.Length > 4 && !int.TryParse(s.AsSpan(5), out index))
                throw new ArgumentException($"device: expected auto, cpu, cuda or cuda:N, found '{spec}'.");
            if (!torch.cuda.is_available())
                throw new ArgumentException($"device: '{spec}' requested but CUDA is not available (TorchSharp backend: {BackendName}). Build with -p:TorchBackend=cuda on a GPU machine, or use --device cpu.");
            int count = torch.cuda.device_count();
            if (index < 0 || index >= count)
                throw new ArgumentException($"device: 'cuda:{index}' requested but this machine has {count} CUDA device(s) (valid: 0..{count - 1}).");
            return (torch.device(DeviceType.CUDA, index), $"cuda:{index} (of {count} CUDA devices)");
        }
        throw new ArgumentException($"device: expected auto, cpu, cuda or cuda:N, found '{spec}'.");
    }

    static string BackendName => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp") ? "TorchSharp" : "none";

    sealed record NativeLoad(string Status, string LibTorchPath, string LibTorchVersion, IReadOnlyList<string> Attempts, string? Cuda = null);

    static string DescribeCuda(string? builtFor)
    {
        var runtime = CudaDriver.MappedCudaRuntime();
        if (builtFor is null && runtime is null) return "none (CPU libtorch)";
        return $"built for CUDA {builtFor ?? "(not recorded)"}; runtime {(runtime is null ? "not mapped yet" : runtime)}";
    }

    static NativeLoad LoadNative(string? onlyDir = null)
    {
        var attempts = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            // Other systems: TorchSharp's own loader knows them; nothing of ours is needed.
            torch.InitializeDeviceType(DeviceType.CPU);
            return new NativeLoad("TorchSharp's own loader (not Linux)", "", "unknown", attempts);
        }

        string? isaNote = null;
        bool isaDecided = onlyDir is not null; // the self-test child runs at the cap its parent set
        if (onlyDir is null && SiteLibTorch.RequestedDirectory() is { } requested)
        {
            // Must precede the first libtorch load: oneDNN reads its ISA cap from the C environment once.
            isaNote = OneDnnIsa.Apply(requested, LibTorchVersionOf(requested));
            if (isaNote is not null) attempts.Add(isaNote);
            return LoadSite(requested, attempts, isaNote);
        }
        var torchSharpDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        foreach (var (dir, versionHint) in onlyDir is null ? CandidateNativeDirs(torchSharpDir, attempts) : [(onlyDir, null)])
        {
            var libTorch = Path.Combine(dir, "libtorch.so");
            var bridge = Path.Combine(dir, "libLibTorchSharp.so");
            if (!File.Exists(bridge) || !File.Exists(libTorch))
            {
                attempts.Add($"{dir}: skipped, needs both libtorch.so and libLibTorchSharp.so");
                continue;
            }

            // Must precede the first libtorch load: oneDNN reads its ISA cap from the C environment once.
            if (!isaDecided)
            {
                isaDecided = true;
                isaNote = OneDnnIsa.Apply(dir, versionHint ?? LibTorchVersionOf(dir));
                if (isaNote is not null) attempts.Add(isaNote);
            }

            // Absolute path first: a system libtorch (e.g. Debian's libtorch-dev) must not win by bare name.
            if (!TryLoad(libTorch, attempts, out _)) continue;

            if (!TryLoadBridge(bridge, attempts, out var handle, out var status)) continue;

            RouteBridge(handle);
            if (OneDnnIsa.Applied) QuietCppWarnings(dir, attempts);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                attempts.Add($"TorchSharp initialisation after loading {dir}: {e.Message}");
                throw new TorchRuntimeException(attempts);
            }
            return new NativeLoad(isaNote is null ? status : $"{status}; {isaNote}", Path.Combine(dir, "libtorch_cpu.so"), versionHint ?? LibTorchVersionOf(dir), attempts);
        }
        // A `pneuknow bundle --libtorch none` carries no libtorch on purpose: say how to give it one.
        attempts.Add($"no libtorch with its shim found beside the application: set {SiteLibTorch.EnvironmentVariable}=<dir> or pass --libtorch <dir> (README, GPU clusters)");
        throw new TorchRuntimeException(attempts);
    }

    /// <summary>Loads TorchSharp's shim, marking its needless libstdc++ requirement weak when that is all that stops it.</summary>
    static bool TryLoadBridge(string bridge, List<string> attempts, out IntPtr handle, out string status)
    {
        status = "loaded as shipped";
        if (!TryLoad(bridge, attempts, out handle))
        {
            var last = attempts[^1];
            if (!last.Contains(NeedlessGlibcxx, StringComparison.Ordinal)) return false;
            try
            {
                ElfSymbolVersions.MarkWeak(bridge, NeedlessGlibcxx);
                attempts.Add($"{bridge}: marked {NeedlessGlibcxx} weak (backup {bridge}.orig)");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                attempts.Add($"{bridge}: could not mark {NeedlessGlibcxx} weak: {e.Message}");
                return false;
            }
            if (!TryLoad(bridge, attempts, out handle)) return false;
            status = $"libstdc++ lacks {NeedlessGlibcxx}; requirement marked weak in {bridge}";
        }
        else if (ElfSymbolVersions.ReadRequirements(bridge).Any(r => r.Version == NeedlessGlibcxx && r.IsWeak))
        {
            status = $"loaded; {NeedlessGlibcxx} requirement already weak in {bridge}";
        }
        return true;
    }

    // PNEUKNOW_LIBTORCH: exactly the requested libtorch and shim, never a fallback to the package's, so that a
    // GPU run cannot silently continue on the CPU package.
    static NativeLoad LoadSite(string requested, List<string> attempts, string? isaNote)
    {
        var packageVersion = LibTorchVersionOf("");
        var site = SiteLibTorch.Locate(requested, packageVersion == "unknown" ? null : SiteLibTorch.Release(packageVersion));
        site.EnsureMatch();
        attempts.Add($"{SiteLibTorch.EnvironmentVariable}={requested}: libtorch {site.LibTorchVersion ?? "(version not recorded)"} in {site.LibDir}; " +
                     $"shim {site.ShimPath} built for {site.ShimLibTorchVersion ?? "(not recorded)"}");
        if (!TryLoad(Path.Combine(site.LibDir, "libtorch.so"), attempts, out _)) throw new TorchRuntimeException(attempts);
        // A CUDA build's libtorch_cuda.so is not always a dependency of libtorch.so; TorchSharp asks for it by name later.
        var cudaLib = Path.Combine(site.LibDir, "libtorch_cuda.so");
        if (File.Exists(cudaLib) && !TryLoad(cudaLib, attempts, out _)) throw new TorchRuntimeException(attempts);
        if (!TryLoadBridge(site.ShimPath, attempts, out var handle, out var bridgeStatus))
        {
            attempts.Add($"{site.ShimPath} (built for libtorch {site.ShimLibTorchVersion ?? "(not recorded)"}) did not load with libtorch " +
                         $"{site.LibTorchVersion ?? "(version not recorded)"} from {site.LibDir}: a shim must be built against the libtorch it runs on " +
                         "(tools/native/build-libtorchsharp.sh)");
            throw new TorchRuntimeException(attempts);
        }
        RouteBridge(handle);
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception e)
        {
            attempts.Add($"TorchSharp initialisation with {site.ShimPath} on libtorch {site.LibTorchVersion}: {e.Message}");
            throw new TorchRuntimeException(attempts);
        }
        var status = $"{SiteLibTorch.EnvironmentVariable}={requested}; shim {bridgeStatus}";
        return new NativeLoad(isaNote is null ? status : $"{status}; {isaNote}", Path.Combine(site.LibDir, "libtorch_cpu.so"),
            $"{site.LibTorchVersion ?? "unknown"} ({site.VersionSource})", attempts, site.Cuda);
    }

    static IEnumerable<(string Dir, string? LibTorchVersion)> CandidateNativeDirs(string torchSharpDir, List<string> attempts)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"),
                     Path.Combine(torchSharpDir, "runtimes", "linux-x64", "native"),
                     AppContext.BaseDirectory,
                     torchSharpDir,
                 })
        {
            var full = Path.GetFullPath(d);
            if (Directory.Exists(full) && tried.Add(full)) yield return (full, null);
        }

        // #r "nuget: TorchSharp-cpu": TorchSharp.dll sits in <packages>/torchsharp/<v>/lib/<tfm>/ and the native
        // files are spread over two packages. Consolidate them in <that dir>/cpu as TorchSharp itself does; a
        // consolidation left by TorchSharp or an earlier run is completed (missing files only) and reused.
        // Only directories that exist count as tried: the consolidated one usually does not exist yet at this point.
        var consolidated = ConsolidateFromPackages(torchSharpDir, attempts);
        if (consolidated is { } c && tried.Add(c.Dir)) yield return c;
    }

    static (string Dir, string? LibTorchVersion)? ConsolidateFromPackages(string torchSharpDir, List<string> attempts)
    {
        var tfmDir = new DirectoryInfo(torchSharpDir);
        var versionDir = tfmDir.Parent?.Parent;
        var packageDir = versionDir?.Parent;
        var packagesRoot = packageDir?.Parent;
        if (versionDir is null || packagesRoot is null || !string.Equals(packageDir!.Name, "torchsharp", StringComparison.OrdinalIgnoreCase))
        {
            attempts.Add($"{torchSharpDir}: not inside a NuGet package folder, no consolidation attempted");
            return null;
        }
        var bridgeSource = Path.Combine(versionDir.FullName, "runtimes", "linux-x64", "native");
        var libTorchPackage = Path.Combine(packagesRoot.FullName, "libtorch-cpu-linux-x64");
        var libTorchSource = Directory.Exists(libTorchPackage)
            ? Directory.GetDirectories(libTorchPackage)
                .Select(v => Path.Combine(v, "runtimes", "linux-x64", "native"))
                .Where(p => File.Exists(Path.Combine(p, "libtorch_cpu.so")))
                .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (libTorchSource is null || !File.Exists(Path.Combine(bridgeSource, "libLibTorchSharp.so")))
        {
            attempts.Add($"{packagesRoot.FullName}: no libtorch-cpu-linux-x64 package with libtorch_cpu.so, or no libLibTorchSharp.so in {bridgeSource}");
            return null;
        }
        var target = Path.Combine(torchSharpDir, "cpu");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(libTorchSource).Concat(Directory.GetFiles(bridgeSource)))
        {
            var dest = Path.Combine(target, Path.GetFileName(file));
            if (!File.Exists(dest)) AtomicFile.Copy(file, dest);
        }
        attempts.Add($"{target}: consolidated native files from {libTorchSource} and {bridgeSource}");
        // libtorch-cpu-linux-x64/<version>/runtimes/linux-x64/native: the consolidated folder itself has no version in its path.
        var libTorchVersion = new DirectoryInfo(libTorchSource).Parent?.Parent?.Parent?.Name;
        return (Path.GetFullPath(target), libTorchVersion is null ? null : $"{libTorchVersion} (libtorch-cpu-linux-x64)");
    }

    static bool TryLoad(string path, List<string> attempts, out IntPtr handle)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            attempts.Add($"{path}: loaded");
            return true;
        }
        catch (DllNotFoundException e)
        {
            attempts.Add($"{path}: {e.Message.ReplaceLineEndings(" ")}");
            handle = IntPtr.Zero;
            return false;
        }
    }

    // libtorch's C++ LOG(WARNING) lines (not TORCH_WARN) are gated by this exported int: 1 = warning, 2 = error.
    static void QuietCppWarnings(string dir, List<string> attempts)
    {
        var c10 = Path.Combine(dir, "libc10.so");
        if (NativeLibrary.TryLoad(c10, out var lib) && NativeLibrary.TryGetExport(lib, "FLAGS_caffe2_log_level", out var flag))
        {
            Marshal.WriteInt32(flag, Math.Max(Marshal.ReadInt32(flag), 2));
            attempts.Add($"{c10}: C++ log threshold raised to errors (NNPACK's per-convolution 'unsupported hardware' warning)");
        }
    }

    static void RouteBridge(IntPtr handle)
    {
        // TorchSharp imports "LibTorchSharp" by bare name; the soname of the library we loaded already
        // matches it, and the resolver makes that explicit where the assembly allows one.
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly,
                (name, _, _) => name == "LibTorchSharp" ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already set (by TorchSharp or an earlier host); the soname match suffices.
        }
    }

    static string LibTorchVersionOf(string dir)
    {
        // Package folders are .../libtorch-cpu-linux-x64/<version>/runtimes/linux-x64/native.
        var parts = dir.Split(Path.DirectorySeparatorChar);
        int i = Array.FindIndex(parts, p => p.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase));
        if (i >= 0 && i + 1 < parts.Length) return parts[i + 1];
        // Build outputs: the application's deps.json names the libtorch package it was built against.
        foreach (var deps in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.deps.json"))
        {
            var m = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(deps), "\"(libtorch-[a-z0-9.-]+-linux-x64)/([0-9][^\"]*)\"");
            if (m.Success) return $"{m.Groups[2].Value} ({m.Groups[1].Value})";
        }
        return "unknown";
    }

    static string? MappedLibTorchPath()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var p = line[slash..];
            if (Path.GetFileName(p).StartsWith("libtorch_cpu.so", StringComparison.Ordinal)) return p;
        }
        return null;
    }
}

/// <summary>TorchSharp's native libraries could not be loaded.</summary>
public sealed class TorchRuntimeException(IReadOnlyList<string> attempts) : Exception(
    "TorchSharp's native libraries could not be loaded. Paths tried:\n  " +
    (attempts.Count == 0 ? "(none found)" : string.Join("\n  ", attempts)) +
    "\nSee README.md, section Troubleshooting.")
{
    /// <summary>Every path tried and the outcome.</summary>
    public IReadOnlyList<string> Attempts { get; } = attempts;
}
