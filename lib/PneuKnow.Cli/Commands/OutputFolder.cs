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
        var removed = AtomicFile.RemoveLeftovers(owned.Folder);
        if (removed.Count > 0)
            Console.Error.WriteLine($"note: removed {removed.Count} temporary file(s) that an interrupted run left under {owned.Folder}.");
        return owned;
    }
}
