using PneuKnow.Notebooks;
using PneuKnow.Plots;
using PneuKnow.Tests.Plots;
using PuppeteerSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>
/// What a reader without a kernel sees: an executed notebook converted to static HTML (no script, no network), rendered
/// by headless Chromium; the chart area must not be blank.
/// </summary>
[Collection(NotebookCollection.Name)]
[Trait("Category", "Slow")]
public sealed class NotebookScreenshotTests(ITestOutputHelper output)
{
    [ChromiumFact]
    public async Task An_executed_notebooks_chart_renders_without_scripts_or_network()
    {
        var outDir = NotebookPaths.TempOutput();
        try
        {
            var path = Path.Combine(NotebookPaths.Notebooks, "00-getting-started.ipynb");
            var result = await NotebookRunner.RunAsync(new NotebookRunRequest(path, outDir, new Dictionary<string, string> { ["preset"] = "smoke" }), new TestOutputWriter(output));
            Assert.True(result.Succeeded, result.Describe());
            var html = NotebookHtml.Convert(result.OutputPath);

            await using var offline = await OfflineBrowser.OpenAsync(url => url.StartsWith("data:", StringComparison.Ordinal) || url == "about:blank", 1200, 900);
            var page = offline.Page;
            var requested = offline.Requested;
            await page.SetContentAsync(html);
            var chart = await page.QuerySelectorAsync("img.output");
            Assert.NotNull(chart);   // the chart output is an image a static viewer can show
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 100, Height: > 100 }, $"expected a chart of at least 100×100 px, found {box?.Width}×{box?.Height}");
            var shot = await chart.ScreenshotDataAsync(new ElementScreenshotOptions { Type = ScreenshotType.Png });
            Assert.Empty(requested);   // nothing was fetched from a network

            using var image = Image.Load<Rgb24>(shot);
            double sum = 0, sq = 0;
            image.ProcessPixelRows(rows => { for (int y = 0; y < rows.Height; y++) foreach (var p in rows.GetRowSpan(y)) { double g = (p.R + p.G + p.B) / 3.0; sum += g; sq += g * g; } });
            double n = image.Width * image.Height, variance = sq / n - sum / n * (sum / n);
            output.WriteLine($"chart area {image.Width}×{image.Height}, pixel variance {variance:F1}");
            // A blank (white) area has variance 0; bars, axes and labels on white give hundreds.
            Assert.True(variance > 100, $"expected a drawn chart, found pixel variance {variance:F1}");
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }
}
