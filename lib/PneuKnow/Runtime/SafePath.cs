using System.Text;

namespace PneuKnow.Runtime;

/// <summary>
/// File names built from data (class labels, image names, patient ids) and the check that a write stays under its
/// output root (docs/design.md, "Safe paths"). RSNA-style labels contain slashes, and a label such as
/// <c>NB/../../x</c> would otherwise name a file outside the output folder.
/// </summary>
public static class SafePath
{
    /// <summary>Longest name segment produced; file systems refuse more than 255 bytes.</summary>
    public const int MaxLength = 100;

    /// <summary>
    /// One path segment for <paramref name="name"/>: path separators, characters that Windows or Linux refuse and
    /// control characters become <c>_</c>, leading dots are dropped (no <c>..</c>, no hidden files), and the result is
    /// never empty and at most <see cref="MaxLength"/> characters. Ordinary names (<c>NB</c>, <c>img_0001</c>) pass unchanged.
    /// </summary>
    public static string FileName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var invalid = Path.GetInvalidFileNameChars().Concat(['/', '\\', ':', '*', '?', '"', '<', '>', '|']).ToHashSet();
        var b = new StringBuilder(name.Length);
        foreach (var c in name) b.Append(invalid.Contains(c) || char.IsControl(c) ? '_' : c);
        var safe = b.ToString().Trim().TrimStart('.').TrimEnd('.', ' ');
        if (safe.Length > MaxLength) safe = safe[..MaxLength];
        return safe.Length == 0 ? "_" : safe;
    }

    /// <summary>What <see cref="Segment"/> expects, for error messages.</summary>
    public const string SegmentRule = "a single folder name: not empty, no path separators ('/' or '\\'), no leading dot (so not '.' or '..'), "
        + "no trailing dot, no leading or trailing space, none of : * ? \" < > | or control characters, at most 100 characters";

    /// <summary>
    /// A name from a setting (a config's <c>experiment_name</c>) that becomes a path segment as given, refused unless
    /// it already is one safe segment. It is the same rule as <see cref="FileName"/>, which explain labels go through,
    /// applied as a check: a setting is the user's own choice, so it is refused with a message rather than silently
    /// renamed (<c>..</c> used to put an experiment in the parent of <c>--out</c>).
    /// </summary>
    /// <param name="name">The value as given.</param>
    /// <param name="where">The setting, with its file and line where known, e.g. <c>cfg.ini, line 3, [settings] experiment_name</c>.</param>
    /// <returns><paramref name="name"/>, unchanged.</returns>
    /// <exception cref="UnsafeNameException"><see cref="FileName"/> would change the name.</exception>
    public static string Segment(string name, string where)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (FileName(name) != name)
            throw new UnsafeNameException($"{where}: expected {SegmentRule}; found '{name}'.");
        return name;
    }

    /// <summary>
    /// The full path of <paramref name="path"/>, checked to lie under <paramref name="root"/> (the root itself included).
    /// </summary>
    /// <exception cref="IOException">The path leaves the root.</exception>
    public static string Under(string root, string path)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(fullRoot, path));
        if (full != fullRoot && !full.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new IOException($"output path: expected a file under {fullRoot}, found {full}; a name taken from the data must not leave the output folder.");
        return full;
    }

    /// <summary>
    /// The path with every symbolic link along it resolved (the folder links included, as <c>realpath</c> does); components
    /// that do not exist are kept as written.
    /// </summary>
    /// <exception cref="IOException">More than 40 links on the way (a cycle).</exception>
    public static string RealPath(string path) => RealPath(Path.GetFullPath(path), 0);

    static string RealPath(string full, int hops)
    {
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                if (hops >= 40) throw new IOException($"{full}: expected a path, found more than 40 symbolic links on the way (a cycle?).");
                var resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target));
                return RealPath(Path.Combine([resolved, .. parts[(i + 1)..]]), hops + 1);
            }
            current = next;
        }
        return current;
    }

    /// <summary>
    /// Whether the existing file <paramref name="path"/>, followed through its symbolic links, lies outside
    /// <paramref name="folder"/> (followed through its own): a link such as <c>raw/sub → /outside</c> inside a dataset folder.
    /// </summary>
    public static bool LeavesByLink(string folder, string path)
    {
        if (!File.Exists(path)) return false;
        var realFolder = Path.TrimEndingDirectorySeparator(RealPath(folder));
        return !RealPath(path).StartsWith(realFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}

/// <summary>
/// A setting names a path that is not one safe path segment (see <see cref="SafePath.Segment"/>); the message names
/// the setting, the value and what was expected. The command line reports it as a usage error (exit 2).
/// </summary>
public sealed class UnsafeNameException(string message) : Exception(message);
