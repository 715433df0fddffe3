using System.Diagnostics;
using PneuKnow.Cli;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Cli;
using PneuKnow.Tests.Data;

namespace PneuKnow.Tests.Runtime;

/// <summary>
/// One lock per output folder (two <c>train</c> into one folder used to train everything twice and crash on each
/// other's temporary files) and the removal of temporary files that killed writes left behind.
/// </summary>
public sealed class FolderLockTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_holder_is_refused_naming_the_first_and_gets_the_lock_once_it_is_released()
    {
        var folder = _dir["runs"];
        var first = FolderLock.Acquire(folder, "pneuknow train a.json --out runs");
        var e = Assert.Throws<FolderLockedException>(() => FolderLock.Acquire(folder, "pneuknow train b.json --out runs"));
        Assert.Equal(Environment.ProcessId, e.Holder?.Pid);
        Assert.Contains($"pid {Environment.ProcessId}", e.Message);
        Assert.Contains("(pneuknow train a.json --out runs)", e.Message);
        Assert.Contains($"started {first.Holder.Started.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z", e.Message);
        Assert.Contains("--wait", e.Message);

        first.Dispose();
        using var second = FolderLock.Acquire(folder, "pneuknow train b.json --out runs");
        Assert.Null(second.Previous);   // released, not killed
        Assert.Contains("command=pneuknow train b.json --out runs", ReadShared(Path.Combine(folder, FolderLock.FileName)));
    }

    [Fact]
    public async Task A_waiting_holder_gets_the_lock_when_the_first_releases_it()
    {
        var folder = _dir["runs"];
        var first = FolderLock.Acquire(folder, "first");
        LockHolder? seen = null;
        var waiter = Task.Run(() => FolderLock.Acquire(folder, "second", wait: true, waiting: h => seen = h, poll: TimeSpan.FromMilliseconds(50)));
        await Task.Delay(400);
        Assert.False(waiter.IsCompleted, "the second holder did not wait for the first");
        first.Dispose();
        using var second = await waiter.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("first", seen?.Command);
        Assert.Equal("second", second.Holder.Command);
    }

    /// <summary>A process that holds the lock excludes this one; killed, its lock is gone and its record is taken over.</summary>
    [Fact]
    public void The_lock_of_a_killed_process_is_taken_over()
    {
        var folder = _dir["study"];
        Directory.CreateDirectory(folder);
        var lockFile = Path.Combine(folder, FolderLock.FileName);
        // A dead run's record: a pid that has exited and no release time.
        int dead;
        using (var done = Process.Start("true")!) { done.WaitForExit(); dead = done.Id; }
        var record = $"pid={dead}\nhost={Environment.MachineName}\nstarted=2026-12-01T10:00:00.0000000Z\ncommand=pneuknow reproduce --out study\n";
        // The same flock .NET takes, held by another process until it is killed. The holder writes the dead run's record
        // itself once it holds the lock, so no interleaving of this process's writes with flock's start can leave another
        // record behind (an earlier version raced under load: a released record survived and the takeover saw none).
        var recordFile = Path.Combine(_dir["records"], "dead.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(recordFile)!);
        File.WriteAllText(recordFile, record);
        using var holder = Process.Start(new ProcessStartInfo("flock",
            ["--exclusive", "--no-fork", lockFile, "sh", "-c", "cat \"$0\" > \"$1\" && exec sleep 60", recordFile, lockFile])
            { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && !(File.Exists(lockFile) && ReadShared(lockFile) == record)) Thread.Sleep(20);
            Assert.Equal(record, ReadShared(lockFile));
            var refused = Assert.Throws<FolderLockedException>(() => FolderLock.Acquire(folder, "too early"));
            Assert.Equal(dead, refused.Holder?.Pid);   // the refusal names the holder its record names
        }
        finally
        {
            // One process (flock execs sh, which execs sleep) holds the lock until it is killed, as a run killed with kill -9.
            holder.Kill();
            holder.WaitForExit();
        }
        using var taken = FolderLock.Acquire(folder, "pneuknow reproduce --out study");
        Assert.Equal(dead, taken.Previous?.Pid);
        Assert.Equal("pneuknow reproduce --out study", taken.Previous?.Command);
        Assert.Contains($"pid={Environment.ProcessId}", ReadShared(lockFile));
    }

    [Fact]
    public void Only_the_projects_own_temporary_files_are_removed()
    {
        var run = _dir["study/runs/x/baseline/run_0"];
        Directory.CreateDirectory(run);
        string hex = new('a', 32);
        string[] leftovers = [Path.Combine(run, $".best.pt.tmp-4242-{hex}"), _dir[$"study/.study.json.tmp-17-{Guid.NewGuid():N}"]];
        string[] kept =
        [
            Path.Combine(run, "best.pt"),
            Path.Combine(run, ".best.pt.tmp-4242"),                                     // no unique suffix
            Path.Combine(run, $"best.pt.tmp-4242-{hex}"),                               // not hidden
            Path.Combine(run, $".best.pt.tmp-x-{hex}"),                                 // no pid
            Path.Combine(run, $".best.pt.tmp-{Environment.ProcessId}-{hex}"),           // this process's own write
            _dir["study/notes.tmp"],
        ];
        foreach (var f in leftovers.Concat(kept)) File.WriteAllText(f, "x");
        var removed = AtomicFile.RemoveLeftovers(_dir["study"]);
        Assert.Equal(leftovers.Order(), removed.Order());
        Assert.All(leftovers, f => Assert.False(File.Exists(f), f));
        Assert.All(kept, f => Assert.True(File.Exists(f), f));
    }

    [Fact]
    public void Only_half_generated_phantom_folders_are_removed()
    {
        string[] leftovers = ["phantom-120-64px-seed7.tmp-4242"];
        string[] kept = ["phantom-120-64px-seed7", "phantom-120-64px-seed7.tmp-x", "mydata.tmp-4242", "phantom-1.tmp-4242.bak"];
        foreach (var d in leftovers.Concat(kept)) Directory.CreateDirectory(_dir[Path.Combine("generated", d, "raw")]);
        var removed = StudyRunner.RemoveLeftoverData(_dir["generated"]);
        Assert.Equal(leftovers.Select(d => _dir[Path.Combine("generated", d)]), removed);
        Assert.All(kept, d => Assert.True(Directory.Exists(_dir[Path.Combine("generated", d)]), d));
    }

    /// <summary>
    /// <c>synth</c> into a folder another process writes to exits 2 naming the holder, waits with <c>--wait</c>, and
    /// once it owns the folder removes the temporary files a killed write left there.
    /// </summary>
    [Fact]
    public async Task Synth_into_a_locked_folder_exits_2_or_waits_and_then_cleans_leftovers()
    {
        var folder = _dir["phantom"];
        var holder = FolderLock.Acquire(folder, "pneuknow synth --out phantom --images 1082");
        var leftover = Path.Combine(folder, $".manifest.csv.tmp-4242-{new string('b', 32)}");
        File.WriteAllText(leftover, "half");
        string[] args = ["synth", "--out", folder, "--images", "3", "--size", "32"];
        var r = PneuknowCli.Run(args);
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains($"locked by pid {Environment.ProcessId}", r.Error);
        Assert.Contains("(pneuknow synth --out phantom --images 1082)", r.Error);
        Assert.True(File.Exists(leftover), "a command that does not own the folder removed a file in it");
        Assert.False(File.Exists(Path.Combine(folder, "manifest.csv")));

        var release = Task.Run(() => { Thread.Sleep(1500); holder.Dispose(); });
        r = PneuknowCli.Run([.. args, "--wait"]);
        await release;
        Assert.True(r.Exit == ExitCodes.Success, r.Error);
        Assert.Contains("waiting: ", r.Error);
        Assert.Contains("removed 1 temporary file(s)", r.Error);
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(Path.Combine(folder, "manifest.csv")));
    }

    /// <summary>The lock file as another process reads it while it is held (cat takes no lock).</summary>
    static string ReadShared(string path)
    {
        using var cat = Process.Start(new ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = cat.StandardOutput.ReadToEnd();
        cat.WaitForExit();
        return text;
    }
}
