using System.IO.Compression;
using System.Text.RegularExpressions;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// What a results folder must not contain to read anywhere: a reference to a CDN (a page or notebook output that
/// loads a script from the network shows nothing offline or on GitHub), an absolute path of the machine that wrote
/// it, an HTML figure without its PNG beside it (docs/figures.md: HTML and PNG per figure), or a page whose
/// <c>&lt;script src&gt;</c> of plotly.js is a URL or names a file that does not exist (<see cref="PlotlyScripts"/>); and how
/// many bytes it holds. The shared <c>plotly.min.js</c>, the library as Plotly.NET embeds it, is not read: it names its own CDN as the
/// default source of geographic outlines, which no figure here uses, and its code holds text like <c>a:\n</c> that reads
/// as a Windows path. Compressed files (<c>X.csv.gz</c>) are read as their text, a unit's run pack (<c>runs.tar.br</c>) as
/// the text of each file it packs.
/// </summary>
internal static partial class ResultsHygiene
{
    static readonly string[] TextExtensions = [".html", ".ipynb", ".md", ".csv", ".json", ".txt", ".svg", ".log", ".js"];

    /// <summary>The bytes <c>du -sb</c> counts for a folder's own entry on the file systems here (ext4, overlayfs).</summary>
    public const long FolderEntryBytes = 4096;

    [GeneratedRegex(@"https?://(cdn[\w.-]*|[\w.-]*(jsdelivr|cdnjs|unpkg|cdn\.plot\.ly|googleapis)[\w.-]*)", RegexOptions.IgnoreCase)]
    private static partial Regex Cdn();

    // A path starting at the root of a Unix machine (/tmp/, /home/, ...) or a Windows drive, not a URL's path.
    [GeneratedRegex(@"(?<![\w.~:/-])(/(tmp|home|work|root|mnt|var|opt|srv|Users|private)/|(?<![\w])[A-Za-z]:\\{1,2}\w)")]
    private static partial Regex AbsolutePath();

    /// <summary>
    /// One line per offending file: its path relative to <paramref name="folder"/>, the rule and the text found. With
    /// <paramref name="absolutePaths"/> false the absolute-path rule is not applied (a study still being written by code
    /// that recorded them). With <paramref name="cdn"/> false the CDN rule is not applied (a notebook run where no browser
    /// renders charts to PNG, so Plotly's own HTML output, which loads its script from a CDN, is all there is).
    /// </summary>
    public static IReadOnlyList<string> Violations(string folder, bool absolutePaths = true, bool cdn = true)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(folder, file);
            if (Path.GetExtension(file).Equals(".html", StringComparison.OrdinalIgnoreCase) && !File.Exists(Path.ChangeExtension(file, ".png")))
                found.Add($"{name}: an HTML figure without its PNG ({Path.GetFileName(Path.ChangeExtension(file, ".png"))} missing)");
            if (Path.GetFileName(file) == PneuKnow.Data.RunPack.FileName)
            {
                // A unit's packed runs: every entry is read as the file it packs.
                foreach (var (entry, bytes) in PneuKnow.Data.RunPack.Entries(file))
                    Check($"{name}:{entry}", System.Text.Encoding.UTF8.GetString(bytes));
                continue;
            }
            if (Path.GetExtension(file).Equals(".html", StringComparison.OrdinalIgnoreCase))
                foreach (var (source, target) in PlotlyScripts(file))
                    if (target is null) found.Add($"{name}: loads plotly.js from the network ({source})");
                    else if (!File.Exists(target)) found.Add($"{name}: loads plotly.js from {source}, which does not exist ({Path.GetRelativePath(folder, target)})");
            bool compressed = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
            if (!TextExtensions.Contains(Path.GetExtension(compressed ? file[..^3] : file), StringComparer.OrdinalIgnoreCase)) continue;
            if (Path.GetFileName(file) == PneuKnow.Plots.FigureFile.PlotlyJsFileName) continue;
            Check(name, compressed ? Decompress(file) : File.ReadAllText(file));
        }
        return found;

        void Check(string name, string text)
        {
            if (cdn && Cdn().Match(text) is { Success: true } script)
                found.Add($"{name}: references a CDN ({Excerpt(text, script.Index)})");
            if (absolutePaths && AbsolutePath().Match(text) is { Success: true } abs)
                found.Add($"{name}: contains an absolute path ({Excerpt(text, abs.Index)})");
        }
    }

    [GeneratedRegex(@"<script\b[^>]*?\bsrc\s*=\s*[""']([^""']*plotly[^""']*)[""']", RegexOptions.IgnoreCase)]
    private static partial Regex PlotlyScript();

    /// <summary>
    /// Every <c>&lt;script src=...&gt;</c> of <paramref name="page"/> that loads plotly.js: its source as written and the file it
    /// resolves to (relative to the page's folder), or null where it is a URL (a scheme or <c>//</c>), which a reader offline
    /// or on GitHub cannot load.
    /// </summary>
    public static IEnumerable<(string Source, string? Target)> PlotlyScripts(string page)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(page))!;
        foreach (Match m in PlotlyScript().Matches(File.ReadAllText(page)))
        {
            var source = m.Groups[1].Value;
            if (source.StartsWith("//", StringComparison.Ordinal) || Regex.IsMatch(source, @"^[A-Za-z][A-Za-z0-9+.-]*:")) { yield return (source, null); continue; }
            var path = Uri.UnescapeDataString(source.Split('?', '#')[0]);
            yield return (source, Path.GetFullPath(Path.Combine(folder, path)));
        }
    }

    /// <summary>What <c>du -sb</c> gives for <paramref name="folder"/>: its files' bytes plus <see cref="FolderEntryBytes"/> per folder, itself included.</summary>
    public static long Bytes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
        + FolderEntryBytes * (1 + Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Count());

    static string Decompress(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        return reader.ReadToEnd();
    }

    static string Excerpt(string text, int at) => text.Substring(at, Math.Min(80, text.Length - at)).ReplaceLineEndings(" ");
}
