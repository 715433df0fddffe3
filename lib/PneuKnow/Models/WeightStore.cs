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
}
