using System.Text.Json.Nodes;
using PneuKnow.Notebooks;
using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>
/// Every notebook in notebooks/ runs headlessly with preset=smoke, one test case per notebook (new notebooks
/// join without any change here). The engine they load with `#r "../lib/PneuKnow/bin/Release/net10.0/..."` is
/// built because this project references it, so `dotnet test -c Release` from a fresh clone is enough.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Slow")]
public sealed class AllNotebooksRunTests(ITestOutputHelper output)
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(NotebookPaths.Notebooks, "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void The_notebooks_folder_is_not_empty()
    {
        // An empty theory would pass silently; the study has at least its getting-started chapter.
        var names = Directory.GetFiles(NotebookPaths.Notebooks, "*.ipynb").Select(Path.GetFileName);
        Assert.Contains("00-getting-started.ipynb", names);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_headlessly_with_preset_smoke(string notebook)
    {
        var outDir = NotebookPaths.TempOutput();
        try
        {
            var path = Path.Combine(NotebookPaths.Notebooks, notebook);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = await NotebookRunner.RunAsync(
                new NotebookRunRequest(path, outDir, SmokeParameters(path)),
                new TestOutputWriter(output));
            output.WriteLine($"{notebook}: {clock.Elapsed.TotalSeconds:F1} s headless with preset=smoke");
            output.WriteLine(result.Describe());
            Assert.True(result.Succeeded, result.Describe());

            var executed = JsonNode.Parse(File.ReadAllText(result.OutputPath))!;
            var code = executed["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
            Assert.NotEmpty(code);
            Assert.All(code, c => Assert.NotNull(c!["execution_count"]?.GetValue<int?>()));
            Assert.Contains(code, c => c!["outputs"]!.AsArray().Count > 0);
            Assert.DoesNotContain(code.SelectMany(c => c!["outputs"]!.AsArray()), o => (string?)o!["output_type"] == "error");
            // The injected cell sits right after the parameters cell and carries the smoke preset.
            int parameters = code.FindIndex(c => Tags(c!).Contains(NotebookParameters.Tag));
            Assert.True(parameters >= 0, $"{notebook}: no cell tagged \"{NotebookParameters.Tag}\" (every chapter takes preset)");
            Assert.Contains(NotebookParameters.InjectedTag, Tags(code[parameters + 1]!));
            Assert.Contains("string preset = \"smoke\";", Source(code[parameters + 1]!));

            // nbformat 4.5: every cell has an id, valid and unique.
            var ids = executed["cells"]!.AsArray().Select(c => (string?)c!["id"]).ToList();
            Assert.All(ids, id => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", id ?? ""));
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.True(executed["nbformat_minor"]!.GetValue<int>() >= 5);
            // Readable anywhere: no CDN script, no absolute path of this machine (the temporary study and output
            // folders, the checkout), and, where a browser renders them, every chart is a PNG (without one, Plotly's HTML
            // output, which loads its script from a CDN, is all a chart can be).
            bool browser = PneuKnow.Plots.FigureFile.Browser.Find() is not null;
            // The whole list in the message: xUnit's Assert.Empty shows only the first 50 characters of an item.
            var violations = PneuKnow.Tests.Plots.ResultsHygiene.Violations(outDir, cdn: browser);
            Assert.True(violations.Count == 0, string.Join("\n", violations));
            var outputs = code.SelectMany(c => c!["outputs"]!.AsArray()).Where(o => o!["data"] is not null).ToList();
            if (PneuKnow.Plots.FigureFile.Browser.Find() is not null)
                Assert.DoesNotContain(outputs, o => ((string?)o!["data"]!["text/html"]?.ToJsonString() ?? "").Contains("Plotly.newPlot", StringComparison.Ordinal));
            // Images are image/png outputs, never HTML <img> tags with a data URL (which some viewers drop).
            Assert.DoesNotContain(outputs, o => ((string?)o!["data"]!["text/html"]?.ToJsonString() ?? "").Contains("data:image/png", StringComparison.Ordinal));
            // The chapter ends with its answer: the last cell (a code cell, NotebookProseTests) printed a sentence.
            var answer = string.Concat(code[^1]!["outputs"]!.AsArray().Where(o => (string?)o!["output_type"] == "stream")
                .SelectMany(o => o!["text"] is JsonArray lines ? lines.Select(l => (string)l!) : [(string)o!["text"]!]));
            Assert.True(answer.Trim().Length > 0, $"{notebook}: the last cell printed no answer.");
            var charts = code.Where(c => Source(c!).Contains("Figures.", StringComparison.Ordinal) || Source(c!).Contains("Chart.", StringComparison.Ordinal)).ToList();
            if (charts.Count > 0 && PneuKnow.Plots.FigureFile.Browser.Find() is not null)
            {
                Assert.Contains(outputs, o => o!["data"]!["image/png"] is not null);
                // A chart's PNG is stored as the figure files are: a palette PNG where faithful (PNG colour type 3, byte 25).
                static byte[] Png(JsonNode png) => Convert.FromBase64String(png is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string)png!);
                Assert.Contains(outputs, o => o!["data"]!["image/png"] is { } png && Png(png)[25] == 3);
            }
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    /// <summary>
    /// preset=smoke, plus, for chapters that declare them, a study folder (<c>results</c>) and a data folder
    /// (<c>data</c>) under one temporary folder shared by this test run: chapters 02–05 then train one smoke
    /// study between them, and nothing is written into the repository.
    /// </summary>
    internal static Dictionary<string, string> SmokeParameters(string notebookPath)
    {
        var parameters = new Dictionary<string, string> { ["preset"] = "smoke" };
        var declared = NotebookRunner.DeclaredParameters(notebookPath);
        if (declared.Contains("results")) parameters["results"] = Path.Combine(SharedStudy.Value, "study");
        if (declared.Contains("data")) parameters["data"] = Path.Combine(SharedStudy.Value, "data");
        return parameters;
    }

    // One folder per test process; removed when the process exits (a crashed run leaves it under the temp folder).
    static readonly Lazy<string> SharedStudy = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("pneuknow-notebook-study-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });

    internal static string[] Tags(JsonNode cell) =>
        cell["metadata"]?["tags"]?.AsArray().Select(t => (string)t!).ToArray() ?? [];

    internal static string Source(JsonNode cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string)l!)),
        { } s => (string)s!,
        null => "",
    };
}
