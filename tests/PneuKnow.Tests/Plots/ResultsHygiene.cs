using System.Text.RegularExpressions;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// What a results folder must not contain to read anywhere: a reference to a CDN (a page or notebook output that
/// loads a script from the network shows nothing offline or on GitHub) or an absolute path of the machine that wrote
/// it. The shared <c>plotly.min.js</c> is exempt from the CDN rule: the library names its own CDN as the default
/// source of geographic outlines, which no figure here uses.
/// </summary>
internal static partial class ResultsHygiene
{
    static readonly string[] TextExtensions = [".html", ".ipynb", ".md", ".csv", ".json", ".txt", ".svg", ".log", ".js"];

    [GeneratedRegex(@"https?://(cdn[\w.-]*|[\w.-]*(jsdelivr|cdnjs|unpkg|cdn\.plot\.ly|googleapis)[\w.-]*)", RegexOptions.IgnoreCase)]
    private static partial Regex Cdn();

    // A path starting at the root of a Unix machine (/tmp/, /home/, ...) or a Windows drive, not a URL's path.
    [GeneratedRegex(@"(?<![\w.~:/-])(/(tmp|home|work|root|mnt|var|opt|srv|Users|private)/|(?<![\w])[A-Za-z]:\\{1,2}\w)")]
    private static partial Regex AbsolutePath();

    /// <summary>One line per offending file: its path relative to <paramref name="folder"/>, the rule and the text found.</summary>
    public static IReadOnlyList<string> Violations(string folder)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!TextExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase)) continue;
            var text = File.ReadAllText(file);
            var name = Path.GetRelativePath(folder, file);
            if (Path.GetFileName(file) != PneuKnow.Plots.FigureFile.PlotlyJsFileName && Cdn().Match(text) is { Success: true } cdn)
                found.Add($"{name}: references a CDN ({Excerpt(text, cdn.Index)})");
            if (AbsolutePath().Match(text) is { Success: true } abs)
                found.Add($"{name}: contains an absolute path ({Excerpt(text, abs.Index)})");
        }
        return found;
    }

    static string Excerpt(string text, int at) => text.Substring(at, Math.Min(80, text.Length - at)).ReplaceLineEndings(" ");
}
