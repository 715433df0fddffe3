using System.Diagnostics;
using PneuKnow.Tests.Notebooks;

namespace PneuKnow.Tests.Study;

/// <summary>
/// A one-node Slurm on localhost, started by <c>tools/slurm/start.sh</c> in a folder of its own and stopped
/// (after cancelling what is still queued) on dispose. Slurm commands run with <c>SLURM_CONF</c> pointing at it.
/// </summary>
internal sealed class SlurmCluster : IDisposable
{
    static string Tools => Path.Combine(NotebookPaths.RepositoryRoot, "tools", "slurm");

    /// <summary>Why Slurm cannot start on this machine (packages missing, not root), or null when it can.</summary>
    public static string? Unavailable { get; } = FindUnavailable();

    static string? FindUnavailable()
    {
        if (!OperatingSystem.IsLinux()) return "a local Slurm needs Linux";
        string[] dirs = [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'), "/usr/sbin", "/sbin"];
        var missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "squeue" }
            .Where(tool => !dirs.Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)))).ToList();
        if (missing.Count > 0)
            return $"Slurm cannot start here: {string.Join(", ", missing)} not found (install Debian's slurm-wlm and munge, as .ci/run does)";
        if (Environment.UserName != "root")
            return $"Slurm cannot start here: tools/slurm/start.sh needs root (slurmd runs jobs as their users), running as {Environment.UserName}";
        return null;
    }

    readonly List<string> _submitted = [];

    public string Dir { get; }
    public string Conf => Path.Combine(Dir, "slurm.conf");

    SlurmCluster(string dir) => Dir = dir;

    /// <summary>Starts the daemons and returns once <c>sinfo</c> shows the node idle.</summary>
    public static SlurmCluster Start(string dir)
    {
        var cluster = new SlurmCluster(dir);
        var start = Shell.Run("bash", [Path.Combine(Tools, "start.sh"), dir], TimeSpan.FromSeconds(120));
        if (start.Exit != 0)
        {
            cluster.Dispose();
            throw new InvalidOperationException($"tools/slurm/start.sh {dir} exited {start.Exit}:\n{start.Output}");
        }
        return cluster;
    }

    /// <summary>Runs a Slurm client command against this cluster.</summary>
    public Shell.Result Client(string command, IEnumerable<string> args, string? workingDir = null) =>
        Shell.Run(command, args, TimeSpan.FromSeconds(60), workingDir, new() { ["SLURM_CONF"] = Conf });

    /// <summary><c>sbatch --parsable</c>: the job id, remembered for cancelling on dispose.</summary>
    public string Submit(string workingDir, params string[] args)
    {
        var r = Client("sbatch", ["--parsable", .. args], workingDir);
        if (r.Exit != 0) throw new InvalidOperationException($"sbatch {string.Join(' ', args)} exited {r.Exit}:\n{r.Output}");
        var id = r.Stdout.Trim().Split(';')[0];
        _submitted.Add(id);
        return id;
    }

    /// <summary>Array tasks and jobs known to the controller (finished ones stay for MinJobAge), id → state.</summary>
    public Dictionary<string, (string Name, string State)> Jobs()
    {
        var r = Client("squeue", ["--states=all", "--noheader", "--format=%i|%j|%T"]);
        if (r.Exit != 0) throw new InvalidOperationException($"squeue exited {r.Exit}:\n{r.Output}");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('|'))
            .ToDictionary(f => f[0], f => (f[1], f[2]));
    }

    /// <summary>Waits until nothing is pending or running; the message on timeout lists the queue and the controller's log.</summary>
    public void WaitUntilIdle(TimeSpan timeout, Func<string> diagnostics)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var r = Client("squeue", ["--noheader", "--format=%i %T"]);
            if (r.Exit == 0 && r.Stdout.Trim().Length == 0) return;
            if (sw.Elapsed > timeout)
                throw new TimeoutException($"Slurm queue not empty after {timeout.TotalMinutes:F0} min:\n{r.Output}\n{diagnostics()}\n{Log("slurmctld.log", 30)}");
            Thread.Sleep(2000);
        }
    }

    /// <summary>The last lines of one of the daemons' logs.</summary>
    public string Log(string name, int lines)
    {
        var path = Path.Combine(Dir, "log", name);
        return File.Exists(path) ? $"--- {path}:\n{string.Join('\n', File.ReadLines(path).TakeLast(lines))}" : $"--- {path}: missing";
    }

    public void Dispose()
    {
        if (_submitted.Count > 0 && File.Exists(Conf)) Client("scancel", _submitted);
        Shell.Run("bash", [Path.Combine(Tools, "stop.sh"), Dir], TimeSpan.FromSeconds(60));
    }
}

/// <summary>A <c>[Fact]</c> skipped, with the reason, where a local Slurm cannot start (see <see cref="SlurmCluster.Unavailable"/>).</summary>
internal sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.Unavailable is { } reason) Skip = reason;
    }
}

/// <summary>Runs a program to completion with captured output.</summary>
internal static class Shell
{
    public sealed record Result(int Exit, string Stdout, string Stderr)
    {
        public string Output => $"{Stdout}{(Stderr.Length > 0 ? "\n[stderr]\n" + Stderr : "")}";
    }

    /// <summary>A started program whose output is read from the start, so that a full pipe never stalls it.</summary>
    public sealed class Running : IDisposable
    {
        readonly Process _p;
        readonly Task<string> _stdout, _stderr;
        readonly string _what;

        internal Running(Process p, string what)
        {
            _p = p;
            _what = what;
            _stdout = p.StandardOutput.ReadToEndAsync();
            _stderr = p.StandardError.ReadToEndAsync();
        }

        public Result Wait(TimeSpan timeout)
        {
            if (!_p.WaitForExit(timeout))
            {
                _p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{_what} did not finish within {timeout.TotalSeconds:F0} s");
            }
            return new Result(_p.ExitCode, _stdout.Result, _stderr.Result);
        }

        /// <summary>Kills the program if it still runs (a test that failed before waiting for it).</summary>
        public void Dispose()
        {
            if (!_p.HasExited) _p.Kill(entireProcessTree: true);
            _p.Dispose();
        }
    }

    public static Running Start(string command, IEnumerable<string> args, string? workingDir = null, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDir ?? Environment.CurrentDirectory,
        };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        return new Running(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}"), command);
    }

    public static Result Run(string command, IEnumerable<string> args, TimeSpan timeout, string? workingDir = null, Dictionary<string, string>? env = null)
    {
        using var p = Start(command, args, workingDir, env);
        return p.Wait(timeout);
    }
}
