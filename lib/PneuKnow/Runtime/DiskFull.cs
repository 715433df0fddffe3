using System.Globalization;

namespace PneuKnow.Runtime;

/// <summary>
/// A write that failed because the device holding <see cref="Folder"/> is full: a user's problem (exit 1 and one line naming
/// the folder and how much the command had written there), not an internal error.
/// </summary>
public sealed class DiskFullException(string folder, long bytesWritten, Exception inner)
    : IOException(Describe(folder, bytesWritten, inner), inner)
{
    /// <summary>The folder the command was writing into.</summary>
    public string Folder { get; } = folder;

    /// <summary>Bytes of the files under <see cref="Folder"/> that this process wrote before the write failed.</summary>
    public long BytesWritten { get; } = bytesWritten;

    static string Describe(string folder, long bytes, Exception inner) =>
        $"{folder}: no space left on the device ({DiskFull.Size(bytes)} written there by this command before a write failed" +
        (DiskFull.FailedPath(inner) is { } path ? $", at {path}" : "") + "); free some space or write elsewhere, then run it again.";
}

/// <summary>Recognises a full disk among I/O errors, and measures what a command wrote before it filled.</summary>
public static class DiskFull
{
    /// <summary>errno ENOSPC on Linux and macOS, which .NET's <see cref="IOException"/> carries as its HResult.</summary>
    public const int UnixNoSpace = 28;

    // ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL as HRESULTs.
    const int WindowsDiskFull = unchecked((int)0x80070070), WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Whether <paramref name="e"/>, or an exception it wraps (a parallel loop's <see cref="AggregateException"/>), is a full disk.</summary>
    public static bool Is(Exception e) => Find(e) is not null;

    /// <summary>The full-disk <see cref="IOException"/> in <paramref name="e"/> or the exceptions it wraps; null when there is none.</summary>
    public static IOException? Find(Exception e) => e switch
    {
        DiskFullException d => d,
        IOException io when io.HResult is UnixNoSpace or WindowsDiskFull or WindowsHandleDiskFull => io,
        AggregateException a => a.InnerExceptions.Select(Find).FirstOrDefault(x => x is not null),
        { InnerException: { } inner } => Find(inner),
        _ => null,
    };

    /// <summary>
    /// Turns a full disk under <paramref name="folder"/> into a <see cref="DiskFullException"/> that names it and the bytes this
    /// process wrote there since <paramref name="since"/>; returns null for any other exception.
    /// </summary>
    public static DiskFullException? Describe(Exception e, string folder, DateTime since)
    {
        if (Find(e) is not { } io) return null;
        if (io is DiskFullException d) return d;
        var full = Path.GetFullPath(folder);
        return new DiskFullException(full, WrittenSince(full, since), io);
    }

    /// <summary>
    /// Bytes of the files under <paramref name="folder"/> (hidden temporaries included) last written at or after
    /// <paramref name="since"/> (UTC): what a command that started then wrote there (its lock file aside).
    /// </summary>
    public static long WrittenSince(string folder, DateTime since)
    {
        if (!Directory.Exists(folder)) return 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        long total = 0;
        foreach (var f in new DirectoryInfo(folder).EnumerateFiles("*", options))
            if (f.LastWriteTimeUtc >= since && f.Name != FolderLock.FileName) total += f.Length;
        return total;
    }

    /// <summary>"812 KiB", "3.4 MiB", "1.20 GiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:F2} GiB"),
    };

    /// <summary>The file a failed write named in its message (.NET writes <c>No space left on device : '/path'</c>); null when none.</summary>
    public static string? FailedPath(Exception e)
    {
        var m = System.Text.RegularExpressions.Regex.Match(e.Message, @": '([^']+)'");
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>The exception a full device raises in .NET on this OS, for a write to <paramref name="path"/>.</summary>
    public static IOException Simulated(string path) =>
        new($"No space left on device : '{path}'", OperatingSystem.IsWindows() ? WindowsDiskFull : UnixNoSpace);
}
