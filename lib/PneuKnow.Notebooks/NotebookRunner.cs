using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace PneuKnow.Notebooks;

/// <summary>What to run and where to put the executed copy.</summary>
/// <param name="NotebookPath">The <c>.ipynb</c> to run.</param>
/// <param name="OutputDirectory">Folder for the executed copy (same file name); created when missing.</param>
/// <param name="Parameters">Overrides of the variables of the cell tagged <c>parameters</c>.</param>
public sealed record NotebookRunRequest(
    string NotebookPath,
    string OutputDirectory,
    IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>The first cell that failed.</summary>
/// <param name="CellNumber">1-based position of the cell in the notebook as written (markdown cells count; the injected parameters cell does not).</param>
/// <param name="Source">The cell's code.</param>
/// <param name="Error">The compiler diagnostics or the exception, as the kernel reported them.</param>
public sealed record NotebookCellFailure(int CellNumber, string Source, string Error);

/// <summary>What one run did.</summary>
/// <param name="NotebookPath">The notebook that ran.</param>
/// <param name="OutputPath">The executed copy (written on failure too, with the outputs up to the failing cell).</param>
/// <param name="CodeCellsRun">Code cells submitted, the injected one included.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="Failure">The failing cell, or null when every cell succeeded.</param>
public sealed record NotebookRunResult(
    string NotebookPath,
    string OutputPath,
    int CodeCellsRun,
    TimeSpan Elapsed,
    NotebookCellFailure? Failure)
{
    /// <summary>True when every code cell ran without error.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>A multi-line account of the failure (cell number, source, error), or a one-line success.</summary>
    public string Describe() => Failure is { } f
        ? $"{NotebookPath}: cell {f.CellNumber} failed.\n--- cell {f.CellNumber} source ---\n{f.Source}\n--- error ---\n{f.Error}\nExecuted copy (outputs up to the failure): {OutputPath}"
        : $"{NotebookPath}: {CodeCellsRun} code cells ran in {Elapsed.TotalSeconds:F1} s -> {OutputPath}";
}

/// <summary>
/// Runs a polyglot notebook headlessly: every C# cell in order in a fresh <see cref="CompositeKernel"/>,
/// outputs captured into the document, stop at the first failing cell, executed copy written atomically.
/// </summary>
/// <remarks>
/// Notebooks load the engine from <c>lib/PneuKnow/bin/Release/net10.0</c> by a path relative to the notebook
/// (their first code cell), exactly as in VS Code; the runner does not build it. The tests and the CLI reference
/// the engine, so <c>dotnet test -c Release</c> or <c>dotnet build -c Release</c> leaves that folder complete.
/// Runs are serialised within a process because a run sets the working directory to the notebook's folder
/// (as Jupyter and VS Code do) and the kernel redirects <see cref="Console.Out"/> while a cell runs.
/// </remarks>
public static partial class NotebookRunner
{
    static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>The kernel every code cell must be written for.</summary>
    public const string CSharpKernelName = "csharp";

    /// <summary>Runs one notebook.</summary>
    /// <param name="request">Notebook, output folder, parameters.</param>
    /// <param name="log">Receives one line per cell as it starts and ends (null: silent). Never <see cref="Console.Out"/>
    /// itself: the kernel captures it while a cell runs; pass a writer taken before the run.</param>
    /// <param name="progress">Receives one task per notebook, one step per code cell (null: none).</param>
    /// <param name="cancellationToken">Stops between cells.</param>
    /// <exception cref="NotebookRunException">The path is missing or not an <c>.ipynb</c>, the file is not a notebook,
    /// a parameter is not declared or has the wrong type, or a code cell is not C#.</exception>
    public static async Task<NotebookRunResult> RunAsync(NotebookRunRequest request, TextWriter? log = null, PneuKnow.Runtime.IProgress? progress = null, CancellationToken cancellationToken = default)
    {
        var path = CheckPath(request.NotebookPath);
        var document = Parse(path);
        var cells = document.Elements.ToList();
        var plan = Plan(cells, request.Parameters ?? new Dictionary<string, string>(), request.NotebookPath);

        var outputDir = Path.GetFullPath(request.OutputDirectory);
        var outputPath = Path.Combine(outputDir, Path.GetFileName(path));
        if (string.Equals(outputPath, path, StringComparison.Ordinal))
            throw new NotebookRunException($"{request.NotebookPath}: the output folder is the notebook's own folder; choose another one so the source notebook is not overwritten.");

        await OneAtATime.WaitAsync(cancellationToken);
        var previousDirectory = Directory.GetCurrentDirectory();
        var clock = Stopwatch.StartNew();
        NotebookCellFailure? failure = null;
        int ran = 0;
        try
        {
            Directory.SetCurrentDirectory(Path.GetDirectoryName(path)!);
            using var kernel = await CreateKernelAsync();
            using var bar = (progress ?? PneuKnow.Runtime.SilentProgress.Instance)
                .Start(Path.GetFileName(path), plan.Count(s => s.Element.KernelName == CSharpKernelName));
            int executionCount = 0;
            foreach (var step in plan)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (step.Element.KernelName != CSharpKernelName) continue;
                var label = step.CellNumber is { } n ? $"cell {n}" : "injected parameters";
                log?.WriteLine($"  {label}: running");
                var cellClock = Stopwatch.StartNew();
                step.Element.Outputs.Clear();
                var result = await kernel.SendAsync(new SubmitCode(step.Element.Contents, CSharpKernelName), cancellationToken);
                ran++;
                step.Element.ExecutionOrder = ++executionCount;
                var error = Collect(result, step.Element);
                log?.WriteLine($"  {label}: {(error is null ? "ok" : "FAILED")} ({cellClock.Elapsed.TotalSeconds:F1} s)");
                bar.Advance(1, $"{label} {(error is null ? "ok" : "FAILED")}");
                if (error is not null)
                {
                    failure = new NotebookCellFailure(step.CellNumber ?? 0, step.Element.Contents, error);
                    break;
                }
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(previousDirectory);
            OneAtATime.Release();
        }

        WriteAtomically(path, document, plan.Select(s => s.Element).ToList(), outputPath, (request.Parameters ?? new Dictionary<string, string>()).Values);
        return new NotebookRunResult(request.NotebookPath, outputPath, ran, clock.Elapsed, failure);
    }

    /// <summary>The full path of an existing <c>.ipynb</c>, so that a batch can be checked before any notebook runs.</summary>
    /// <exception cref="NotebookRunException">Not an <c>.ipynb</c> file name, or no such file.</exception>
    public static string CheckPath(string notebookPath)
    {
        var path = Path.GetFullPath(notebookPath);
        if (!string.Equals(Path.GetExtension(path), ".ipynb", StringComparison.OrdinalIgnoreCase))
            throw new NotebookRunException($"{notebookPath}: expected a Jupyter notebook (.ipynb), found a '{Path.GetExtension(path)}' file name.");
        if (!File.Exists(path))
            throw new NotebookRunException($"{notebookPath}: no such notebook (looked for {path}).");
        return path;
    }

    sealed record Step(InteractiveDocumentElement Element, int? CellNumber);

    static InteractiveDocument Parse(string path)
    {
        try
        {
            var kernels = new KernelInfoCollection
            {
                new Microsoft.DotNet.Interactive.Documents.KernelInfo(CSharpKernelName, "C#", ["c#", "C#", "cs"]),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("fsharp", "F#", ["f#", "F#", "fs"]),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("pwsh", "PowerShell", ["powershell"]),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("javascript", "JavaScript", ["js"]),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("html", "HTML"),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("sql", "SQL"),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("kql", "KQL"),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("mermaid", "Mermaid"),
                new Microsoft.DotNet.Interactive.Documents.KernelInfo("value", "value"),
            };
            kernels.DefaultKernelName = CSharpKernelName;
            return Notebook.Parse(File.ReadAllText(path), kernels);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or FormatException or InvalidCastException)
        {
            throw new NotebookRunException($"{path}: not a readable Jupyter notebook: {e.Message}");
        }
    }

    /// <summary>Names declared by the notebook's <c>parameters</c> cell (empty when it has none).</summary>
    /// <exception cref="NotebookRunException">The file is not a readable notebook.</exception>
    public static IReadOnlyList<string> DeclaredParameters(string path) =>
        Parse(path).Elements.Where(c => Tags(c).Contains(NotebookParameters.Tag))
            .SelectMany(c => NotebookParameters.Declared(c.Contents)).Select(p => p.Name).ToList();

    /// <summary>The cells to run, with the injected parameters cell placed right after the <c>parameters</c> cell.</summary>
    static List<Step> Plan(List<InteractiveDocumentElement> cells, IReadOnlyDictionary<string, string> overrides, string where)
    {
        var steps = new List<Step>();
        bool sawParameters = false;
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            if (cell.KernelName is not ("markdown" or CSharpKernelName) && !string.IsNullOrWhiteSpace(cell.Contents))
                throw new NotebookRunException($"{where}: cell {i + 1} is written for the '{cell.KernelName}' kernel; the headless runner runs C# cells only.");
            if (Tags(cell).Contains(NotebookParameters.InjectedTag))
                continue; // left by an earlier run of this copy; the overrides of this run replace it
            steps.Add(new Step(cell, i + 1));
            if (!Tags(cell).Contains(NotebookParameters.Tag)) continue;
            if (sawParameters)
                throw new NotebookRunException($"{where}: cells tagged \"{NotebookParameters.Tag}\" found twice (second: cell {i + 1}); papermill allows one.");
            sawParameters = true;
            if (overrides.Count == 0) continue;
            var injected = new InteractiveDocumentElement(
                NotebookParameters.InjectedSource(NotebookParameters.Declared(cell.Contents), overrides, where), CSharpKernelName);
            injected.Metadata ??= new Dictionary<string, object>();
            injected.Metadata["tags"] = new[] { NotebookParameters.InjectedTag };
            steps.Add(new Step(injected, null));
        }
        if (overrides.Count > 0 && !sawParameters)
            throw new NotebookRunException(
                $"{where}: parameters given ({string.Join(", ", overrides.Keys)}) but no cell is tagged \"{NotebookParameters.Tag}\".");
        return steps;
    }

    static IReadOnlyCollection<string> Tags(InteractiveDocumentElement cell)
    {
        if (cell.Metadata is null || !cell.Metadata.TryGetValue("tags", out var tags)) return [];
        return tags switch
        {
            IEnumerable<string> s => s.ToList(),
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Array } j => j.EnumerateArray().Select(e => e.GetString() ?? "").ToList(),
            IEnumerable<object> o => o.Select(x => x?.ToString() ?? "").ToList(),
            _ => [],
        };
    }

    static async Task<CompositeKernel> CreateKernelAsync()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective(async (kernel, packages) =>
            {
                // The package-management hook only restores; adding what was restored is the host's job, and so is
                // loading kernel extensions the packages ship (VS Code's host does both).
                kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                foreach (var package in packages)
                    await LoadExtensionsAsync(Path.Combine(package.PackageRoot, "interactive-extensions", "dotnet"), kernel);
            }, forceRestore: false)
            .UseKernelHelpers();
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = CSharpKernelName;
        // Charts render as charts even when a notebook gets Plotly.NET through the engine rather than through
        // `#r "nuget: Plotly.NET.Interactive"`.
        await ((IKernelExtension)new Plotly.NET.Interactive.FormatterKernelExtension()).OnLoadAsync(csharp);
        return composite;
    }

    static async Task LoadExtensionsAsync(string directory, Kernel kernel)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var dll in Directory.GetFiles(directory, "*.dll"))
        {
            var name = AssemblyName.GetAssemblyName(dll);
            // One copy per assembly: the host may already carry it (Plotly.NET.Interactive does).
            var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name))
                           ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
            foreach (var type in assembly.GetExportedTypes().Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
                if (Activator.CreateInstance(type) is IKernelExtension extension)
                    await extension.OnLoadAsync(kernel);
        }
    }

    /// <summary>Moves the events of one submission into the cell's outputs; returns the error text, if any.</summary>
    static string? Collect(KernelCommandResult result, InteractiveDocumentElement cell)
    {
        var displays = new Dictionary<string, DisplayElement>(StringComparer.Ordinal);
        string? error = null;
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case StandardOutputValueProduced o:
                    cell.Outputs.Add(new TextElement(PlainText(o), "stdout"));
                    break;
                case StandardErrorValueProduced o:
                    cell.Outputs.Add(new TextElement(PlainText(o), "stderr"));
                    break;
                case DisplayedValueUpdated u when u.ValueId is { } id && displays.TryGetValue(id, out var shown):
                    // The final state of a live display is what the executed notebook keeps.
                    shown.Data.Clear();
                    foreach (var f in u.FormattedValues) shown.Data[f.MimeType] = f.Value;
                    break;
                case DisplayedValueProduced d:
                    var element = new DisplayElement(d.FormattedValues.ToDictionary(f => f.MimeType, f => (object)f.Value));
                    AddStaticChart(d.Value, element.Data);
                    if (d.ValueId is { } valueId) displays[valueId] = element;
                    cell.Outputs.Add(element);
                    break;
                case ReturnValueProduced r:
                    var returned = new ReturnValueElement();
                    foreach (var f in r.FormattedValues) returned.Data[f.MimeType] = f.Value;
                    AddStaticChart(r.Value, returned.Data);
                    cell.Outputs.Add(returned);
                    break;
                case ErrorProduced p:
                    error = p.Message;
                    break;
                case CommandFailed f when f.Command is SubmitCode:
                    // Compile errors: the diagnostics say it all; exceptions: keep the stack trace.
                    error = f.Exception is null or CodeSubmissionCompilationErrorException ? f.Message : f.Exception.ToString();
                    break;
            }
        }
        if (error is not null)
        {
            var lines = error.Split('\n');
            cell.Outputs.Add(new ErrorElement("Error", lines[0], lines.Skip(1).ToArray()));
        }
        return error;
    }

    /// <summary>
    /// A chart output becomes a PNG (rendered by the headless Chromium of <see cref="PneuKnow.Plots.FigureFile.Browser"/>)
    /// instead of Plotly.NET's HTML, which loads require.js and plotly.js from CDNs: GitHub, nbviewer, an offline
    /// viewer and a PDF export show the PNG, where the HTML shows nothing. Rerunning the notebook in VS Code or
    /// Jupyter gives the interactive chart again. Without a browser the HTML is kept. The PNG is stored as the figure files'
    /// are (<see cref="PneuKnow.Plots.PngEncoding.PaletteWhereFaithful"/>): the quick reference's chart outputs take about 40 %
    /// of their lossless bytes as palette PNGs.
    /// </summary>
    static void AddStaticChart(object? value, IDictionary<string, object> data)
    {
        if (value is not Plotly.NET.GenericChart chart || PneuKnow.Plots.FigureFile.Browser.Find() is null) return;
        var png = PneuKnow.Plots.FigureFile.Browser.Encode(PneuKnow.Plots.FigureFile.Browser.RenderPng(chart), PneuKnow.Plots.PngEncoding.PaletteWhereFaithful);
        data["image/png"] = Convert.ToBase64String(png);
        data.Remove("text/html");
    }

    static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(f => f.MimeType == PlainTextFormatter.MimeType)?.Value
        ?? e.FormattedValues.FirstOrDefault()?.Value ?? "";

    static void WriteAtomically(string sourcePath, InteractiveDocument parsed, List<InteractiveDocumentElement> elements, string outputPath, IEnumerable<string> parameterValues)
    {
        // ToJupyterJson on the parsed document can throw InvalidCastException; a fresh document built from its
        // elements and metadata serialises (docs/design.md, "Notebooks run headlessly").
        var document = new InteractiveDocument(elements);
        // polyglot_notebook comes back from parsing as a plain dictionary that the writer cannot cast to its kernel
        // list; the writer regenerates it from the cells' kernels.
        foreach (var (key, value) in parsed.Metadata)
            if (key != "polyglot_notebook") document.Metadata[key] = value;
        var json = Notebook.ToJupyterJson(document, CSharpKernelName);
        if (parsed.Metadata.ContainsKey("polyglot_notebook"))
        {
            // Keep the source's own polyglot_notebook block (VS Code reads its kernelInfo) instead of the writer's.
            var written = System.Text.Json.Nodes.JsonNode.Parse(json)!;
            var source = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sourcePath))!;
            written["metadata"]!["polyglot_notebook"] = source["metadata"]?["polyglot_notebook"]?.DeepClone();
            json = written.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        }
        json = WithCellIds(json, sourcePath);
        // Before the absolute paths: a relative parameter becomes relative to the copy here, and nothing rewrites it again.
        json = WithRelocatedParameters(json, sourcePath, outputPath, parameterValues);
        json = WithoutAbsolutePaths(json, sourcePath, outputPath, parameterValues);
        // After the absolute paths: a relocated path can contain the repository's folder names (the copy in /tmp names
        // ../../work/repo/lib/...), which must not be rewritten a second time.
        json = WithRelocatedPaths(json, sourcePath, outputPath);
        PneuKnow.Runtime.AtomicFile.WriteAllText(outputPath, json);
    }

    /// <summary>
    /// nbformat 4.5 cell ids (present and unique): a source cell keeps its own id, or gets <c>cell-N</c> from its
    /// position in the source notebook, so ids stay the same from one run to the next; the injected parameters
    /// cell is <c>injected-parameters</c>.
    /// </summary>
    static string WithCellIds(string json, string sourcePath)
    {
        var written = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var sourceCells = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sourcePath))!["cells"]!.AsArray()
            .Where(c => !(c?["metadata"]?["tags"]?.AsArray().Any(t => t?.GetValue<string>() == NotebookParameters.InjectedTag) ?? false)).ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        int next = 0;
        foreach (var cell in written["cells"]!.AsArray())
        {
            bool injected = cell?["metadata"]?["tags"]?.AsArray().Any(t => t?.GetValue<string>() == NotebookParameters.InjectedTag) ?? false;
            string id;
            if (injected) id = "injected-parameters";
            else
            {
                var own = next < sourceCells.Count ? sourceCells[next]?["id"]?.GetValue<string>() : null;
                id = own ?? $"cell-{next + 1}";
                next++;
            }
            while (!used.Add(id)) id += "-1";
            cell!["id"] = id;
        }
        written["nbformat"] = 4;
        written["nbformat_minor"] = Math.Max(5, written["nbformat_minor"]?.GetValue<int>() ?? 5);
        return written.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>A string literal in code that is a relative path (<c>"../lib/…"</c>, <c>"./x"</c>), without interpolation holes.</summary>
    static readonly System.Text.RegularExpressions.Regex RelativePathLiteral = new("\"(\\.{1,2}/[^\"\\n{}]*)\"");

    /// <summary>
    /// Re-expresses the relative paths of the code cells from where the executed copy lies: a string literal that starts
    /// with <c>./</c> or <c>../</c> and names a file or folder that exists from the source notebook's folder (the
    /// <c>#r "../lib/…"</c> lines, the engine folder of the load cell, a parameter's default) becomes the path of the same
    /// file or folder relative to the executed copy's folder, so that the copy (e.g. <c>results/&lt;preset&gt;/notebooks/</c>)
    /// runs again where it is stored. The injected parameters cell is left to <see cref="WithoutAbsolutePaths"/>, which
    /// writes its absolute values relative to the copy already. Nothing changes when the copy is beside its source.
    /// </summary>
    internal static string WithRelocatedPaths(string json, string sourcePath, string outputPath)
    {
        var sourceDir = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
        var outputDir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        if (string.Equals(sourceDir, outputDir, StringComparison.Ordinal)) return json;
        string Relocate(System.Text.RegularExpressions.Match m)
        {
            var full = Path.GetFullPath(Path.Combine(sourceDir, m.Groups[1].Value));
            if (!File.Exists(full) && !Directory.Exists(full)) return m.Value;
            var relative = Path.GetRelativePath(outputDir, full);
            if (Path.IsPathRooted(relative)) return m.Value; // another drive: no relative path exists
            relative = relative.Replace('\\', '/');
            return $"\"{(relative.StartsWith("../", StringComparison.Ordinal) ? relative : "./" + relative)}\"";
        }
        var written = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        foreach (var cell in written["cells"]!.AsArray())
        {
            if ((string?)cell?["cell_type"] != "code") continue;
            if (cell["metadata"]?["tags"]?.AsArray().Any(t => t?.GetValue<string>() == NotebookParameters.InjectedTag) ?? false) continue;
            switch (cell["source"])
            {
                case System.Text.Json.Nodes.JsonArray lines:
                    for (int i = 0; i < lines.Count; i++)
                        lines[i] = RelativePathLiteral.Replace(lines[i]!.GetValue<string>(), Relocate);
                    break;
                case System.Text.Json.Nodes.JsonValue text:
                    cell["source"] = RelativePathLiteral.Replace(text.GetValue<string>(), Relocate);
                    break;
            }
        }
        return written.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// Re-expresses the relative path values of the injected parameters cell from where the executed copy lies. The kernel
    /// runs in the source notebook's folder, so <c>-p data=../data/generated</c> names a folder from there; written
    /// unchanged into a copy under <c>results/&lt;preset&gt;/notebooks/</c> it would name nothing. A string parameter whose
    /// value is a relative path to an existing file or folder (resolved from the source notebook's folder) is written as
    /// the path of the same file or folder relative to the copy's folder; other values (absolute ones, which
    /// <see cref="WithoutAbsolutePaths"/> handles, and text that names nothing) stay as given. Nothing changes when the
    /// copy is beside its source.
    /// </summary>
    internal static string WithRelocatedParameters(string json, string sourcePath, string outputPath, IEnumerable<string> parameterValues)
    {
        var sourceDir = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
        var outputDir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        if (string.Equals(sourceDir, outputDir, StringComparison.Ordinal)) return json;
        var replacements = new List<(string From, string To)>();
        foreach (var value in parameterValues.Distinct(StringComparer.Ordinal))
        {
            if (value.Length == 0 || Path.IsPathRooted(value)) continue;
            var full = Path.GetFullPath(Path.Combine(sourceDir, value));
            if (!File.Exists(full) && !Directory.Exists(full)) continue;
            var relative = Path.GetRelativePath(outputDir, full);
            if (Path.IsPathRooted(relative)) continue; // another drive: no relative path exists
            relative = relative.Replace('\\', '/');
            if (relative != "." && !relative.StartsWith("../", StringComparison.Ordinal)) relative = "./" + relative;
            // The injected cell spells a string parameter as a C# literal (NotebookParameters.InjectedSource).
            replacements.Add((Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true),
                              Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(relative, quote: true)));
        }
        if (replacements.Count == 0) return json;
        string Rewrite(string line)
        {
            foreach (var (from, to) in replacements) line = line.Replace(" = " + from + ";", " = " + to + ";", StringComparison.Ordinal);
            return line;
        }
        var written = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        foreach (var cell in written["cells"]!.AsArray())
        {
            if (!(cell?["metadata"]?["tags"]?.AsArray().Any(t => t?.GetValue<string>() == NotebookParameters.InjectedTag) ?? false)) continue;
            switch (cell["source"])
            {
                case System.Text.Json.Nodes.JsonArray lines:
                    for (int i = 0; i < lines.Count; i++) lines[i] = Rewrite(lines[i]!.GetValue<string>());
                    break;
                case System.Text.Json.Nodes.JsonValue text:
                    cell["source"] = Rewrite(text.GetValue<string>());
                    break;
            }
        }
        return written.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// Rewrites the absolute folders this run knows (the repository the notebook lives in, the output folder and
    /// absolute path parameters) as paths relative to the executed copy, and the user's home folder as <c>~</c>, so that an executed notebook names no
    /// folder of the machine it ran on, and its injected parameters still point at the same places from where it lies.
    /// </summary>
    static string WithoutAbsolutePaths(string json, string sourcePath, string outputPath, IEnumerable<string> parameterValues)
    {
        var outputDir = Path.GetDirectoryName(outputPath)!;
        var roots = parameterValues.Where(v => Path.IsPathFullyQualified(v)).Select(v => Path.TrimEndingDirectorySeparator(Path.GetFullPath(v)))
            .Append(outputDir)
            .Append(Path.GetDirectoryName(Path.GetDirectoryName(sourcePath)!)!)
            .Where(r => r.Length > 1).ToList();
        // A folder reached through a symbolic link (a checkout under a linked mount) appears in what the process itself
        // reports, such as the libtorch mapped into it, under its real path: that spelling is rewritten too.
        var spellings = roots.SelectMany(r => new[] { (Spelling: r, Root: r), (Spelling: RealPath(r), Root: r) })
            .Where(s => s.Spelling.Length > 1).DistinctBy(s => s.Spelling).OrderByDescending(s => s.Spelling.Length).ToList();
        foreach (var (spelling, root) in spellings)
        {
            var relative = Path.GetRelativePath(outputDir, root).Replace('\\', '/');
            json = json.Replace(spelling, relative == "." ? "." : relative);
        }
        // What is left under the user's home folder (a cache file a diagnostic names, a NuGet package) is written from
        // "~", which names no user of this machine.
        var home = Path.TrimEndingDirectorySeparator(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        if (home.Length > 1)
        {
            var realHome = RealPath(home);
            if (realHome != home && realHome.Length > 1) json = json.Replace(realHome + "/", "~/");
            json = json.Replace(home + "/", "~/");
        }
        // Anything left under a folder that belongs to this machine (a cache or package folder set elsewhere, a temporary
        // folder another process wrote in a diagnostic) keeps only its file name: the folder is of no use to a reader.
        return MachineFolder().Replace(json, m => "…/" + m.Groups["name"].Value);
    }

    // An absolute path under a top folder that holds machine- or user-specific files, not a URL's path or a relative one.
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.~:/-])/(tmp|home|work|root|mnt|var|opt|srv|check|Users|private)/(?:[^\s""'<>;:,()\\/]+/)*(?<name>[^\s""'<>;:,()\\/]*)")]
    private static partial System.Text.RegularExpressions.Regex MachineFolder();

    /// <summary>
    /// <paramref name="path"/> with every symbolic link along it resolved, as <c>realpath</c> gives it; the path itself where a
    /// part of it cannot be read.
    /// </summary>
    internal static string RealPath(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var root = Path.GetPathRoot(full)!;
            var resolved = root;
            foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
            {
                var next = Path.Combine(resolved, part);
                var info = new DirectoryInfo(next);
                resolved = info.Exists && info.LinkTarget is not null
                    ? RealPath(info.ResolveLinkTarget(returnFinalTarget: true)!.FullName)
                    : next;
            }
            return Path.TrimEndingDirectorySeparator(resolved);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return path;
        }
    }
}
