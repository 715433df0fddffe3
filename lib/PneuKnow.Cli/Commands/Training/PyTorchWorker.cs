using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>The Python interpreter <c>bench compare</c> runs, and the versions its <c>--info</c> reported.</summary>
/// <param name="Executable">The interpreter's path.</param>
/// <param name="Python">Python's version.</param>
/// <param name="Torch">torch.__version__.</param>
/// <param name="Torchvision">torchvision.__version__.</param>
/// <param name="Blas">The BLAS libraries torch mapped (its linear layers run there), or "unknown".</param>
/// <param name="OneDnn">The oneDNN (MKL-DNN) version torch was built with, e.g. <c>v2.6.3</c>.</param>
public sealed record PythonTorch(string Executable, string Python, string Torch, string Torchvision, string Blas, string OneDnn)
{
    /// <summary>
    /// Debian's <c>libblas.so.3</c> is the reference BLAS unless an optimised one (OpenBLAS, BLIS) is installed as its
    /// alternative: a note saying so when torch mapped it, else null. Convolutions run in oneDNN either way.
    /// </summary>
    public string? BlasNote => Blas.Contains("/blas/libblas", StringComparison.Ordinal)
        ? "note: torch uses the reference BLAS (Debian's default libblas.so.3), slow for its linear layers and matrix products; " +
          "`apt-get install libopenblas0-pthread` makes OpenBLAS its BLAS (convolutions run in oneDNN either way)."
        : null;
}

/// <summary>
/// The PyTorch side of <c>pneuknow bench compare</c>: <c>tools/bench/compare.py</c> (embedded in this assembly, written
/// to a temporary folder) run once with <c>--serve</c>, one JSON request per line on its stdin and one JSON answer per
/// line on its stdout. The process stays up between rounds, so each round pays only its own model build and warm-up, as
/// the PneuKnow round does in this process.
/// </summary>
public sealed class PyTorchWorker : IDisposable
{
    /// <summary>The script's name as embedded (and as kept in <c>tools/bench/</c>).</summary>
    public const string ScriptName = "compare.py";

    /// <summary>How a user gets an interpreter this command can use; part of every "not found" message.</summary>
    public const string HowToGetOne =
        "bench compare needs a python3 with torch and torchvision (CI and the README's commands do not). " +
        "On Debian or Ubuntu: `sudo apt-get install -y python3-torch python3-torchvision` (PyTorch 1.13, the version the " +
        "docs/cpu-speed.md comparisons used); elsewhere `python3 -m pip install torch torchvision`. " +
        "Then run again, or name the interpreter with --python PATH.";

    readonly Process process;
    readonly string folder;
    readonly StringBuilder stderr = new();

    PyTorchWorker(Process process, string folder)
    {
        this.process = process;
        this.folder = folder;
    }

    /// <summary>
    /// The interpreters tried when <c>--python</c> is not given: every <c>python3</c> on PATH, in PATH order, then
    /// <c>/usr/bin/python3</c> (Debian's python3-torch installs there, while a pyenv or venv <c>python3</c> earlier on PATH
    /// may lack torch). Duplicates and missing files are left out.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string? path = null)
    {
        var dirs = (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return dirs.Select(d => Path.Combine(d, "python3")).Append("/usr/bin/python3")
            .Where(File.Exists).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The first of <paramref name="candidates"/> whose <c>compare.py --info</c> imports torch and torchvision, or null and
    /// the reason for each one that did not (a missing file, an exit code and the script's error, a start failure).
    /// </summary>
    public static PythonTorch? Find(IReadOnlyList<string> candidates, out IReadOnlyList<string> rejected)
    {
        var reasons = new List<string>();
        rejected = reasons;
        if (candidates.Count == 0) return null;
        var folder = WriteScript();
        try
        {
            foreach (var python in candidates)
            {
                if (!File.Exists(python))
                {
                    reasons.Add($"{python}: no such file");
                    continue;
                }
                var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                start.ArgumentList.Add("-u");
                start.ArgumentList.Add(Path.Combine(folder, ScriptName));
                start.ArgumentList.Add("--info");
                try
                {
                    using var p = Process.Start(start)!;
                    var err = p.StandardError.ReadToEndAsync();
                    string output = p.StandardOutput.ReadToEnd();
                    // torch's import takes seconds on a loaded machine; a minute means something is wrong.
                    if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
                    {
                        p.Kill(entireProcessTree: true);
                        reasons.Add($"{python}: --info did not finish within 120 s");
                        continue;
                    }
                    var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
                    var answer = line is null ? null : TryParse(line);
                    if (p.ExitCode == 0 && answer?["ok"]?.GetValue<bool>() == true)
                        return new PythonTorch(python, Text(answer, "python"), Text(answer, "torch"), Text(answer, "torchvision"),
                            Text(answer, "blas"), Text(answer, "onednn"));
                    var why = answer?["error"]?.GetValue<string>() ?? Tail(err.Result + output, 300);
                    reasons.Add($"{python}: exit {p.ExitCode}, {why}");
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    reasons.Add($"{python}: could not start ({e.Message})");
                }
            }
            return null;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Starts <c>compare.py --serve</c> under <paramref name="python"/> with <paramref name="threads"/> OpenMP and MKL
    /// threads and, when PneuKnow's libtorch runs oneDNN under a cap, the same cap (<c>ONEDNN_MAX_CPU_ISA</c> and its
    /// older name <c>DNNL_MAX_CPU_ISA</c>, which the oneDNN 2.x of PyTorch 1.13 also reads).
    /// </summary>
    public static PyTorchWorker Start(PythonTorch python, int threads, string? oneDnnCap)
    {
        var folder = WriteScript();
        var start = new ProcessStartInfo(python.Executable)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(Path.Combine(folder, ScriptName));
        start.ArgumentList.Add("--serve");
        foreach (var v in new[] { "OMP_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[v] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (oneDnnCap is not null)
        {
            start.Environment["ONEDNN_MAX_CPU_ISA"] = oneDnnCap;
            start.Environment["DNNL_MAX_CPU_ISA"] = oneDnnCap;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{python.Executable}: the process did not start.");
        var worker = new PyTorchWorker(process, folder);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (worker.stderr)
            {
                // The last few kilobytes are what explains a failure.
                if (worker.stderr.Length > 16_000) worker.stderr.Remove(0, worker.stderr.Length - 8_000);
                worker.stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Sends one request and returns the answer's fields.</summary>
    /// <exception cref="PyTorchWorkerException">The script answered an error, wrote something that is not JSON, or exited.</exception>
    public JsonObject Ask(JsonObject request)
    {
        try
        {
            process.StandardInput.WriteLine(request.ToJsonString());
            process.StandardInput.Flush();
        }
        catch (IOException e)
        {
            throw Failed($"could not send the request ({e.Message})");
        }
        var line = process.StandardOutput.ReadLine() ?? throw Failed("the script exited without answering");
        var answer = TryParse(line) ?? throw Failed($"expected a JSON answer, found '{Tail(line, 300)}'");
        if (answer["ok"]?.GetValue<bool>() != true)
            throw Failed(answer["error"]?.GetValue<string>() ?? "an answer without ok or error");
        return answer;

        PyTorchWorkerException Failed(string what)
        {
            string err;
            lock (stderr) err = stderr.ToString();
            return new PyTorchWorkerException($"{ScriptName} ({request["op"]} {request["arch"]}): {what}" +
                (err.Length > 0 ? $"; its stderr ends with: {Tail(err, 2000)}" : ""));
        }
    }

    /// <summary>Closes the script's stdin (it then exits), waits briefly, kills it if it does not, and deletes the script.</summary>
    public void Dispose()
    {
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10))) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException) { }
        process.Dispose();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>The embedded script, written to a fresh temporary folder; returns the folder.</summary>
    static string WriteScript()
    {
        var folder = Directory.CreateTempSubdirectory("pneuknow-bench-compare-").FullName;
        using var source = typeof(PyTorchWorker).Assembly.GetManifestResourceStream(ScriptName)
            ?? throw new InvalidOperationException($"the embedded {ScriptName} is missing from {typeof(PyTorchWorker).Assembly.GetName().Name} (see PneuKnow.Cli.csproj).");
        using var target = File.Create(Path.Combine(folder, ScriptName));
        source.CopyTo(target);
        return folder;
    }

    static JsonObject? TryParse(string line)
    {
        try { return JsonNode.Parse(line) as JsonObject; }
        catch (JsonException) { return null; }
    }

    static string Text(JsonObject o, string key) => o[key]?.ToString() ?? "unknown";

    static string Tail(string s, int n) => (s.Length <= n ? s : "…" + s[^n..]).Trim();
}

/// <summary>The PyTorch side of <c>bench compare</c> failed; the message names the request and quotes the script.</summary>
public sealed class PyTorchWorkerException(string message) : Exception(message);
