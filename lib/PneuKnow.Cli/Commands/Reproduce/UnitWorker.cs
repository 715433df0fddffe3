using System.Diagnostics;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>Starts <c>pneuknow reproduce --unit KEY</c> as a child process, its output going to a log file of the study.</summary>
static class UnitWorker
{
    public static string LogPath(string outDir, string unit) => Path.Combine(outDir, "logs", unit + ".log");

    /// <summary>The last <paramref name="lines"/> lines of a unit's log, for the error message.</summary>
    public static string Tail(string outDir, string unit, int lines)
    {
        var path = LogPath(outDir, unit);
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(lines)) : "(no log)";
    }

    public static async Task<int> RunAsync(ReproduceCommand.Settings s, string unit, int threads, string outDir, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Started as `dotnet PneuKnow.Cli.dll ...` the process is the dotnet host, which needs the assembly again.
        if (Path.GetFileNameWithoutExtension(start.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(UnitWorker).Assembly.Location);
        string[] args =
        [
            "reproduce", "--preset", s.Preset, "--out", outDir, "--data", Path.GetFullPath(s.Data), "--unit", unit,
            "--device", s.Device, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-notebooks",
        ];
        foreach (var a in args) start.ArgumentList.Add(a);
        // The worker writes into the study folder whose lock this process holds.
        start.Environment[OutputFolder.LockHolderVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (s.Backbones is not null) { start.ArgumentList.Add("--backbones"); start.ArgumentList.Add(s.Backbones); }
        if (s.Arms is not null) { start.ArgumentList.Add("--arms"); start.ArgumentList.Add(s.Arms); }
        if (s.Precision is not null) { start.ArgumentList.Add("--precision"); start.ArgumentList.Add(s.Precision); }
        if (s.Runs is { } runs) { start.ArgumentList.Add("--runs"); start.ArgumentList.Add(runs.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        if (s.Shard is not null) { start.ArgumentList.Add("--shard"); start.ArgumentList.Add(s.Shard); }
        start.ArgumentList.Add("--keep-checkpoints");
        start.ArgumentList.Add(s.KeepCheckpoints.ToString().ToLowerInvariant());
        if (s.Seed is { } seed) { start.ArgumentList.Add("--seed"); start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture)); }

        var log = LogPath(outDir, unit);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await using var writer = new StreamWriter(log, append: false) { AutoFlush = true };
        using var process = new Process { StartInfo = start };
        var gate = new object();
        void Write(string? line) { if (line is not null) lock (gate) writer.WriteLine(line); }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            // The unit's finished epochs are on disk; a later reproduce continues from them.
            process.Kill(entireProcessTree: true);
            throw;
        }
        // WaitForExitAsync returns before the output pumps have drained when they are redirected.
        process.WaitForExit();
        return process.ExitCode;
    }
}
