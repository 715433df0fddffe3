using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using PneuKnow.Runtime;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PneuKnow.Models.Onnx;

/// <summary>Where <see cref="CntkResNet18"/> reads ML.NET's ONNX files and keeps its converted weights.</summary>
/// <param name="ModelPath">ML.NET's <c>ResNet18.onnx</c>.</param>
/// <param name="PreprocessPath">ML.NET's <c>ResNetPreprocess.onnx</c> (the mean image).</param>
/// <param name="CacheDirectory">Folder for the converted weights.</param>
public sealed record CntkResNet18Files(string ModelPath, string PreprocessPath, string CacheDirectory)
{
    /// <summary>NuGet package that ships the ONNX files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>Environment variable naming a <c>DnnImageModels</c> folder to use instead of the package's.</summary>
    public const string ModelsDirectoryVariable = "PNEUKNOW_DNN_IMAGE_MODELS";

    /// <summary>The package version this library was built against (from the project file).</summary>
    public static string PackageVersion { get; } =
        typeof(CntkResNet18Files).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "DnnImageFeaturizerVersion")?.Value
        ?? throw new InvalidOperationException("PneuKnow was built without the DnnImageFeaturizerVersion metadata.");

    /// <summary>
    /// Finds the <c>DnnImageModels</c> folder, first match wins: <c>$PNEUKNOW_DNN_IMAGE_MODELS</c>;
    /// <c>DnnImageModels/</c> next to PneuKnow.dll (the build copies it there); next to the
    /// application; the NuGet package folder (<c>$NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
    /// </summary>
    /// <param name="cacheDirectory">Folder for converted weights; <see cref="CntkResNet18WeightCache.DefaultDirectory"/> when null.</param>
    /// <exception cref="FileNotFoundException">No candidate holds both files; every place tried is listed.</exception>
    public static CntkResNet18Files Locate(string? cacheDirectory = null)
    {
        var tried = new List<string>();
        foreach (var folder in Candidates())
        {
            var files = new CntkResNet18Files(
                Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"),
                Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"),
                cacheDirectory ?? CntkResNet18WeightCache.DefaultDirectory);
            if (File.Exists(files.ModelPath) && File.Exists(files.PreprocessPath)) return files;
            tried.Add(folder);
        }
        throw new FileNotFoundException(
            $"ML.NET's ResNet18 ONNX files (ResNet18Onnx/ResNet18.onnx and ResNetPrepOnnx/ResNetPreprocess.onnx) were not found. " +
            $"Looked in: {string.Join("; ", tried)}. Build PneuKnow (dotnet build restores the NuGet package {PackageId} {PackageVersion}), " +
            $"or set {ModelsDirectoryVariable} to a DnnImageModels folder.");
    }

    static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(ModelsDirectoryVariable) is { Length: > 0 } env) yield return env;
        var here = Path.GetDirectoryName(typeof(CntkResNet18Files).Assembly.Location);
        if (!string.IsNullOrEmpty(here)) yield return Path.Combine(here, "DnnImageModels");
        yield return Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root
            ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        yield return Path.Combine(packages, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels");
    }
}

/// <summary>A converted-weights file and how it was obtained.</summary>
/// <param name="Path">The safetensors file.</param>
/// <param name="OnnxSha256">SHA-256 of the ONNX file it was converted from (hex).</param>
/// <param name="Converted">True when this call converted the ONNX file, false when the cache already held it.</param>
/// <param name="Elapsed">Time spent in this call (hashing, and converting when needed).</param>
public sealed record CachedWeights(string Path, string OnnxSha256, bool Converted, TimeSpan Elapsed);

/// <summary>
/// Converts <c>ResNet18.onnx</c> once into a safetensors file with <see cref="CntkResNet18"/>'s
/// state-dict names, keyed by the ONNX file's SHA-256, and reads it back.
/// </summary>
/// <remarks>
/// Default folder: <c>$PNEUKNOW_WEIGHTS</c>, else <c>~/.cache/pneuknow/weights</c> (PneuKnow's folder for
/// local pretrained weights); the file is <c>cntk_resnet18.v1.&lt;first 16 hex digits of the SHA-256&gt;.safetensors</c>. The file is written under a temporary name and moved into
/// place, so concurrent processes and interrupted runs never leave a partial file behind.
/// </remarks>
public static class CntkResNet18WeightCache
{
    /// <summary>Environment variable overriding the weights folder (the same one the backbone zoo's weight store uses).</summary>
    public const string WeightsVariable = "PNEUKNOW_WEIGHTS";

    /// <summary>Bumped when the converted format or naming changes, so old cache files are not reused.</summary>
    public const int FormatVersion = 1;

    static readonly ConcurrentDictionary<(string, long, DateTime), string> HashMemo = new();

    /// <summary>The default cache folder (see the remarks on <see cref="CntkResNet18WeightCache"/>).</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable(WeightsVariable) is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pneuknow", "weights");

    /// <summary>The cache file name for an ONNX file with the given SHA-256.</summary>
    public static string FileName(string onnxSha256) => $"cntk_resnet18.v{FormatVersion}.{onnxSha256[..16]}.safetensors";

    /// <summary>Returns the converted weights of <paramref name="onnxPath"/>, converting and caching them if needed.</summary>
    /// <param name="onnxPath">ML.NET's <c>ResNet18.onnx</c>.</param>
    /// <param name="cacheDirectory">Cache folder (created if missing).</param>
    /// <exception cref="OnnxFormatException">The ONNX file is corrupt.</exception>
    /// <exception cref="UnexpectedOnnxNetworkException">The ONNX file is not the expected network.</exception>
    public static CachedWeights Ensure(string onnxPath, string cacheDirectory)
    {
        var clock = Stopwatch.StartNew();
        string sha = Sha256(onnxPath);
        string target = Path.Combine(cacheDirectory, FileName(sha));
        if (File.Exists(target)) return new CachedWeights(target, sha, false, clock.Elapsed);

        var imported = CntkResNet18Import.ReadWeights(onnxPath);
        AtomicFile.Write(target, temp =>
        {
            using var scope = NewDisposeScope();
            Safetensors.SaveStateDict(temp, imported.ToDictionary(t => t.Name, t => tensor(t.Values, t.Shape)));
        });
        return new CachedWeights(target, sha, true, clock.Elapsed);
    }

    /// <summary>Reads a converted-weights file; the caller disposes the tensors.</summary>
    /// <param name="path">A file written by <see cref="Ensure"/>.</param>
    /// <exception cref="InvalidDataException">The file cannot be read as safetensors.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        try
        {
            return Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: cannot read the converted CntkResNet18 weights ({e.Message}). Delete the file to convert again.", e);
        }
    }

    /// <summary>SHA-256 of a file as lowercase hex, memoised per path, size and modification time.</summary>
    public static string Sha256(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"ONNX model not found: {path}", path);
        return HashMemo.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
