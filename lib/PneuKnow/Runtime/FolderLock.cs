using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace PneuKnow.Runtime;

/// <summary>Who holds (or last held) a <see cref="FolderLock"/>, as written into its lock file.</summary>
/// <param name="Pid">The holder's process id.</param>
/// <param name="Command">The holder's command line, e.g. <c>pneuknow train cfg.json --out runs</c>.</param>
/// <param name="Started">When the holder took the lock (UTC).</param>
/// <param name="Host">The machine the holder runs on (output folders can be on a shared file system).</param>
/// <param name="Released">When the holder released the lock; null while it holds it, and in the record of a process
/// that was killed holding it.</param>
public sealed record LockHolder(int Pid, string Command, DateTimeOffset Started, string Host, DateTimeOffset? Released = null)
{
    /// <summary>"pid 123 on node1 (pneuknow train cfg.json), started 2026-12-07 10:00:00Z".</summary>
    public override string ToString() =>
        $"pid {Pid} on {Host} ({Command}), started {Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}";

    internal string ToText() =>
        $"pid={Pid}\nhost={Host}\nstarted={Started.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}\ncommand={Command.ReplaceLineEndings(" ")}\n";

    /// <summary>Reads the lock file's text; null when it holds no complete record (empty, or written by something else).</summary>
    internal static LockHolder? Parse(string text)
    {
        var fields = text.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return fields.TryGetValue("pid", out var pid) && int.TryParse(pid, CultureInfo.InvariantCulture, out var p)
            && fields.TryGetValue("started", out var s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            ? new LockHolder(p, fields.GetValueOrDefault("command", "?"), started, fields.GetValueOrDefault("host", "?"),
                fields.TryGetValue("released", out var r) && DateTimeOffset.TryParse(r, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var released) ? released : null)
            : null;
    }
}

/// <summary>Another process holds the lock of the folder a command was to write into; the message names the holder.</summary>
/// <param name="message">The folder, the holder and what to do.</param>
/// <param name="holder">The holder as its lock file names it; null when it could not be read.</param>
public sealed class FolderLockedException(string message, LockHolder? holder) : Exception(message)
{
    /// <summary>The process that holds the lock, when its lock file could be read.</summary>
    public LockHolder? Holder { get; } = holder;
}

/// <summary>
/// One advisory lock per output folder, held by one process for the whole command that writes there (two
/// <c>train</c> of one config into one folder used to train everything twice and crash on each other's temporary
/// checkpoint files). The lock is the lock file <see cref="FileName"/> in the folder, opened with
/// <see cref="FileShare.None"/>: on Linux and macOS .NET takes an exclusive <c>flock</c> on it, on Windows the
/// sharing mode itself excludes; either way the operating system drops it when the process ends, however it ends,
/// so a lock file left by a killed process is simply taken over. The holder writes its pid, command line, start
/// time and host into the file, and a second process names them in its error.
/// </summary>
/// <remarks>
/// The lock file stays after release (deleting it would let a waiting process lock a file that is no longer the
/// one at the path). Two <see cref="FolderLock"/>s on one folder exclude each other within one process too.
/// </remarks>
public sealed class FolderLock : IDisposable
{
    /// <summary>The lock file's name inside the locked folder.</summary>
    public const string FileName = ".pneuknow.lock";

    readonly FileStream _stream;

    FolderLock(string folder, FileStream stream, LockHolder holder, LockHolder? previous)
    {
        Folder = folder;
        _stream = stream;
        Holder = holder;
        Previous = previous;
    }

    /// <summary>The locked folder (full path).</summary>
    public string Folder { get; }

    /// <summary>This process's record in the lock file.</summary>
    public LockHolder Holder { get; }

    /// <summary>
    /// The record of a process that died holding the lock (a killed run: its record has no release time), which
    /// this lock took over; null when the previous holder released it, or there was none.
    /// </summary>
    public LockHolder? Previous { get; }

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (created when missing) for <paramref name="command"/>.
    /// </summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="command">The command line to record, for whoever finds the folder locked.</param>
    /// <param name="wait">Wait until the holder releases the lock instead of failing.</param>
    /// <param name="waiting">Called once with the holder when the lock is busy and <paramref name="wait"/> is set.</param>
    /// <param name="poll">How often a waiting call tries again (default 1 s).</param>
    /// <param name="cancel">Stops waiting.</param>
    /// <exception cref="FolderLockedException">Another process (or another lock in this one) holds it and <paramref name="wait"/> is false.</exception>
    public static FolderLock Acquire(string folder, string command, bool wait = false, Action<LockHolder?>? waiting = null,
        TimeSpan? poll = null, CancellationToken cancel = default)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        Directory.CreateDirectory(full);
        var path = Path.Combine(full, FileName);
        bool told = false;
        while (true)
        {
            if (TryOpen(path) is { } stream)
            {
                var previous = LockHolder.Parse(ReadAll(stream));
                var holder = new LockHolder(Environment.ProcessId, command, DateTimeOffset.UtcNow, Environment.MachineName);
                var bytes = Encoding.UTF8.GetBytes(holder.ToText());
                stream.SetLength(0);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
                return new FolderLock(full, stream, holder, previous is { Released: null } ? previous : null);
            }
            var busy = ReadHolder(path);
            if (!wait)
                throw new FolderLockedException(
                    $"{full}: expected a folder no other process writes to, found it locked by {busy?.ToString() ?? "another process (its lock file could not be read)"}. "
                    + "Wait for it to finish, pass --wait to wait for it, or choose another output folder.", busy);
            if (!told) { waiting?.Invoke(busy); told = true; }
            cancel.WaitHandle.WaitOne(poll ?? TimeSpan.FromSeconds(1));
            cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Releases the lock; the lock file stays, with this process's record and its release time in it.</summary>
    public void Dispose()
    {
        if (!_stream.CanWrite) return;
        try
        {
            // A record without a release time is how the next holder tells a killed run from a finished one.
            _stream.Write(Encoding.UTF8.GetBytes($"released={DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)}\n"));
            _stream.Flush();
        }
        catch (IOException) { /* a full disk must not hide the command's own result; the lock is released below */ }
        finally { _stream.Dispose(); }
    }

    static FileStream? TryOpen(string path)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) when (File.Exists(path)) { return null; }
        catch (UnauthorizedAccessException) when (OperatingSystem.IsWindows() && File.Exists(path)) { return null; }
    }

    static string ReadAll(FileStream stream)
    {
        stream.Position = 0;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The record in a lock file that another process holds. .NET opens every file with a <c>flock</c> (shared for
    /// reading), which the holder's exclusive lock refuses; the record is read through the C library's
    /// <c>open</c>, which takes no lock (Linux, macOS). Null on Windows, where the holder's sharing mode refuses
    /// every reader, and when the file holds no complete record.
    /// </summary>
    static LockHolder? ReadHolder(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        using var stream = new FileStream(handle, FileAccess.Read);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return LockHolder.Parse(reader.ReadToEnd());
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
