using System.Text.RegularExpressions;

namespace PneuKnow.Runtime;

/// <summary>
/// A libtorch chosen by the user instead of the NuGet package's (<c>PNEUKNOW_LIBTORCH=&lt;dir&gt;</c> or
/// <c>--libtorch &lt;dir&gt;</c>): typically the site's PyTorch on a GPU node, with a TorchSharp shim
/// (<c>libLibTorchSharp.so</c>) built against it by <c>tools/native/build-libtorchsharp.sh</c>.
/// </summary>
/// <remarks>
/// The directory is either a libtorch that has the shim beside <c>libtorch.so</c> (in it or in its <c>lib/</c>),
/// or the output folder of the build script, which holds the shim and a <see cref="BuildRecordName"/> file
/// naming the libtorch it was built against. The shim is not put beside the site's libraries by symlinks because
/// libtorch finds its CUDA libraries relative to its own location (<c>$ORIGIN</c>), which a symlink would move.
/// </remarks>
/// <param name="Requested">The directory as given.</param>
/// <param name="LibDir">Directory holding <c>libtorch.so</c>.</param>
/// <param name="ShimPath">The <c>libLibTorchSharp.so</c> to load.</param>
/// <param name="LibTorchVersion">Version of that libtorch (e.g. <c>2.11.0+cu130</c>), null if it records none.</param>
/// <param name="ShimLibTorchVersion">libtorch version the shim was built against, null if unknown.</param>
/// <param name="Cuda">CUDA version the libtorch was built for, null for a CPU build or if it records none.</param>
/// <param name="VersionSource">Where <paramref name="LibTorchVersion"/> was read.</param>
public sealed record SiteLibTorch(
    string Requested,
    string LibDir,
    string ShimPath,
    string? LibTorchVersion,
    string? ShimLibTorchVersion,
    string? Cuda,
    string VersionSource)
{
    /// <summary>Environment variable that selects a libtorch directory; <c>--libtorch</c> sets it for the process and its workers.</summary>
    public const string EnvironmentVariable = "PNEUKNOW_LIBTORCH";

    /// <summary>File written by <c>build-libtorchsharp.sh</c> beside the shim: <c>key=value</c> lines.</summary>
    public const string BuildRecordName = "libLibTorchSharp.build";

    /// <summary>The directory requested through <see cref="EnvironmentVariable"/>, or null when unset or empty.</summary>
    public static string? RequestedDirectory()
    {
        var v = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(v) ? null : v.Trim();
    }

    /// <summary>Finds libtorch and the shim under <paramref name="dir"/> and reads both versions.</summary>
    /// <param name="dir">The requested directory.</param>
    /// <param name="packageShimLibTorchVersion">libtorch version of the NuGet package the managed TorchSharp was built with,
    /// assumed for a shim that carries no build record (the package's own shim).</param>
    /// <exception cref="TorchRuntimeException">Nothing loadable there; the message says what was expected and what was found.</exception>
    public static SiteLibTorch Locate(string dir, string? packageShimLibTorchVersion)
    {
        string where = $"{EnvironmentVariable}={dir}";
        if (!Directory.Exists(dir))
            throw Fail($"{where}: expected a directory holding libtorch.so and libLibTorchSharp.so (or the output of tools/native/build-libtorchsharp.sh), found no such directory");
        var full = Path.GetFullPath(dir);

        // The build script's output: the shim plus a record of the libtorch it was compiled against.
        var record = Path.Combine(full, BuildRecordName);
        if (File.Exists(record))
        {
            var keys = ReadRecord(record);
            if (!keys.TryGetValue("torch_lib", out var lib) || !File.Exists(Path.Combine(lib, "libtorch.so")))
                throw Fail($"{record}: expected torch_lib=<directory holding libtorch.so>, found '{keys.GetValueOrDefault("torch_lib") ?? "(no torch_lib line)"}'");
            var shim = Path.Combine(full, "libLibTorchSharp.so");
            if (!File.Exists(shim))
                throw Fail($"{where}: {record} is there but libLibTorchSharp.so is missing beside it");
            var (version, cuda, source) = ReadLibTorchVersion(lib);
            return new SiteLibTorch(dir, lib, shim, version, keys.GetValueOrDefault("torch_version"), cuda, source);
        }

        foreach (var candidate in new[] { full, Path.Combine(full, "lib") })
        {
            if (!File.Exists(Path.Combine(candidate, "libtorch.so"))) continue;
            var shim = Path.Combine(candidate, "libLibTorchSharp.so");
            if (!File.Exists(shim))
                throw Fail($"{where}: found libtorch.so in {candidate} but no libLibTorchSharp.so beside it; build one with " +
                           $"tools/native/build-libtorchsharp.sh --torch {dir} --source <TorchSharp source> --out <dir> and set {EnvironmentVariable} to that <dir>");
            var (version, cuda, source) = ReadLibTorchVersion(candidate);
            return new SiteLibTorch(dir, candidate, shim, version, packageShimLibTorchVersion, cuda, source);
        }
        throw Fail($"{where}: expected libtorch.so in {full} or {Path.Combine(full, "lib")}, or a {BuildRecordName} from tools/native/build-libtorchsharp.sh, found none of them");
    }

    /// <summary>
    /// Throws when the shim was built for another libtorch release than the one found: a C++ ABI between releases
    /// is not stable, so the mismatch would surface later as a missing symbol or a crash.
    /// </summary>
    /// <exception cref="TorchRuntimeException">The versions differ.</exception>
    public void EnsureMatch()
    {
        if (LibTorchVersion is null || ShimLibTorchVersion is null) return;
        if (Release(LibTorchVersion) == Release(ShimLibTorchVersion)) return;
        throw Fail(MismatchMessage());
    }

    /// <summary>One line naming both versions and how to make them agree.</summary>
    public string MismatchMessage() =>
        $"libLibTorchSharp.so at {ShimPath} was built for libtorch {ShimLibTorchVersion ?? "(unknown)"}, but {EnvironmentVariable}={Requested} " +
        $"holds libtorch {LibTorchVersion ?? "(unknown)"} ({VersionSource}); build a matching shim with tools/native/build-libtorchsharp.sh --torch <that torch> " +
        $"--source <TorchSharp source> --out <dir> and set {EnvironmentVariable}=<dir>";

    /// <summary>The release part of a torch version: <c>2.11.0+cu130</c> and <c>2.11.0</c> are the same release.</summary>
    public static string Release(string version)
    {
        var m = Regex.Match(version, @"^\s*(\d+\.\d+\.\d+)");
        return m.Success ? m.Groups[1].Value : version.Trim();
    }

    static (string? Version, string? Cuda, string Source) ReadLibTorchVersion(string libDir)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(libDir).TrimEnd(Path.DirectorySeparatorChar)) ?? libDir;
        // A pip/conda torch package: torch/lib next to torch/version.py (__version__ = '2.11.0+cu130', cuda = '13.0').
        var versionPy = Path.Combine(root, "version.py");
        if (File.Exists(versionPy))
        {
            var text = File.ReadAllText(versionPy);
            var v = Regex.Match(text, @"(?m)^__version__\s*=\s*['""]([^'""]+)['""]");
            var c = Regex.Match(text, @"(?m)^cuda\s*(?::\s*\w+(?:\[\w+\])?)?\s*=\s*['""]([^'""]+)['""]");
            return (v.Success ? v.Groups[1].Value : null, c.Success ? c.Groups[1].Value : null, versionPy);
        }
        // The libtorch zip from pytorch.org: libtorch/build-version ("2.11.0+cu130").
        var buildVersion = Path.Combine(root, "build-version");
        if (File.Exists(buildVersion))
        {
            var v = File.ReadAllText(buildVersion).Trim();
            var cu = Regex.Match(v, @"\+cu(\d+)(\d)$");
            return (v, cu.Success ? $"{cu.Groups[1].Value}.{cu.Groups[2].Value}" : null, buildVersion);
        }
        // A NuGet libtorch package: .../libtorch-<flavour>-linux-x64/<version>/runtimes/linux-x64/native.
        var parts = Path.GetFullPath(libDir).Split(Path.DirectorySeparatorChar);
        int i = Array.FindIndex(parts, p => p.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase));
        if (i >= 0 && i + 1 < parts.Length) return (parts[i + 1], null, $"NuGet package folder {parts[i]}");
        return (null, null, $"no version.py or build-version above {libDir}");
    }

    static Dictionary<string, string> ReadRecord(string path)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            int eq = line.IndexOf('=');
            if (eq > 0 && !line.StartsWith('#')) keys[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return keys;
    }

    static TorchRuntimeException Fail(string message) => new([message]);
}
