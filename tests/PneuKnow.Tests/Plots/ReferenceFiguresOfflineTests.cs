using System.Text.Json;
using PneuKnow.Plots;
using PneuKnow.Study;
using PneuKnow.Tests.Notebooks;
using SixLabors.ImageSharp;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// The committed reference figures as a reader opens them from a clone: every page under results/reference/*/figures/
/// rendered offline by headless Chromium, loading plotly.js from the one shared copy (results/reference/plotly.min.js) or
/// its folder's own, and every PNG beside it at its page's layout size times the scale it was exported at.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReferenceFiguresOfflineTests
{
    [ChromiumFact]
    public async Task Every_committed_figure_page_draws_offline_from_a_local_plotly_js_and_its_png_has_the_page_size()
    {
        var reference = Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference");
        var pages = Directory.EnumerateFiles(reference, "*.html", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(Path.GetDirectoryName(p)) == "figures").Order(StringComparer.Ordinal).ToList();
        Assert.Contains(pages, p => p.Contains(Path.Combine("quick", "figures"), StringComparison.Ordinal));
        await using var offline = await OfflineBrowser.OpenAsync(
            url => url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), 1600, 1000);
        foreach (var page in pages)
        {
            var loaded = new List<string>();
            void Seen(object? _, PuppeteerSharp.RequestEventArgs e) { if (e.Request.Url.EndsWith(".js", StringComparison.Ordinal)) loaded.Add(e.Request.Url); }
            offline.Page.Request += Seen;
            await offline.Page.GoToAsync(new Uri(page).AbsoluteUri);
            await offline.Page.WaitForFunctionAsync("() => { const g = document.querySelector('.js-plotly-plot'); return g && g._fullLayout; }",
                new PuppeteerSharp.WaitForFunctionOptions { Timeout = 60_000 });
            offline.Page.Request -= Seen;
            Assert.True(offline.Requested.Count == 0, $"{page}: requested {string.Join(", ", offline.Requested)}");
            // The script it ran is a plotly.min.js on disk: the shared copy or the folder's own.
            var script = new Uri(Assert.Single(loaded)).LocalPath;
            Assert.Equal(FigureFile.PlotlyJsFileName, Path.GetFileName(script));
            Assert.True(FigureFile.IsCurrentPlotlyJs(script), $"{page}: loaded {script}, not the plotly.js Plotly.NET embeds");

            var size = JsonDocument.Parse(await offline.Page.EvaluateFunctionAsync<string>(
                "() => { const fl = document.querySelector('.js-plotly-plot')._fullLayout; return JSON.stringify({ w: fl.width, h: fl.height }); }")).RootElement;
            double scale = Path.GetFileName(page).StartsWith(StudyDecisionRegionFigures.PictureStem, StringComparison.Ordinal) ? DecisionRegionFigure.PngScale : FigureFile.PngScale;
            var png = Image.Identify(Path.ChangeExtension(page, ".png"));
            Assert.Equal(((int)(size.GetProperty("w").GetDouble() * scale), (int)(size.GetProperty("h").GetDouble() * scale)), (png.Width, png.Height));
        }
    }
}
