using System.Globalization;
using System.Text.Json;
using PneuKnow.Plots;
using PuppeteerSharp;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// The confusion figure as a reader opens it: the saved HTML (with the plotly.min.js written beside it) rendered
/// offline by headless Chromium, then read back from plotly's own laid-out figure and the drawn page.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConfusionFigureRenderingTests : IDisposable
{
    readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("pneuknow-confusion-");
    public void Dispose() => dir.Delete(true);

    static readonly string[] Classes = ["B", "C", "NB"];
    static readonly string[] Names = ["bacterial", "COVID-19", "healthy"];

    // Rows: true class, columns: predicted. Row totals 10, 20, 40 (baseline) and 10, 20, 40 (student).
    static readonly int[,] Baseline = { { 6, 3, 1 }, { 2, 14, 4 }, { 0, 4, 36 } };
    static readonly int[,] Student = { { 9, 1, 0 }, { 1, 18, 1 }, { 2, 2, 36 } };

    [ChromiumFact]
    public async Task Both_panels_carry_their_own_annotations_on_one_fixed_colour_scale_and_nothing_collides()
    {
        var chart = StudyFigures.Confusions([("baseline", Baseline), ("HKD student", Student)], Classes, "r18: confusion");
        var saved = FigureFile.Save(chart, Path.Combine(dir.FullName, "confusion.html"));
        Assert.NotNull(saved.Png);

        // The page and the plotly.min.js beside it are files; anything else would be a network request.
        await using var offline = await OfflineBrowser.OpenAsync(
            url => url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), 1600, 1000);
        var page = offline.Page;
        var requested = offline.Requested;
        await page.GoToAsync(new Uri(saved.Html).AbsoluteUri);
        await page.WaitForFunctionAsync("() => { const g = document.querySelector('.js-plotly-plot'); return g && g._fullLayout && document.querySelectorAll('g.annotation').length > 0; }");
        Assert.Empty(requested);

        // What plotly laid out, and where it drew each annotation and row label (page pixels).
        var json = await page.EvaluateFunctionAsync<string>(@"() => {
            const gd = document.querySelector('.js-plotly-plot'); const fl = gd._fullLayout; const origin = gd.getBoundingClientRect();
            const box = e => { const r = e.getBoundingClientRect(); return { left: r.left - origin.left, right: r.right - origin.left, top: r.top - origin.top, bottom: r.bottom - origin.top }; };
            const axis = a => ({ offset: a._offset, length: a._length, title: (a.title && a.title.text) || '', ticktext: a.ticktext || [] });
            const drawn = fl.annotations.map((_, i) => { const g = document.querySelector('g.annotation[data-index=""' + i + '""]'); return g ? box(g) : null; });
            return JSON.stringify({
                width: fl.width, height: fl.height,
                coloraxis: { cmin: fl.coloraxis.cmin, cmax: fl.coloraxis.cmax },
                colorbars: document.querySelectorAll('g.colorbar').length,
                traces: gd._fullData.map(t => ({ type: t.type, coloraxis: t.coloraxis || '', xaxis: t.xaxis, yaxis: t.yaxis })),
                annotations: fl.annotations.map((a, i) => ({ text: a.text, xref: a.xref, yref: a.yref, x: a.x, y: a.y, box: drawn[i] })),
                axes: { x: axis(fl.xaxis), y: axis(fl.yaxis), x2: axis(fl.xaxis2), y2: axis(fl.yaxis2) },
                // plotly names each axis's tick groups after the axis: .ytick, .y2tick.
                yticks: { y: Array.from(document.querySelectorAll('g.ytick text')).map(box), y2: Array.from(document.querySelectorAll('g.y2tick text')).map(box) },
            });
        }");
        var f = JsonDocument.Parse(json).RootElement;

        // One fixed scale for both panels, one colourbar.
        Assert.Equal(0.0, f.GetProperty("coloraxis").GetProperty("cmin").GetDouble());
        Assert.Equal(1.0, f.GetProperty("coloraxis").GetProperty("cmax").GetDouble());
        Assert.Equal(1, f.GetProperty("colorbars").GetInt32());
        var traces = f.GetProperty("traces").EnumerateArray().ToList();
        Assert.Equal([("x", "y"), ("x2", "y2")], traces.Select(t => (t.GetProperty("xaxis").GetString(), t.GetProperty("yaxis").GetString())));
        Assert.All(traces, t => Assert.Equal("coloraxis", t.GetProperty("coloraxis").GetString()));

        // Axis titles and per-row n in the row labels, computed here from the counts.
        var axes = f.GetProperty("axes");
        Assert.Equal("predicted class", axes.GetProperty("x").GetProperty("title").GetString());
        Assert.Equal("predicted class", axes.GetProperty("x2").GetProperty("title").GetString());
        Assert.Equal("true class", axes.GetProperty("y").GetProperty("title").GetString());
        foreach (var (matrix, y) in new[] { (Baseline, "y"), (Student, "y2") })
            Assert.Equal(Enumerable.Range(0, 3).Select(t => $"{Names[t]} (n = {Enumerable.Range(0, 3).Sum(p => matrix[t, p])})"),
                axes.GetProperty(y).GetProperty("ticktext").EnumerateArray().Select(e => e.GetString()));

        // Each panel carries classes² cell annotations on its own axes, each with its cell's row share, drawn inside that panel.
        var annotations = f.GetProperty("annotations").EnumerateArray().ToList();
        foreach (var (matrix, x, y) in new[] { (Baseline, "x", "y"), (Student, "x2", "y2") })
        {
            var mine = annotations.Where(a => a.GetProperty("xref").GetString() == x && a.GetProperty("yref").GetString() == y).ToList();
            Assert.Equal(Classes.Length * Classes.Length, mine.Count);
            var xAxis = axes.GetProperty(x);
            var yAxis = axes.GetProperty(y);
            double left = xAxis.GetProperty("offset").GetDouble(), right = left + xAxis.GetProperty("length").GetDouble();
            double top = yAxis.GetProperty("offset").GetDouble(), bottom = top + yAxis.GetProperty("length").GetDouble();
            for (int t = 0; t < 3; t++)
                for (int p = 0; p < 3; p++)
                {
                    double total = Enumerable.Range(0, 3).Sum(q => matrix[t, q]);
                    var cell = Assert.Single(mine, a => a.GetProperty("x").GetDouble() == p && a.GetProperty("y").GetDouble() == t);
                    Assert.Equal((matrix[t, p] / total).ToString("0.00", CultureInfo.InvariantCulture), cell.GetProperty("text").GetString());
                    var box = cell.GetProperty("box");
                    double cx = (box.GetProperty("left").GetDouble() + box.GetProperty("right").GetDouble()) / 2;
                    double cy = (box.GetProperty("top").GetDouble() + box.GetProperty("bottom").GetDouble()) / 2;
                    Assert.InRange(cx, left, right);
                    Assert.InRange(cy, top, bottom);
                }
        }

        // No row label runs into cells: the student's labels sit between the two panels, the baseline's left of its panel.
        double x1Left = axes.GetProperty("x").GetProperty("offset").GetDouble();
        double x1Right = x1Left + axes.GetProperty("x").GetProperty("length").GetDouble();
        double x2Left = axes.GetProperty("x2").GetProperty("offset").GetDouble();
        var y1Labels = f.GetProperty("yticks").GetProperty("y").EnumerateArray().ToList();
        var y2Labels = f.GetProperty("yticks").GetProperty("y2").EnumerateArray().ToList();
        Assert.Equal(3, y1Labels.Count);
        Assert.Equal(3, y2Labels.Count);
        Assert.All(y1Labels, b => Assert.True(b.GetProperty("left").GetDouble() >= 0 && b.GetProperty("right").GetDouble() <= x1Left, $"baseline row label {b} overlaps its panel starting at {x1Left}"));
        Assert.All(y2Labels, b => Assert.True(b.GetProperty("left").GetDouble() >= x1Right && b.GetProperty("right").GetDouble() <= x2Left, $"student row label {b} leaves the gap {x1Right}–{x2Left}"));

        // The HTML is laid out at the size the PNG was exported at.
        using var png = Image.Load<Rgb24>(saved.Png!);
        Assert.Equal((png.Width, png.Height), ((int)(f.GetProperty("width").GetDouble() * FigureFile.PngScale), (int)(f.GetProperty("height").GetDouble() * FigureFile.PngScale)));
    }
}
