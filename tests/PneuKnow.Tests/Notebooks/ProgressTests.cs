using System.Text.Json.Nodes;
using PneuKnow.Cli.Commands;
using PneuKnow.Notebooks;
using Spectre.Console;
using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

[Collection(NotebookCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ProgressTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Notebook_progress_updates_one_display_in_place_and_the_executed_copy_keeps_the_final_state()
    {
        var outDir = NotebookPaths.TempOutput();
        try
        {
            var result = await NotebookRunner.RunAsync(
                new NotebookRunRequest(NotebookPaths.Fixture("progress.ipynb"), outDir), new TestOutputWriter(output));
            Assert.True(result.Succeeded, result.Describe());

            var cell = JsonNode.Parse(File.ReadAllText(result.OutputPath))!["cells"]![1]!;
            var displays = cell["outputs"]!.AsArray().Where(o => (string?)o!["output_type"] == "display_data").ToList();
            var html = string.Concat(Assert.Single(displays)!["data"]!["text/html"]!.AsArray().Select(l => (string)l!));
            Assert.Contains("<progress max=\"5\" value=\"5\"", html);
            Assert.Contains("5/5 (done", html);
            Assert.Contains("step 5", html);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public async Task Line_progress_shows_one_line_per_cell_and_png_bytes_show_as_an_image()
    {
        var outDir = NotebookPaths.TempOutput();
        try
        {
            var result = await NotebookRunner.RunAsync(
                new NotebookRunRequest(NotebookPaths.Fixture("line-progress.ipynb"), outDir), new TestOutputWriter(output));
            Assert.True(result.Succeeded, result.Describe());

            var cells = JsonNode.Parse(File.ReadAllText(result.OutputPath))!["cells"]!.AsArray();
            string Line(int cell)
            {
                var displays = cells[cell]!["outputs"]!.AsArray().Where(o => (string?)o!["output_type"] == "display_data").ToList();
                return string.Concat(Assert.Single(displays)!["data"]!["text/html"]!.AsArray().Select(l => (string)l!));
            }
            // Three tasks (two nested in one), one line, its last state the account of the cell.
            var study = Line(1);
            Assert.Contains("<b>study</b> 3/3 task(s) done", study);
            Assert.Contains("last: units", study);
            Assert.DoesNotContain("<progress", study);
            // A later cell gets a line of its own, counting from zero.
            Assert.Contains("<b>study</b> 1/1 task(s) done", Line(2));
            var image = Assert.Single(cells[3]!["outputs"]!.AsArray(), o => (string?)o!["output_type"] == "display_data")!;
            var png = image["data"]!["image/png"]!;
            Assert.StartsWith("iVBORw0KGgo", png is JsonArray lines ? string.Concat(lines.Select(l => (string)l!)) : (string)png!);
            Assert.Null(image["data"]!["text/html"]);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "<b>study</b> 2/3 task(s) done, 1.5 s &middot; last: data</div>")]
    [InlineData("epoch <2>", "<b>study</b> 2/3 task(s) done, 1.5 s &middot; epoch &lt;2&gt; <progress max=\"4\" value=\"1\"")]
    public void Line_html_counts_tasks_and_shows_the_running_one(string? running, string expected) =>
        Assert.Contains(expected, NotebookLineProgress.Render("study", 2, 3, TimeSpan.FromSeconds(1.5), running, 1, 4, null, "data"));

    [Fact]
    public void Png_display_refuses_bytes_that_are_not_a_png()
    {
        var e = Assert.Throws<ArgumentException>(() => NotebookDisplay.Png([1, 2, 3]));
        Assert.Contains("PNG", e.Message);
    }

    [Fact]
    public void Notebook_progress_outside_a_cell_says_what_to_use_instead()
    {
        var e = Assert.Throws<InvalidOperationException>(() => NotebookProgress.Create());
        Assert.Contains("SilentProgress", e.Message);
    }

    [Theory]
    [InlineData(0, 4, "0/4 (0 %")]
    [InlineData(3, 4, "3/4 (75 %")]
    [InlineData(0, 0, "0/0 (100 %")]
    public void Notebook_bar_html_shows_steps_and_percentage(long done, long total, string expected)
    {
        var html = NotebookProgress.Render("epoch <1>", done, total, "loss 0.5 & falling", TimeSpan.FromSeconds(2), finished: false);
        Assert.Contains(expected, html);
        Assert.Contains("epoch &lt;1&gt;", html);
        Assert.Contains("loss 0.5 &amp; falling", html);
    }

    [Fact]
    public async Task Terminal_progress_draws_a_bar_per_task_with_its_status()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.Yes, // live rendering needs cursor control; the escapes are stripped below
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
        });
        var finished = await TerminalProgress.RunAsync(progress =>
        {
            using (var task = progress.Start("epoch 1", 4))
                for (int i = 0; i < 4; i++) task.Advance(1, $"loss {1.0 / (i + 1):F2}");
            return Task.FromResult(true);
        }, console);

        Assert.True(finished);
        var drawn = System.Text.RegularExpressions.Regex.Replace(text.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]", "");
        Assert.Contains("epoch 1", drawn);
        Assert.Contains("loss 0.25", drawn);
        Assert.Contains("100%", drawn);
    }
}
