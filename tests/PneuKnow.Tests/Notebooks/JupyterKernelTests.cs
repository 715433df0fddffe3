using System.Diagnostics;
using System.Text.Json.Nodes;
using PneuKnow.Notebooks;
using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>
/// Every notebook in notebooks/ runs with preset=smoke in Jupyter's way: Debian's nbclient drives the released
/// dotnet-interactive kernel (tools/notebooks/run-in-jupyter.py), which is what researchers open. The in-process runner
/// (<see cref="AllNotebooksRunTests"/>) hosts its own Microsoft.DotNet.Interactive and FSharp.Core, so it passed while
/// every researcher's kernel failed at the first chart, and then at the first PNG export (issue 24;
/// <see cref="KernelAssemblies"/>). Parameters are injected as the runner does, into a
/// copy in a temporary folder; the kernel starts in notebooks/ so the `#r "../lib/..."` paths hold. Chapters 02–05 get
/// the same temporary study as <see cref="AllNotebooksRunTests"/> in this test process (same collection, never at the
/// same time), so whichever runs second reuses the finished smoke runs.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Slow")]
public sealed class JupyterKernelTests(ITestOutputHelper output)
{
    /// <summary>The kernel name `dotnet-interactive jupyter install` registers for C#.</summary>
    const string Kernel = ".net-csharp";

    [JupyterTheory]
    [MemberData(nameof(AllNotebooksRunTests.Notebooks), MemberType = typeof(AllNotebooksRunTests))]
    public void Notebook_runs_in_the_released_jupyter_kernel_with_preset_smoke(string notebook)
    {
        var dir = NotebookPaths.TempOutput();
        try
        {
            var source = Path.Combine(NotebookPaths.Notebooks, notebook);
            var injected = Path.Combine(dir, notebook);
            File.WriteAllText(injected, WithParameters(source, AllNotebooksRunTests.SmokeParameters(source)).ToJsonString());
            var executed = Path.Combine(dir, "executed-" + notebook);

            var clock = Stopwatch.StartNew();
            var (rc, log) = Jupyter.Run("--kernel", Kernel, "--cwd", NotebookPaths.Notebooks, injected, executed);
            output.WriteLine($"{notebook}: {clock.Elapsed.TotalSeconds:F1} s in the Jupyter kernel {Kernel} with preset=smoke");
            Assert.True(rc == 0, $"{notebook} failed in the Jupyter kernel {Kernel} (exit {rc}):\n{Tail(log)}");

            var cells = JsonNode.Parse(File.ReadAllText(executed))!["cells"]!.AsArray()
                .Where(c => (string?)c!["cell_type"] == "code").ToList();
            Assert.All(cells, c => Assert.NotNull(c!["execution_count"]?.GetValue<int?>()));
            var errors = cells.SelectMany(c => c!["outputs"]!.AsArray()).Where(o => (string?)o!["output_type"] == "error").ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e!["ename"]}: {e["evalue"]}")));
            // A chart cell that shows nothing would be a chart lost quietly (the FSharp.Core failure hit charts first).
            var charts = cells.Where(c => AllNotebooksRunTests.Source(c!).Contains("Chart.", StringComparison.Ordinal)
                                          || AllNotebooksRunTests.Source(c!).Contains("Figures.", StringComparison.Ordinal));
            Assert.All(charts, c => Assert.NotEmpty(c!["outputs"]!.AsArray()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The notebook with a code cell tagged <see cref="NotebookParameters.InjectedTag"/> after the parameters cell,
    /// whose source <see cref="NotebookParameters.InjectedSource"/> writes, as the in-process runner does.
    /// </summary>
    internal static JsonNode WithParameters(string path, IReadOnlyDictionary<string, string> overrides)
    {
        var nb = JsonNode.Parse(File.ReadAllText(path))!;
        var cells = nb["cells"]!.AsArray();
        int at = cells.ToList().FindIndex(c => AllNotebooksRunTests.Tags(c!).Contains(NotebookParameters.Tag));
        Assert.True(at >= 0, $"{path}: no cell tagged \"{NotebookParameters.Tag}\"");
        var declared = NotebookParameters.Declared(AllNotebooksRunTests.Source(cells[at]!));
        var cell = cells[at]!.DeepClone();
        cell["id"] = "injected-parameters";
        cell["metadata"]!["tags"] = new JsonArray(NotebookParameters.InjectedTag);
        cell["source"] = NotebookParameters.InjectedSource(declared, overrides, Path.GetFileName(path));
        cell["outputs"] = new JsonArray();
        cell["execution_count"] = null;
        cells.Insert(at + 1, cell);
        return nb;
    }

    static string Tail(string log) => log.Length <= 6000 ? log : "...\n" + log[^6000..];
}

/// <summary>
/// A theory that needs Jupyter (Debian's python3-nbclient) and the dotnet-interactive kernel: skipped, with the reason
/// and the install commands, only where they are absent (.ci/run installs both, so CI runs it).
/// </summary>
public sealed class JupyterTheoryAttribute : TheoryAttribute
{
    /// <summary>
    /// Sets <see cref="FactAttribute.Skip"/> when <see cref="Jupyter.Unavailable"/> gives a reason, except under CI
    /// (<c>CI=true</c>), whose <c>.ci/run</c> installs Jupyter and the kernel: there a missing kernel is a failure, not a skip.
    /// </summary>
    public JupyterTheoryAttribute()
    {
        if (Jupyter.Unavailable is { } reason && Environment.GetEnvironmentVariable("CI") != "true") Skip = reason;
    }
}

/// <summary>Runs tools/notebooks/run-in-jupyter.py with a Python that has Debian's nbclient.</summary>
internal static class Jupyter
{
    static string Driver => Path.Combine(NotebookPaths.RepositoryRoot, "tools", "notebooks", "run-in-jupyter.py");

    /// <summary>
    /// PNEUKNOW_JUPYTER_PYTHON, else Debian's /usr/bin/python3 (where apt puts nbclient, while PATH may lead to a
    /// pyenv or venv Python without it), else python3 on PATH: the first whose driver check passes.
    /// </summary>
    static readonly Lazy<(string? Python, string? Reason)> Found = new(() =>
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("PNEUKNOW_JUPYTER_PYTHON"), "/usr/bin/python3", "python3" }
            .Where(c => !string.IsNullOrEmpty(c)).Distinct();
        string? reason = null;
        foreach (var python in candidates)
        {
            try
            {
                var (rc, log) = Start(python!, [Driver, "--check", "--kernel", ".net-csharp"], TimeSpan.FromMinutes(1));
                if (rc == 0) return (python, null);
                reason ??= log.Trim();
            }
            catch (System.ComponentModel.Win32Exception) { } // not installed
        }
        return (null, "Jupyter kernel test skipped: " + (reason ?? "no python3 found") +
                      ". CI installs them in .ci/run; locally: apt-get install python3-nbclient jupyter-client jupyter-core; " +
                      "dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001; dotnet-interactive jupyter install.");
    });

    /// <summary>Why the Jupyter tests cannot run here, or null where they can.</summary>
    public static string? Unavailable => Found.Value.Reason;

    /// <summary>Runs the driver with these arguments; exit code and its stdout and stderr together.</summary>
    public static (int ExitCode, string Log) Run(params string[] args) =>
        Start(Found.Value.Python ?? throw new InvalidOperationException(Unavailable), [Driver, .. args], TimeSpan.FromMinutes(20));

    static (int ExitCode, string Log) Start(string file, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The kernelspec starts `dotnet interactive`: find the global tool even where ~/.dotnet/tools is not on PATH.
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") + Path.PathSeparator + tools;
        using var p = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout.TotalMinutes:F0} min\n{log}");
        }
        p.WaitForExit();
        lock (log) return (p.ExitCode, log.ToString());
    }
}
