using PneuKnow.Runtime;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands;

/// <summary>
/// How a command owns the folder it writes into (<c>train</c>, <c>reproduce</c>, <c>synth</c>): it takes the folder's
/// <see cref="FolderLock"/> for the whole command, or waits for it with <c>--wait</c>, and then, under the lock,
/// removes the temporary files that an interrupted run left there.
/// </summary>
static class OutputFolder
{
    /// <summary>
    /// Set by <c>reproduce --workers</c> for its worker processes to its own pid: the workers write into the study
    /// folder that their parent holds the lock of, and must neither fail on that lock nor clean the folder.
    /// </summary>
    public const string LockHolderVariable = "PNEUKNOW_LOCK_HOLDER";

    /// <summary>
    /// The folder this command owns and when it took it: a full disk is reported against it, with what the command wrote
    /// there (<see cref="DiskFull"/>). Per flow, so that commands run side by side in one process (the tests) keep theirs apart.
    /// </summary>
    public static readonly AsyncLocal<(string Folder, DateTime Since)?> Current = new();

    /// <summary>
    /// The folders of a dataset: its image and ROI folders and, where the manifest lies in their common parent (this
    /// project's layout: manifest.csv beside raw/ and roi/), that parent. A manifest kept elsewhere (the authors' CSV at the
    /// top of their repository) does not make its folder a data folder.
    /// </summary>
    public static string[] DataFolders(string manifest, string raw, string roi)
    {
        string Full(string p) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
        var (r, o) = (Full(raw), Full(roi));
        var parent = r;
        while (parent is not null && o != parent && !o.StartsWith(parent + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            parent = Path.GetDirectoryName(parent);
        bool manifestInside = parent is not null && Full(manifest).StartsWith(parent + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && Path.GetDirectoryName(parent) is not null;
        return manifestInside ? [r, o, parent!] : [r, o];
    }

    /// <summary>
    /// Refuses an output folder inside a dataset folder (<paramref name="dataFolders"/>: the manifest's folder, raw/, roi/):
    /// runs written there would mix results into the data, and a later <c>synth</c> or copy of the dataset would carry them.
    /// </summary>
    /// <exception cref="UsageException">The output folder is one of the data folders or lies inside one.</exception>
    public static void CheckOutsideData(string folder, string option, params string[] dataFolders)
    {
        var output = SafePath.RealPath(folder);
        foreach (var data in dataFolders)
        {
            var d = Path.TrimEndingDirectorySeparator(SafePath.RealPath(data));
            if (output == d || output.StartsWith(d + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new UsageException($"{option}: expected an output folder outside the dataset, found {Path.GetFullPath(folder)} inside the data folder {d}; " +
                    "write results elsewhere (e.g. under results/).");
        }
    }

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (exit 2 through <see cref="FolderLockedException"/> when another process
    /// holds it and <paramref name="wait"/> is off) and removes the leftover temporary files under it.
    /// </summary>
    /// <param name="folder">The output folder; created when missing.</param>
    /// <param name="context">The command, whose arguments go into the lock file for whoever finds the folder locked.</param>
    /// <param name="wait">Wait for the holder instead of failing (<c>--wait</c>).</param>
    /// <param name="cancel">Stops waiting.</param>
    /// <returns>The lock, to dispose when the command ends; null where the parent <c>reproduce</c> holds it (<see cref="LockHolderVariable"/>).</returns>
    public static FolderLock? Own(string folder, CommandContext context, bool wait, CancellationToken cancel = default)
    {
        // A file where the folder (or one of its parents) should be would fail later with "Could not find a part of the path".
        for (var p = Path.GetFullPath(folder); !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
            if (File.Exists(p))
                throw new UsageException($"--out: expected a folder to write into, found a file at {p}" + (p == Path.GetFullPath(folder) ? "." : $" (on the way to {Path.GetFullPath(folder)})."));
        var command = string.Join(' ', ["pneuknow", .. context.Arguments]);
        FolderLock owned;
        try
        {
            owned = FolderLock.Acquire(folder, command, wait,
                h => Console.Error.WriteLine($"waiting: {Path.GetFullPath(folder)} is locked by {h?.ToString() ?? "another process"}; this command starts when it is released."),
                cancel: cancel);
        }
        catch (FolderLockedException e) when (e.Holder is { } h && h.Host == Environment.MachineName
            && Environment.GetEnvironmentVariable(LockHolderVariable) == h.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }
        if (owned.Previous is { } killed)
            Console.Error.WriteLine($"note: took over the lock of {owned.Folder} from {killed}, which ended without releasing it.");
        Current.Value = (owned.Folder, DateTime.UtcNow);
        var removed = AtomicFile.RemoveLeftovers(owned.Folder);
        if (removed.Count > 0)
            Console.Error.WriteLine($"note: removed {removed.Count} temporary file(s) that an interrupted run left under {owned.Folder}.");
        return owned;
    }
}
