using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Runtime;

/// <summary>One convolution checked against float64 by the self-test.</summary>
/// <param name="Name">The shape, e.g. <c>3x3 c12 b4 s2</c>.</param>
/// <param name="Error">The largest relative error of output, input gradient and weight gradient (NaN counts as infinite).</param>
/// <param name="Passed">Whether it is within <see cref="OneDnnSelfTest.Tolerance"/>.</param>
public sealed record ConvolutionCheck(string Name, double Error, bool Passed);

/// <summary>What one self-test at one oneDNN level found.</summary>
/// <param name="Level">The level tested.</param>
/// <param name="Ran">False when the test could not run at all (no <c>dotnet</c>, libtorch did not load): nothing is known then.</param>
/// <param name="Agrees">Whether every convolution matched float64 (false when the child crashed, e.g. SIGFPE).</param>
/// <param name="Summary">One line: the failing checks, the crash, or why it did not run.</param>
/// <param name="OneDnnVersion">oneDNN's version as libtorch reports it, when the child got that far.</param>
public sealed record OneDnnProbe(OneDnnIsaRequest Level, bool Ran, bool Agrees, string Summary, string? OneDnnVersion = null);

/// <summary>
/// Decides oneDNN's instruction-set cap by checking convolutions against float64, once per machine.
/// </summary>
/// <remarks>
/// oneDNN fixes its instruction set the first time it dispatches, and a process cannot lower it afterwards, so
/// each level is tested in a short child process (this assembly's entry point, run with the <c>dotnet</c> that runs
/// this process): at the full ISA first, then capped at AVX2, then SSE4.1, stopping at the first that agrees.
/// The verdict is cached under <c>$XDG_CACHE_HOME/pneuknow</c> (else <c>~/.cache/pneuknow</c>), keyed by the CPU
/// model, its flags, the libtorch version and the identity (size, modification time) of the <c>libtorch_cpu.so</c>
/// that statically links oneDNN, so only a new machine or a new libtorch pays for the test again.
/// </remarks>
public static class OneDnnSelfTest
{
    /// <summary>Largest relative error (against float64) a float32 convolution may have; the wrong kernels were 20–40 % off.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The levels tried, in order.</summary>
    public static readonly IReadOnlyList<OneDnnIsaRequest> Ladder = [OneDnnIsaRequest.Full, OneDnnIsaRequest.Avx2, OneDnnIsaRequest.Sse41];

    /// <summary>The argument that makes this assembly's entry point run the checks.</summary>
    public const string ChildArgument = "--onednn-self-test";

    /// <summary>Exit code of a child that could not set up (not a verdict about the kernels).</summary>
    const int SetupFailure = 3;

    /// <summary>
    /// Walks <see cref="Ladder"/> with <paramref name="probe"/> and returns the first level that agrees with float64.
    /// A probe that did not run stops the walk with no cap (nothing is known); when no level agrees the lowest is kept.
    /// </summary>
    public static OneDnnIsaVerdict Decide(Func<OneDnnIsaRequest, OneDnnProbe> probe)
    {
        var trials = new List<string>();
        string? version = null;
        foreach (var level in Ladder)
        {
            var p = probe(level);
            version ??= p.OneDnnVersion;
            trials.Add($"{OneDnnIsa.OneDnnName(level)}: {p.Summary}");
            if (!p.Ran)
                // Nothing known at the full ISA: leave it. Known bad above this level but untested here: the lowest level.
                return new OneDnnIsaVerdict(level == Ladder[0] ? null : OneDnnIsa.OneDnnName(Ladder[^1]), "not tested", Join(trials, version));
            if (p.Agrees)
                return new OneDnnIsaVerdict(OneDnnIsa.OneDnnName(level), "self-test", Join(trials, version));
        }
        return new OneDnnIsaVerdict(OneDnnIsa.OneDnnName(Ladder[^1]), "self-test", Join(trials, version) + "; no level agreed, kept the lowest");
    }

    static string Join(List<string> trials, string? version) =>
        string.Join("; ", trials) + (version is null ? "" : $" (oneDNN {version})");

    /// <summary>The cache folder: <c>$XDG_CACHE_HOME/pneuknow</c>, else <c>~/.cache/pneuknow</c>.</summary>
    public static string CacheFolder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "pneuknow");
    }

    /// <summary>The cache file's name for a machine and libtorch: a hash of everything the verdict depends on.</summary>
    public static string CacheKey(string cpuModel, string cpuFlags, string libTorchVersion, string libTorchIdentity)
    {
        var material = string.Join("\n", cpuModel, cpuFlags, libTorchVersion, libTorchIdentity);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)))[..16];
    }

    sealed record CacheEntry(string? Cap, string Detail, string CpuModel, string LibTorchVersion, string LibTorch, string Measured);

    /// <summary>
    /// The cached verdict for this key in <paramref name="cacheFolder"/>, or the result of <see cref="Decide"/> with
    /// <paramref name="probe"/>, which is then cached unless a probe did not run.
    /// </summary>
    public static OneDnnIsaVerdict Cached(string cacheFolder, string key, Func<OneDnnIsaRequest, OneDnnProbe> probe,
        string cpuModel = "", string libTorchVersion = "", string libTorch = "")
    {
        var file = Path.Combine(cacheFolder, $"onednn-isa-{key}.json");
        try
        {
            if (File.Exists(file) && JsonSerializer.Deserialize<CacheEntry>(File.ReadAllText(file)) is { } e)
                return new OneDnnIsaVerdict(e.Cap, "cache", $"{e.Detail}; tested {e.Measured}, cached in {file}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // An unreadable cache only costs a fresh test.
        }
        var watch = Stopwatch.StartNew();
        var verdict = Decide(probe);
        var measured = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {watch.Elapsed.TotalSeconds:F2} s";
        var decided = verdict.Detail;
        verdict = verdict with { Detail = $"{decided}; took {watch.Elapsed.TotalSeconds:F2} s" };
        if (verdict.Source == "self-test")
        {
            try
            {
                AtomicFile.WriteAllText(file, JsonSerializer.Serialize(new CacheEntry(verdict.Cap, decided, cpuModel, libTorchVersion, libTorch, measured)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                verdict = verdict with { Detail = $"{verdict.Detail}; not cached ({ex.Message})" };
            }
        }
        return verdict;
    }

    /// <summary>The verdict for the libtorch in <paramref name="nativeDir"/> on this machine: cached, or tested now in child processes.</summary>
    internal static OneDnnIsaVerdict Verdict(string nativeDir, string libTorchVersion)
    {
        var (model, flags) = CpuIdentity();
        var lib = new FileInfo(Path.Combine(nativeDir, "libtorch_cpu.so"));
        // Size and time, not the path: the CLI, the tests and the notebooks each have a copy of the same file.
        var identity = lib.Exists ? $"libtorch_cpu.so {lib.Length} bytes, {lib.LastWriteTimeUtc:O}" : nativeDir;
        return Cached(CacheFolder(), CacheKey(model, flags, libTorchVersion, identity), level => RunChild(nativeDir, level),
            model, libTorchVersion, identity);
    }

    /// <summary>The CPU's model name (from /proc/cpuinfo) and flags; the architecture name where /proc is unreadable.</summary>
    internal static (string Model, string Flags) CpuIdentity()
    {
        string model = RuntimeInformation.ProcessArchitecture.ToString(), flags = "";
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var value = line[(line.IndexOf(':') + 1)..].Trim();
                if (line.StartsWith("model name", StringComparison.Ordinal)) model = value;
                else if (line.StartsWith("flags", StringComparison.Ordinal)) flags = value;
                if (flags.Length > 0 && model != RuntimeInformation.ProcessArchitecture.ToString()) break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (model, flags);
    }

    /// <summary>Runs the checks in a child process with oneDNN capped at <paramref name="level"/>.</summary>
    /// <param name="nativeDir">The libtorch folder the child loads (the one this process is about to load).</param>
    /// <param name="level">The cap.</param>
    /// <param name="timeout">How long the child may take before it counts as not run; default 60 s.</param>
    public static OneDnnProbe RunChild(string nativeDir, OneDnnIsaRequest level, TimeSpan? timeout = null)
    {
        var dotnet = DotnetHost();
        if (dotnet is null) return new OneDnnProbe(level, false, false, "not run: no dotnet host found beside the running runtime");
        var self = typeof(OneDnnSelfTest).Assembly.Location;
        string runtimeConfig;
        try
        {
            runtimeConfig = RuntimeConfig();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new OneDnnProbe(level, false, false, $"not run: could not write a runtimeconfig ({e.Message})");
        }
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", "--runtimeconfig", runtimeConfig, self, ChildArgument, nativeDir }) start.ArgumentList.Add(a);
        start.Environment[OneDnnIsa.Variable] = OneDnnIsa.OneDnnName(level);
        // One thread: the instruction set picks the kernels, and at the default thread count OpenMP's spin-waiting
        // alone cost 4 s of CPU per child on a loaded 2-core machine (0.7 s at one thread).
        start.Environment["OMP_NUM_THREADS"] = "1";
        var watch = Stopwatch.StartNew();
        Process? child;
        try
        {
            child = Process.Start(start);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new OneDnnProbe(level, false, false, $"not run: {dotnet}: {e.Message}");
        }
        if (child is null) return new OneDnnProbe(level, false, false, $"not run: {dotnet} did not start");
        using (child)
        {
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                child.Kill(entireProcessTree: true);
                return new OneDnnProbe(level, false, false, $"not run: the child took over {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds:F0} s");
            }
            var wall = watch.Elapsed.TotalSeconds;
            var report = stdout.Result.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (child.ExitCode == 0 && report is not null)
            {
                var r = JsonSerializer.Deserialize<ChildReport>(report)!;
                var failing = r.Checks.Where(c => !c.Passed).ToList();
                var summary = failing.Count == 0
                    ? $"{r.Checks.Count} checks agree (max error {r.Checks.Max(c => c.Error):G2}; child {wall:F2} s wall, {r.CpuSeconds:F2} s CPU)"
                    : $"{failing.Count} of {r.Checks.Count} checks off: {string.Join(", ", failing.Select(c => $"{c.Name} {c.Error:G2}"))}";
                return new OneDnnProbe(level, true, failing.Count == 0, summary, r.OneDnn);
            }
            var tail = stderr.Result.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
            if (child.ExitCode == SetupFailure)
                return new OneDnnProbe(level, false, false, $"not run: {tail}");
            // A crash inside a kernel (SIGFPE, SIGSEGV; .NET reports 128 + signal) is a disagreement, not a failure to test.
            return new OneDnnProbe(level, true, false, $"the child crashed (exit code {child.ExitCode}{(tail.Length > 0 ? $": {tail}" : "")})");
        }
    }

    // The child measures its own CPU time: once it has exited, its parent can no longer read it on Linux.
    sealed record ChildReport(List<ConvolutionCheck> Checks, string? OneDnn, double CpuSeconds);

    static string? DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        // <root>/shared/Microsoft.NETCore.App/<version>/ is the running runtime; the muxer is <root>/dotnet.
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var muxer = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        if (File.Exists(muxer)) return muxer;
        return Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : null;
    }

    static string RuntimeConfig()
    {
        // The child runs on the framework that runs this process; a runtimeconfig of our own works wherever this
        // assembly was copied (a CLI, a test host, a notebook kernel), whatever runtimeconfig lies beside it.
        var v = Environment.Version;
        var path = Path.Combine(CacheFolder(), $"selftest-{v.Major}.{v.Minor}.{v.Build}.runtimeconfig.json");
        if (!File.Exists(path))
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
            {
                runtimeOptions = new { tfm = $"net{v.Major}.{v.Minor}", framework = new { name = "Microsoft.NETCore.App", version = $"{v.Major}.{v.Minor}.{v.Build}" } },
            }));
        return path;
    }

    /// <summary>The child's side: loads libtorch from <c>args[1]</c>, runs the checks, prints one JSON line.</summary>
    internal static int ChildMain(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine($"usage: {ChildArgument} <libtorch folder>");
            return SetupFailure;
        }
        try
        {
            TorchRuntime.InitializeForSelfTest(args[1]);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"libtorch did not load from {args[1]}: {e.Message.ReplaceLineEndings(" ")}");
            return SetupFailure;
        }
        var checks = Checks();
        Console.Out.WriteLine(JsonSerializer.Serialize(new ChildReport(checks, OneDnnVersion(args[1]), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds)));
        return 0;
    }

    /// <summary>
    /// The checks: float32 convolutions (output, input and weight gradients) against float64, which does not go
    /// through oneDNN, on the shapes that were wrong before (3×3 with 12 and 20 channels at stride 1 and 2, batch ≥ 2,
    /// and the 1×1 stride-2 downsample), and 50 backward passes of a 3×3 convolution that must all be finite.
    /// </summary>
    public static List<ConvolutionCheck> Checks()
    {
        var checks = new List<ConvolutionCheck>();
        manual_seed(20231);
        foreach (var (cin, cout, batch, kernel, stride) in new[] { (12, 12, 4, 3, 1), (12, 12, 4, 3, 2), (20, 20, 2, 3, 1), (20, 20, 4, 3, 2), (32, 64, 2, 1, 2) })
        {
            using var scope = NewDisposeScope();
            var conv = nn.Conv2d(cin, cout, kernel, stride: stride, padding: kernel / 2);
            var w64 = conv.weight!.detach().to(float64).requires_grad_(true);
            var b64 = conv.bias!.detach().to(float64).requires_grad_(true);
            var x = randn(batch, cin, 20, 20).requires_grad_(true);
            var x64 = x.detach().to(float64).requires_grad_(true);
            var y = conv.forward(x);
            var y64 = nn.functional.conv2d(x64, w64, b64, strides: [stride, stride], padding: [kernel / 2, kernel / 2]);
            y.pow(2).mean().backward();
            y64.pow(2).mean().backward();
            var error = new[] { Relative(y, y64), Relative(x.grad!, x64.grad!), Relative(conv.weight!.grad!, w64.grad!) }.Max();
            checks.Add(new ConvolutionCheck($"{kernel}x{kernel} c{cin}->{cout} b{batch} s{stride}", error, error < Tolerance));
            conv.Dispose();
        }
        using (var conv = nn.Conv2d(8, 8, 3, padding: 1))
        {
            int nonFinite = 0;
            for (int i = 0; i < 50; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(4, 8, 32, 32).requires_grad_(true);
                conv.forward(x).pow(2).mean().backward();
                if (!x.grad!.isfinite().all().item<bool>()) nonFinite++;
                conv.zero_grad();
            }
            checks.Add(new ConvolutionCheck("3x3 c8 b4 backward x50 finite", nonFinite / 50.0, nonFinite == 0));
        }
        return checks;
    }

    static double Relative(Tensor a, Tensor b)
    {
        var e = ((a.to(float64) - b).abs().max() / b.abs().max()).item<double>();
        return double.IsFinite(e) ? e : double.PositiveInfinity;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate IntPtr ReturnsString(IntPtr result);

    /// <summary>oneDNN's version from libtorch's <c>at::get_mkldnn_version()</c> (a C++ <c>std::string</c>), or null.</summary>
    static string? OneDnnVersion(string nativeDir)
    {
        try
        {
            var lib = NativeLibrary.Load(Path.Combine(nativeDir, "libtorch_cpu.so"));
            if (!NativeLibrary.TryGetExport(lib, "_ZN2at18get_mkldnn_versionB5cxx11Ev", out var fn)) return null;
            // The x86-64 ABI returns a std::string through a hidden pointer to 32 bytes: data pointer, length, buffer.
            var result = Marshal.AllocHGlobal(64);
            Marshal.GetDelegateForFunctionPointer<ReturnsString>(fn)(result);
            var text = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(result), (int)Marshal.ReadInt64(result, 8));
            // The std::string is leaked on purpose: freeing it would need libstdc++'s operator delete, and the child exits now.
            return text.Trim();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }
}
