using System.Text.Json.Nodes;
using PneuKnow.Notebooks;
using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>The runner's failure modes and parameters, on small fixture notebooks (no torch, no NuGet).</summary>
[Collection(NotebookCollection.Name)]
public sealed class NotebookRunnerTests(ITestOutputHelper output) : IDisposable
{
    readonly string _out = NotebookPaths.TempOutput();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    Task<NotebookRunResult> Run(string fixture, Dictionary<string, string>? parameters = null) =>
        NotebookRunner.RunAsync(new NotebookRunRequest(NotebookPaths.Fixture(fixture), _out, parameters), new TestOutputWriter(output));

    static List<JsonNode> Cells(string executedPath) =>
        JsonNode.Parse(File.ReadAllText(executedPath))!["cells"]!.AsArray().Select(c => c!).ToList();

    static string Outputs(JsonNode cell) => string.Concat(cell["outputs"]!.AsArray().Select(o => o!.ToJsonString()));

    [Fact]
    public async Task A_throwing_cell_stops_the_run_and_is_named_with_its_source_and_error()
    {
        var result = await Run("throws-at-cell-3.ipynb");

        Assert.False(result.Succeeded);
        Assert.Equal(3, result.Failure!.CellNumber);
        Assert.Contains("throw new InvalidOperationException", result.Failure.Source);
        Assert.Contains("deliberate failure after answer=42", result.Failure.Error);
        var described = result.Describe();
        Assert.Contains("cell 3 failed", described);
        Assert.Contains("throw new InvalidOperationException", described);

        // The executed copy is written anyway: cell 2's output, cell 3's error, cell 4 never ran.
        var cells = Cells(result.OutputPath);
        Assert.Contains("answer=42", Outputs(cells[1]));
        Assert.Contains("\"output_type\":\"error\"", Outputs(cells[2]));
        Assert.Empty(cells[3]["outputs"]!.AsArray());
        Assert.Null(cells[3]["execution_count"]?.GetValue<int?>());
        Assert.Equal(2, result.CodeCellsRun);
    }

    [Fact]
    public async Task A_cell_that_does_not_compile_fails_the_run_with_the_compiler_error()
    {
        var result = await Run("does-not-compile-at-cell-2.ipynb");

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Failure!.CellNumber);
        Assert.Contains("CS0103", result.Failure.Error);
        Assert.Contains("undefinedName", result.Failure.Error);
        var cells = Cells(result.OutputPath);
        Assert.Contains("CS0103", Outputs(cells[1]));
        Assert.Empty(cells[2]["outputs"]!.AsArray());
    }

    [Fact]
    public async Task Without_overrides_the_defaults_of_the_parameters_cell_apply()
    {
        var result = await Run("parameters.ipynb");

        Assert.True(result.Succeeded, result.Describe());
        var cells = Cells(result.OutputPath);
        Assert.Equal(3, cells.Count);
        Assert.Contains("preset=smoke epochs=2 learningRate=0.001 fast=True sum=3", Outputs(cells[2]));
    }

    [Fact]
    public async Task Overrides_are_injected_after_the_parameters_cell_with_the_declared_types()
    {
        var result = await Run("parameters.ipynb", new()
        {
            ["preset"] = "quick \"with quotes\"",
            ["epochs"] = "7",
            ["learningRate"] = "0.25",
            ["fast"] = "false",
        });

        Assert.True(result.Succeeded, result.Describe());
        var cells = Cells(result.OutputPath);
        Assert.Equal(4, cells.Count);
        Assert.Contains(NotebookParameters.InjectedTag, AllNotebooksRunTests.Tags(cells[2]));
        // epochs is an int: epochs + 1 is arithmetic, not string concatenation.
        Assert.Contains("preset=quick \\u0022with quotes\\u0022 epochs=7 learningRate=0.25 fast=False sum=8", Outputs(cells[3]));
    }

    [Fact]
    public async Task An_undeclared_parameter_is_an_error_listing_the_declared_ones()
    {
        var e = await Assert.ThrowsAsync<NotebookRunException>(() => Run("parameters.ipynb", new() { ["presett"] = "quick" }));
        Assert.Contains("'presett' is not declared", e.Message);
        Assert.Contains("declared: preset, epochs, learningRate, fast", e.Message);
        Assert.Empty(Directory.GetFiles(_out));
    }

    [Fact]
    public async Task A_value_that_does_not_parse_as_the_parameter_type_is_an_error()
    {
        var e = await Assert.ThrowsAsync<NotebookRunException>(() => Run("parameters.ipynb", new() { ["epochs"] = "many" }));
        Assert.Contains("'epochs' is an int", e.Message);
        Assert.Contains("found 'many'", e.Message);
    }

    [Fact]
    public async Task Parameters_for_a_notebook_without_a_parameters_cell_are_an_error()
    {
        var e = await Assert.ThrowsAsync<NotebookRunException>(() => Run("throws-at-cell-3.ipynb", new() { ["preset"] = "smoke" }));
        Assert.Contains("no cell is tagged \"parameters\"", e.Message);
    }

    [Fact]
    public async Task A_path_that_is_not_an_ipynb_is_rejected()
    {
        var script = Path.Combine(_out, "notebook.csx");
        File.WriteAllText(script, "Console.WriteLine(1);");
        var e = await Assert.ThrowsAsync<NotebookRunException>(() =>
            NotebookRunner.RunAsync(new NotebookRunRequest(script, _out)));
        Assert.Contains("expected a Jupyter notebook (.ipynb)", e.Message);
        Assert.Contains(".csx", e.Message);
    }

    [Fact]
    public async Task A_missing_notebook_is_rejected_with_the_path_looked_for()
    {
        var missing = Path.Combine(_out, "no-such-chapter.ipynb");
        var e = await Assert.ThrowsAsync<NotebookRunException>(() =>
            NotebookRunner.RunAsync(new NotebookRunRequest(missing, _out)));
        Assert.Contains("no such notebook", e.Message);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_notebook_json_is_rejected()
    {
        var broken = Path.Combine(_out, "broken.ipynb");
        File.WriteAllText(broken, "{ this is not json");
        var e = await Assert.ThrowsAsync<NotebookRunException>(() =>
            NotebookRunner.RunAsync(new NotebookRunRequest(broken, Path.Combine(_out, "executed"))));
        Assert.Contains("not a readable Jupyter notebook", e.Message);
    }

    [Fact]
    public async Task Relative_paths_in_code_name_the_same_files_from_where_the_executed_copy_lies()
    {
        var result = await Run("relative-paths.ipynb");

        Assert.True(result.Succeeded, result.Describe());
        Assert.Contains("True", Outputs(Cells(result.OutputPath)[0]));
        var source = AllNotebooksRunTests.Source(Cells(result.OutputPath)[0]);
        // The engine's path, written relative to the copy's folder, reaches the same file from there.
        var literal = System.Text.RegularExpressions.Regex.Match(source, "var engine = \"([^\"]+)\"").Groups[1].Value;
        Assert.NotEqual("../../../../lib/PneuKnow.Notebooks/bin/Release/net10.0/PneuKnow.Notebooks.dll", literal);
        Assert.False(Path.IsPathRooted(literal), literal);
        Assert.Equal(Path.GetFullPath(Path.Combine(NotebookPaths.RepositoryRoot, "lib/PneuKnow.Notebooks/bin/Release/net10.0/PneuKnow.Notebooks.dll")),
            Path.GetFullPath(Path.Combine(_out, literal)));
        // A path that names nothing, and an interpolated one, are left as written.
        Assert.Contains("var missing = \"../no/such/file.txt\";", source);
        Assert.Contains("$\"../{name}/file.txt\"", source);
    }

    [Fact]
    public async Task A_checkout_reached_through_a_symbolic_link_is_rewritten_under_its_real_path_too()
    {
        // What the process reports of itself (the libtorch mapped into it, read from /proc/self/maps) names the
        // checkout by its real path, while the notebook was opened through a linked folder.
        var real = Directory.CreateDirectory(Path.Combine(_out, "real", "repo", "notebooks")).FullName;
        var linkedRoot = Path.Combine(_out, "linked");
        Directory.CreateSymbolicLink(linkedRoot, Path.Combine(_out, "real"));
        var realLibrary = Path.Combine(_out, "real", "repo", "lib", "libtorch_cpu.so");
        var cell = new JsonObject
        {
            ["cell_type"] = "code", ["id"] = "c1", ["metadata"] = new JsonObject(), ["execution_count"] = null,
            ["outputs"] = new JsonArray(),
            ["source"] = new JsonArray(
                $"Console.WriteLine(\"loaded: \" + {Hidden(realLibrary)});\n",
                // A folder the runner knows nothing of: a cache set elsewhere, quoted by a diagnostic.
                $"Console.WriteLine(\"cached in \" + {Hidden("/var/cache/pneuknow/onednn-isa-0123.json")} + \"; see https://example.org/var/x/y\");"),
        };
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(cell), ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5,
        };
        File.WriteAllText(Path.Combine(real, "linked.ipynb"), notebook.ToJsonString());
        var executed = Path.Combine(_out, "executed");

        var result = await NotebookRunner.RunAsync(
            new NotebookRunRequest(Path.Combine(linkedRoot, "repo", "notebooks", "linked.ipynb"), executed), new TestOutputWriter(output));

        Assert.True(result.Succeeded, result.Describe());
        var printed = string.Concat(Cells(result.OutputPath)[0]["outputs"]!.AsArray()
            .SelectMany(o => o!["text"] is JsonArray lines ? lines.Select(l => (string)l!) : [(string?)o!["text"] ?? ""]));
        Assert.Contains("loaded: ../linked/repo/lib/libtorch_cpu.so", printed);
        Assert.Contains("cached in …/onednn-isa-0123.json; see https://example.org/var/x/y", printed);
        var violations = PneuKnow.Tests.Plots.ResultsHygiene.Violations(executed);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public async Task A_relative_parameter_is_written_relative_to_the_executed_copy_and_names_the_same_folder()
    {
        // The kernel runs in the source notebook's folder, so "../data" is read from there; the copy lies elsewhere.
        var notebooks = Directory.CreateDirectory(Path.Combine(_out, "repo", "notebooks")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(_out, "repo", "data")).FullName;
        JsonObject Code(string id, string source, params string[] tags) => new()
        {
            ["cell_type"] = "code", ["id"] = id, ["execution_count"] = null, ["outputs"] = new JsonArray(),
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray(tags.Select(t => (JsonNode)t).ToArray()) },
            ["source"] = source,
        };
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(
                Code("p", "string data = \"nowhere\";\nstring label = \"study\";", "parameters"),
                Code("c", "Console.WriteLine(System.IO.Directory.Exists(data));")),
            ["metadata"] = new JsonObject(), ["nbformat"] = 4, ["nbformat_minor"] = 5,
        };
        File.WriteAllText(Path.Combine(notebooks, "relative-parameter.ipynb"), notebook.ToJsonString());
        var executed = Path.Combine(_out, "results", "quick", "notebooks");

        var result = await NotebookRunner.RunAsync(new NotebookRunRequest(Path.Combine(notebooks, "relative-parameter.ipynb"), executed,
            new Dictionary<string, string> { ["data"] = "../data", ["label"] = "study" }), new TestOutputWriter(output));

        Assert.True(result.Succeeded, result.Describe());
        var cells = Cells(result.OutputPath);
        Assert.Contains("True", Outputs(cells.Single(c => (string?)c["id"] == "c")));
        var injected = AllNotebooksRunTests.Source(cells.Single(c => (string?)c["id"] == "injected-parameters"));
        var literal = System.Text.RegularExpressions.Regex.Match(injected, "string data = \"([^\"]+)\";").Groups[1].Value;
        Assert.Equal("../../../repo/data", literal);
        Assert.Equal(data, Path.GetFullPath(Path.Combine(executed, literal)));
        // A value that names no file or folder is text, and stays as given.
        Assert.Contains("string label = \"study\";", injected);
    }

    // C# that evaluates to text without the text appearing in the cell's source (only its output is under test).
    static string Hidden(string text) =>
        $"System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(\"{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text))}\"))";

    [Theory]
    [InlineData("preset")]
    [InlineData("=smoke")]
    public void Malformed_pairs_are_rejected(string pair)
    {
        var e = Assert.Throws<NotebookRunException>(() => NotebookParameters.ParsePairs([pair]));
        Assert.Contains("expected key=value", e.Message);
    }

    [Fact]
    public void Declared_parameters_are_read_with_their_types()
    {
        var declared = NotebookParameters.Declared("var preset = \"smoke\";\nint epochs = 2;\nvar lr = -1e-3;\nvar seeds = new[] { 1, 2 };\n");
        Assert.Equal(
            [("preset", "string"), ("epochs", "int"), ("lr", "double"), ("seeds", (string?)null)],
            declared.Select(d => (d.Name, d.Type)).ToArray());
    }
}
