using SixLabors.ImageSharp;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using PneuKnow.Training;

namespace PneuKnow.Tests.Evaluation;

public class FiguresTests
{
    private static string Temp(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-log-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Training_log_in_the_authors_layout_gives_one_series_per_fold()
    {
        var path = Temp("fold1_val_loss,fold0_val_loss,fold0_train_loss,fold1_train_loss\n2,1,5,6\n4,3,7,\n");
        try
        {
            var log = TrainingLog.Read(path);
            Assert.Equal([1.0, 2.0], log.Epochs);
            var val = log.Series("val_loss");
            Assert.Equal(["fold0", "fold1"], val.Select(s => s.Run));
            Assert.Equal([1.0, 3.0], val[0].Values);
            Assert.True(double.IsNaN(log.Series("train_loss")[1].Values[1]));
            var ex = Assert.Throws<KeyNotFoundException>(() => log.Series("val_acc"));
            Assert.Contains("val_loss", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_trainers_epochs_column_numbers_the_rows()
    {
        var path = Temp("epochs,fold0_train_acc,fold0_train_loss,fold0_val_acc,fold0_val_loss,lr,consistency_weight\n0,0.5,1.2,0.4,1.3,0.0001,0.5\n1,0.6,1.0,0.5,1.1,0.0001,0.49\n");
        try
        {
            var log = TrainingLog.Read(path);
            Assert.Equal([0.0, 1.0], log.Epochs);
            Assert.False(log.Columns.ContainsKey("epochs"));
            Assert.Equal([1.3, 1.1], log.Series("val_loss").Single().Values);
            Assert.Equal([0.5, 0.49], log.Columns["consistency_weight"]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Malformed_training_log_names_row_and_column()
    {
        var path = Temp("fold0_val_loss,fold0_val_acc\n1,0.5\n1,x\n");
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => TrainingLog.Read(path));
            Assert.Contains("row 3, column fold0_val_acc", ex.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Loss_curves_draw_thin_runs_and_their_mean_into_self_contained_html()
    {
        var chart = Figures.LossCurves([1.0, 2.0], [("val loss", [("fold0", [1.0, 3.0]), ("fold1", [2.0, 5.0])])]);
        var html = FigureFile.ToSelfContainedHtml(chart);
        Assert.Contains("val loss (mean of 2)", html);
        Assert.Contains("[1.5,4.0]", html.Replace(" ", ""));   // the mean per epoch
        Assert.DoesNotMatch(@"<script[^>]*src=""https?://", html);   // nothing loaded from a network
        Assert.True(html.Length > 1_000_000, $"plotly.js should be embedded; the page has {html.Length} characters");
    }

    [PneuKnow.Tests.Plots.ChromiumFact]
    [Trait("Category", "Slow")]
    public void Html_and_png_are_written_and_svg_rendered_on_request_by_headless_chromium_without_a_network()
    {
        var chart = Figures.LossCurves([1.0, 2.0, 3.0], [("val loss", [("fold0", [1.0, 3.0, 2.0])])]);
        var dir = Directory.CreateTempSubdirectory("pneuknow-export-").FullName;
        try
        {
            var saved = FigureFile.Save(chart, Path.Combine(dir, "loss.html"), width: 600, height: 400);
            Assert.Null(saved.Warning);
            // HTML and PNG per figure (docs/figures.md), no SVG.
            Assert.Equal(["loss.html", "loss.png", FigureFile.PlotlyJsFileName], Directory.GetFiles(dir).Select(Path.GetFileName).OrderBy(n => n == FigureFile.PlotlyJsFileName).ThenBy(n => n));
            using var png = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(saved.Png!);
            Assert.Equal((1200, 800), (png.Width, png.Height));   // PngScale × the layout size
            // Not a blank page: the plotted line and axes make the pixels vary.
            double sum = 0, sq = 0;
            png.ProcessPixelRows(rows => { for (int y = 0; y < rows.Height; y++) foreach (var p in rows.GetRowSpan(y)) { double g = (p.R + p.G + p.B) / 3.0; sum += g; sq += g * g; } });
            double n = png.Width * png.Height, variance = sq / n - sum / n * (sum / n);
            Assert.True(variance > 50, $"expected a drawn chart, found pixel variance {variance:F1}");
            var svg = FigureFile.Browser.RenderSvg(chart, 600, 400);
            Assert.StartsWith("<svg", svg);
            Assert.Contains("val loss", svg);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_png_is_compacted_losslessly_and_deterministically()
    {
        // A chart-like picture as Chromium writes it (RGBA, fast compression): flat colours and an anti-aliased line.
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(400, 300, new SixLabors.ImageSharp.PixelFormats.Rgba32(255, 255, 255, 255));
        for (int x = 0; x < 400; x++)
            for (int dy = -2; dy <= 2; dy++)
            {
                int y = 150 + (int)(100 * Math.Sin(x / 40.0)) + dy;
                byte shade = (byte)(60 * Math.Abs(dy));
                image[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgba32(shade, (byte)(100 + shade), 200, 255);
            }
        using var chromium = new MemoryStream();
        image.SaveAsPng(chromium, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.RgbWithAlpha, CompressionLevel = SixLabors.ImageSharp.Formats.Png.PngCompressionLevel.BestSpeed });
        var compact = FigureFile.Browser.Compact(chromium.ToArray());
        Assert.True(compact.Length < chromium.Length, $"{compact.Length} bytes compacted from {chromium.Length}");
        Assert.Equal(compact, FigureFile.Browser.Compact(chromium.ToArray()));
        using var back = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(compact);
        Assert.Equal((image.Width, image.Height), (back.Width, back.Height));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                Assert.Equal(image[x, y], back[x, y]);
        // Opaque: stored as RGB (PNG colour type 2, byte 25 of the header).
        Assert.Equal(2, compact[25]);

        // A picture with transparency keeps its alpha channel.
        image[0, 0] = new SixLabors.ImageSharp.PixelFormats.Rgba32(0, 0, 0, 0);
        using var transparent = new MemoryStream();
        image.SaveAsPng(transparent);
        var kept = FigureFile.Browser.Compact(transparent.ToArray());
        Assert.Equal(6, kept[25]);
        using var backAlpha = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(kept);
        Assert.Equal(image[0, 0], backAlpha[0, 0]);
    }

    [Fact]
    public void Every_figure_renders_and_saves()
    {
        var runs = new[] { "imbalanced", "never_predicted" }.Select((s, i) => new EvaluatedRun("m", $"r{i}", Predictions.Read(EvaluationFixtures.Path($"predictions_{s}.csv"))));
        var group = RepeatedRuns.Summarize(runs).Single();
        var report = group.PerRun[0].Report;
        var charts = new[]
        {
            Figures.AccuracyPerBackbone([("convnext_small", "baseline", group["accuracy"]), ("convnext_small", "HKD", group["accuracy"])]),
            Figures.ClassF1([("baseline", group)]),
            Figures.Roc(group.PerRun[0].Roc),
            Figures.Confusion(report, normalise: true),
            Figures.AccuracyVsRoiFraction([("HKD student", 0.1, group["accuracy"]), ("HKD student", 1.0, group["accuracy"])], [("baseline", 0.78)]),
        };
        var dir = Directory.CreateTempSubdirectory("pneuknow-fig-").FullName;
        var path = Path.Combine(dir, "figure.html");
        try
        {
            foreach (var c in charts)
            {
                FigureFile.SaveHtml(c, path);
                var html = File.ReadAllText(path);
                Assert.Contains("Plotly.newPlot", html);
                // One shared plotly.js beside the page, nothing from a network, no inlined copy.
                Assert.Contains($"<script src=\"{FigureFile.PlotlyJsFileName}\"", html);
                Assert.DoesNotMatch(@"https?://[^""\s]*\.js", html);
                Assert.True(html.Length < 200_000, $"expected a page without plotly.js inlined, found {html.Length} characters");
                Assert.Equal(FigureFile.PlotlyJs().Length, new FileInfo(Path.Combine(Path.GetDirectoryName(path)!, FigureFile.PlotlyJsFileName)).Length);
            }
            Assert.Contains($"AUC {group.PerRun[0].Roc.MicroAuc:F3}", FigureFile.ToSelfContainedHtml(charts[2]));
        }
        finally { Directory.Delete(dir, true); }
    }
}
