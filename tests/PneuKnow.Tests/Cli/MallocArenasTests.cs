using System.Diagnostics;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// The <c>pneuknow</c> process starts with glibc's malloc capped at one arena unless the environment names a cap
/// (<see cref="PneuKnow.Cli.MallocArenas"/>): the resident-set bound of <c>bench train</c> holds only with that cap in the
/// environment at process start. Run as a separate process (the built CLI under <c>dotnet</c>), as a user runs it.
/// </summary>
public sealed class MallocArenasTests
{
    static (int Exit, string Out, string Error) RunCli(string? cap, params string[] args) => RunCli(cap, out _, args);

    static (int Exit, string Out, string Error) RunCli(string? cap, out int pid, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PneuKnow.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("MALLOC_ARENA_MAX");
        if (cap is not null) start.Environment["MALLOC_ARENA_MAX"] = cap;
        using var p = Process.Start(start)!;
        pid = p.Id;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "pneuknow did not finish in 2 minutes");
        return (p.ExitCode, output, error.Result);
    }

    [Fact]
    public void Without_a_cap_in_the_environment_the_command_runs_with_one_arena()
    {
        if (!OperatingSystem.IsLinux()) return; // the re-execution is glibc's knob; elsewhere the default stays (documented)
        var (exit, stdout, stderr) = RunCli(null, "info", "--device", "cpu");
        Assert.True(exit == 0, stderr);
        Assert.Contains("malloc:     MALLOC_ARENA_MAX=1\n", stdout);
        // The re-executed process still owns the standard streams: info's other lines arrive once, not twice.
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("TorchSharp:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_cap_the_user_set_is_kept()
    {
        var (exit, stdout, stderr) = RunCli("16", "info", "--device", "cpu");
        Assert.True(exit == 0, stderr);
        Assert.Contains("malloc:     MALLOC_ARENA_MAX=16\n", stdout);
    }

    [Fact]
    public void The_re_executed_command_gets_its_arguments_byte_for_byte()
    {
        if (!OperatingSystem.IsLinux()) return;
        // An argument with spaces and non-ASCII letters, refused by the re-executed process, which names it as given.
        var (exit, _, stderr) = RunCli(null, "info", "--threads", "zwei Kerne é");
        Assert.Equal(2, exit);
        Assert.Contains("zwei Kerne é", stderr);
    }

    [Fact]
    public void The_re_execution_leaves_no_diagnostic_socket_behind()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The runtime removes its diagnostic socket when it shuts down; the one execve replaced never shuts down.
        var (exit, _, stderr) = RunCli(null, out int pid, "info", "--device", "cpu");
        Assert.True(exit == 0, stderr);
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{pid}-*-socket"));
    }
}
