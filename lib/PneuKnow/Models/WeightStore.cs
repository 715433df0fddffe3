namespace PneuKnow.Models;

/// <summary>
/// Where locally stored pretrained weights live: <c>$PNEUKNOW_WEIGHTS/&lt;architecture&gt;.safetensors</c>
/// (or <c>.pth</c>) when that variable is set, else <c>~/.cache/pneuknow/weights/&lt;architecture&gt;.safetensors</c>
/// (or <c>.pth</c>). Nothing is ever downloaded: files are put there by hand or by a converter.
/// </summary>
public static class WeightStore
{
    /// <summary>Environment variable that overrides the weights folder.</summary>
    public const string Variable = "PNEUKNOW_WEIGHTS";

    static readonly string[] Extensions = { ".safetensors", ".pth" };

    /// <summary>The folder searched for pretrained weights.</summary>
    public static string Folder =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pneuknow", "weights");

    /// <summary>The files that would hold an architecture's weights, in the order they are tried.</summary>
    public static IReadOnlyList<string> Candidates(string architecture) =>
        Extensions.Select(e => Path.Combine(Folder, architecture + e)).ToList();

    /// <summary>The local weights of an architecture, or null when there are none.</summary>
    public static string? Find(string architecture) => Candidates(architecture).FirstOrDefault(File.Exists);

    /// <summary>The local weights of an architecture.</summary>
    /// <exception cref="FileNotFoundException">None present; the message names every path tried.</exception>
    public static string Require(string architecture) =>
        Find(architecture) ?? throw new FileNotFoundException(
            $"pretrained weights for '{architecture}': expected one of {string.Join(", ", Candidates(architecture))} " +
            $"(set ${Variable} to use another folder); none exists.");

    /// <summary>
    /// Loads a timm or torchvision state dict into <paramref name="architecture"/> and saves the result as
    /// safetensors with timm's names at <paramref name="output"/> (default: <c>&lt;Folder&gt;/&lt;architecture&gt;.safetensors</c>,
    /// where <see cref="BackboneZoo"/> finds it as <see cref="BackboneZoo.Pretrained"/>). Written atomically; nothing is
    /// written when the import fails.
    /// </summary>
    /// <param name="architecture">A name from <see cref="BackboneZoo.Names"/>.</param>
    /// <param name="file">The state dict (<c>.safetensors</c> or <c>torch.save</c> file).</param>
    /// <param name="classes">Head outputs of the stored model (1000 for ImageNet checkpoints); a file with another
    /// class count leaves the head at its fresh initialisation, which the report names.</param>
    /// <param name="allowPartial">Store the model even when keys are missing, unexpected or of another shape; the
    /// tensors that did not come from the file keep their random initialisation, and the report lists every one.</param>
    /// <param name="output">Where to write; null for the weights folder.</param>
    /// <example><code>var (report, path) = WeightStore.Import("convnext_tiny", "convnext_tiny-983f1562.pth");</code></example>
    /// <exception cref="WeightImportException">The file does not fit and <paramref name="allowPartial"/> is false; every offending key is listed.</exception>
    /// <exception cref="ArgumentException">Unknown architecture (the valid ones are listed).</exception>
    /// <exception cref="InvalidDataException">Unreadable or corrupt file.</exception>
    public static (WeightImportReport Report, string Path) Import(string architecture, string file, int classes = 1000, bool allowPartial = false, string? output = null)
    {
        var path = Path.GetFullPath(output ?? Path.Combine(Folder, architecture + Extensions[0]));
        using var model = BackboneZoo.Create(new BackboneOptions(architecture, classes, Dropout: 0, Weights: Path.GetFullPath(file), AllowPartial: allowPartial), out var report);
        WeightExport.SaveSafetensors(model, path);
        return (report!, path);
    }
}
