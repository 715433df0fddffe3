using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PneuKnow.Runtime;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, which is then moved over the target (atomic on one file system). A
/// killed process leaves the old file or the new one, never a torn one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>, which receives the temporary file's path (for APIs that save to a path).</summary>
    /// <param name="path">The target file; its folder is created when missing.</param>
    /// <param name="write">Writes the whole content to the path it is given.</param>
    /// <param name="mode">Unix permission bits the file gets before it replaces the target (e.g. a shared library's, so it stays
    /// executable); null keeps what <paramref name="write"/> created. Ignored on Windows.</param>
    public static void Write(string path, Action<string> write, UnixFileMode? mode = null)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, TempName(Path.GetFileName(full), Environment.ProcessId, Guid.NewGuid()));
        try
        {
            write(temp);
            if (_freeSpace.Value is { } free && Interlocked.Add(ref free.Value, -new FileInfo(temp).Length) < 0)
                throw DiskFull.Simulated(temp);
            if (mode is { } m && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, m);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    static readonly AsyncLocal<System.Runtime.CompilerServices.StrongBox<long>?> _freeSpace = new();

    /// <summary>
    /// Makes every write of this class in the calling flow (and the parallel loops it starts) fail as on a full disk, with the
    /// <see cref="IOException"/> .NET raises for ENOSPC, once the files written add up to more than <paramref name="bytes"/>:
    /// how tests reach the full-disk paths without a full disk. Other threads' writes are not affected.
    /// </summary>
    /// <returns>Ends the simulation when disposed.</returns>
    public static IDisposable SimulateFreeSpace(long bytes)
    {
        var previous = _freeSpace.Value;
        _freeSpace.Value = new System.Runtime.CompilerServices.StrongBox<long>(bytes);
        return new Restore(() => _freeSpace.Value = previous);
    }

    sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>The temporary file's name for <paramref name="fileName"/>: hidden, with the writer's pid and a unique suffix.</summary>
    static string TempName(string fileName, int pid, Guid unique) => $".{fileName}.tmp-{pid}-{unique:N}";

    /// <summary>Matches exactly the names <see cref="TempName"/> makes, and nothing else.</summary>
    static readonly Regex TempNamePattern = new(@"^\..+\.tmp-(\d+)-[0-9a-f]{32}$", RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="fileName"/> is one of this class's temporary files.</summary>
    public static bool IsTempFile(string fileName) => TempNamePattern.IsMatch(fileName);

    /// <summary>
    /// Removes the temporary files that writes killed mid-way left under <paramref name="folder"/> (its subfolders
    /// included): checkpoint temporaries are tens of MB each and stayed in finished runs. Only names that
    /// <see cref="Write"/> makes are touched, and none of this process's own. Call it only under the folder's
    /// <see cref="FolderLock"/>, when no other process can be writing there.
    /// </summary>
    /// <returns>The files removed (full paths).</returns>
    public static IReadOnlyList<string> RemoveLeftovers(string folder)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder)) return removed;
        // Temporary names start with a dot, which .NET reports as Hidden on Unix, and the default AttributesToSkip skips hidden files.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp-*", options))
        {
            var m = TempNamePattern.Match(Path.GetFileName(file));
            if (!m.Success || m.Groups[1].Value == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) continue;
            File.Delete(file);
            removed.Add(file);
        }
        return removed;
    }

    /// <summary>Writes through <paramref name="write"/>, which receives a stream on the temporary file.</summary>
    public static void WriteStream(string path, Action<Stream> write) =>
        Write(path, temp =>
        {
            using var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
            write(s);
        });

    /// <summary>Writes UTF-8 text (no byte-order mark).</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text, new UTF8Encoding(false)));

    /// <summary>Writes bytes.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>
    /// Replaces an existing file's bytes keeping its Unix permission bits (a patched shared library stays
    /// executable, as an in-place edit would leave it).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static void ReplaceAllBytes(string path, byte[] bytes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"replace: no file at {path}.", path);
        UnixFileMode? mode = OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(path);
        Write(path, temp => File.WriteAllBytes(temp, bytes), mode);
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> (replacing it), with the source's permission bits.</summary>
    public static void Copy(string source, string destination) =>
        Write(destination, temp => File.Copy(source, temp, overwrite: true));
}
