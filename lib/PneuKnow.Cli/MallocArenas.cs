using System.Runtime.InteropServices;
using System.Text;

namespace PneuKnow.Cli;

/// <summary>
/// Starts the command with glibc's malloc limited to one arena (<c>MALLOC_ARENA_MAX=1</c>), by re-executing the process
/// once, in place, with that variable added to its environment.
/// </summary>
/// <remarks>
/// Why: glibc gives each thread that allocates concurrently its own arena (up to 8 per core), and libtorch's, oneDNN's and
/// the runtime's threads free their blocks into arenas other threads then allocate from. Over a training run the free
/// space scattered over those arenas cannot be handed back, so the resident set grows by 2–6 MiB per epoch while the bytes
/// in use stay flat (<c>pneuknow bench train</c> shows both series). With one arena the same run grows by about
/// 0.3 MiB per epoch. The cap must be in the environment when the process starts: set later with <c>mallopt</c>, the
/// arenas the runtime made before <c>Main</c> stay in use and the growth stays.
/// <para>
/// How: <c>execve</c> of <c>/proc/self/exe</c> with the process's own arguments (<c>/proc/self/cmdline</c>) and its
/// starting environment (<c>/proc/self/environ</c>) plus the variable. The process keeps its id, its standard streams and
/// its parent, so shells, signals, the study lock (which records the id) and pipes see one process. Nothing has run yet
/// (no output, no file opened by the command), so nothing is lost. Where the variable is already set — by the user, to
/// any value, or by this re-execution — the process runs as it is: setting <c>MALLOC_ARENA_MAX</c> yourself is how to
/// choose another cap (e.g. 16, glibc's default on two cores, for an A/B measurement). Elsewhere (not Linux, not glibc,
/// no /proc) or if <c>execve</c> fails, the command runs with the C library's default; only memory depends on it, never
/// results. Children the command starts (study unit workers, the PyTorch reference of <c>bench compare</c>, Chromium for
/// figures) inherit the variable.
/// </para>
/// </remarks>
static class MallocArenas
{
    /// <summary>The environment variable glibc reads its arena cap from at start.</summary>
    public const string Variable = "MALLOC_ARENA_MAX";

    /// <summary>The cap this command starts with when the variable is not set.</summary>
    public const string Default = "1";

    /// <summary>
    /// Re-executes this process with <see cref="Variable"/>=<see cref="Default"/> when it is not set; returns only when it
    /// is set already or the re-execution is not possible (then the command runs with the C library's default).
    /// </summary>
    public static void LimitToOne()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null || !IsGlibc()) return;
        byte[] cmdline, environ;
        try
        {
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
            environ = File.ReadAllBytes("/proc/self/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        var argv = Split(cmdline);
        if (argv.Count == 0) return;
        var envp = Split(environ);
        envp.Add(Encoding.UTF8.GetBytes($"{Variable}={Default}"));
        RemoveDiagnosticSocket();
        Exec("/proc/self/exe", argv, envp);
    }

    /// <summary>The C heap's arena cap this process runs with, as <c>info</c> and the benchmarks print it.</summary>
    public static string Describe() => Environment.GetEnvironmentVariable(Variable) is { } cap
        ? $"{Variable}={cap}"
        : $"the C library's default ({Variable} not set)";

    /// <summary>
    /// Removes the runtime's diagnostic socket of this process (<c>dotnet-diagnostic-&lt;pid&gt;-&lt;key&gt;-socket</c> in the
    /// temporary folder), which the runtime removes only when it shuts down: a runtime replaced by <c>execve</c> never does,
    /// and every command would leave one behind. The re-executed runtime makes its own.
    /// </summary>
    static void RemoveDiagnosticSocket()
    {
        try
        {
            foreach (var socket in Directory.EnumerateFiles(Path.GetTempPath(), DiagnosticSocketPattern(Environment.ProcessId)))
                File.Delete(socket);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a file in the temporary folder, nothing more.
        }
    }

    /// <summary>The file pattern of a process's diagnostic socket in the temporary folder.</summary>
    internal static string DiagnosticSocketPattern(int pid) => $"dotnet-diagnostic-{pid}-*-socket";

    /// <summary>The NUL-terminated strings of a /proc file, each without its NUL.</summary>
    internal static List<byte[]> Split(byte[] nulSeparated)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < nulSeparated.Length; i++)
        {
            if (nulSeparated[i] != 0) continue;
            parts.Add(nulSeparated[start..i]);
            start = i + 1;
        }
        if (start < nulSeparated.Length) parts.Add(nulSeparated[start..]); // a last string without its NUL
        return parts;
    }

    static bool IsGlibc()
    {
        try
        {
            return gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    static void Exec(string path, List<byte[]> argv, List<byte[]> envp)
    {
        var blocks = new List<IntPtr>();
        IntPtr[] Pointers(List<byte[]> strings)
        {
            var p = new IntPtr[strings.Count + 1]; // NULL-terminated, as execve wants
            for (int i = 0; i < strings.Count; i++)
            {
                var block = Marshal.AllocHGlobal(strings[i].Length + 1);
                Marshal.Copy(strings[i], 0, block, strings[i].Length);
                Marshal.WriteByte(block, strings[i].Length, 0);
                blocks.Add(block);
                p[i] = block;
            }
            return p;
        }
        try
        {
            execve(path, Pointers(argv), Pointers(envp)); // does not return when it succeeds
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
        finally
        {
            foreach (var b in blocks) Marshal.FreeHGlobal(b);
        }
    }

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    static extern IntPtr gnu_get_libc_version();

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    static extern int execve([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr[] argv, IntPtr[] envp);
}
