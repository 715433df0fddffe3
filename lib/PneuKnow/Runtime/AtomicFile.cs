using System.Text;

namespace PneuKnow.Runtime;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, which is then moved over the target (atomic on one file system). A
/// killed process leaves the old file or the new one, never a torn one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>, which receives the temporary file's path (for APIs that save to a path).</summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
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
}
