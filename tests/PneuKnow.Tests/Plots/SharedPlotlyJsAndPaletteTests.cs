using PneuKnow.Plots;
using PneuKnow.Study;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// Where figure pages load plotly.js from (one shared copy two folders up where it is current, else a copy beside them),
/// the file-level step that brings existing pages and PNGs to that form, and the rule that writes a chart's PNG with a
/// palette only where the palette is faithful (issue 24: the committed reference folders under 10 MB).
/// </summary>
public class SharedPlotlyJsAndPaletteTests
{
    static Plotly.NET.GenericChart Chart() => StudyFigures.Confusions([("baseline", new[,] { { 2, 0 }, { 1, 3 } })], ["B", "NB"], "c");

    static string ScriptSource(string page)
    {
        var html = File.ReadAllText(page);
        int at = html.IndexOf("<script src=\"", StringComparison.Ordinal) + "<script src=\"".Length;
        return html[at..html.IndexOf('"', at)];
    }

    [Fact]
    public void Pages_load_the_shared_copy_two_folders_up_where_it_is_current_and_their_own_copy_otherwise()
    {
        var root = Directory.CreateTempSubdirectory("pneuknow-shared-plotly-").FullName;
        try
        {
            // An ordinary results folder: no shared copy, so the page gets its own beside it.
            var own = Directory.CreateDirectory(Path.Combine(root, "quick", "figures")).FullName;
            FigureFile.SaveHtml(Chart(), Path.Combine(own, "a.html"));
            Assert.Equal("plotly.min.js", ScriptSource(Path.Combine(own, "a.html")));
            Assert.Equal(FigureFile.PlotlyJs(), File.ReadAllBytes(Path.Combine(own, FigureFile.PlotlyJsFileName)));

            // A stale shared copy (another plotly.js) is not used.
            var sharedPath = Path.Combine(root, FigureFile.PlotlyJsFileName);
            File.WriteAllText(sharedPath, "/* plotly.js 1.0 */");
            Assert.False(FigureFile.IsCurrentPlotlyJs(sharedPath));
            var stale = Directory.CreateDirectory(Path.Combine(root, "stale", "figures")).FullName;
            FigureFile.SaveHtml(Chart(), Path.Combine(stale, "a.html"));
            Assert.Equal("plotly.min.js", ScriptSource(Path.Combine(stale, "a.html")));
            var none = FigureFile.UseSharedPlotlyJs(own);
            Assert.Empty(none.Pages);
            Assert.False(none.CopyRemoved);
            Assert.True(File.Exists(Path.Combine(own, FigureFile.PlotlyJsFileName)));

            // The current plotly.js two folders up: a new folder's pages load it and get no copy of their own.
            File.WriteAllBytes(sharedPath, FigureFile.PlotlyJs());
            var shared = Directory.CreateDirectory(Path.Combine(root, "study", "figures")).FullName;
            FigureFile.SaveHtml(Chart(), Path.Combine(shared, "a.html"));
            Assert.Equal("../../plotly.min.js", ScriptSource(Path.Combine(shared, "a.html")));
            Assert.False(File.Exists(Path.Combine(shared, FigureFile.PlotlyJsFileName)));
            Assert.Equal(sharedPath, FigureFile.SharedPlotlyJsPath(shared));

            // The folder written before the shared copy existed: its page loads the shared copy with nothing else changed (a
            // new write differs only in the chart's random element id), and its own copy goes once no page loads it.
            var old = File.ReadAllText(Path.Combine(own, "a.html"));
            var (pages, removed) = FigureFile.UseSharedPlotlyJs(own);
            Assert.Equal(new[] { Path.Combine(own, "a.html") }, pages);
            Assert.True(removed);
            Assert.False(File.Exists(Path.Combine(own, FigureFile.PlotlyJsFileName)));
            var rewritten = File.ReadAllText(Path.Combine(own, "a.html"));
            Assert.Equal("../../plotly.min.js", ScriptSource(Path.Combine(own, "a.html")));
            int at = old.IndexOf("\"plotly.min.js\"", StringComparison.Ordinal);
            Assert.Equal(old[..(at + 1)] + "../../" + old[(at + 1)..], rewritten);
            Assert.Equal(new[] { Path.Combine("figures", "a.html") + ": an HTML figure without its PNG (a.png missing)" }, ResultsHygiene.Violations(Path.Combine(root, "quick")));
            // A second call has nothing left to do.
            Assert.Equal((0, false), (FigureFile.UseSharedPlotlyJs(own).Pages.Count, FigureFile.UseSharedPlotlyJs(own).CopyRemoved));

            // A page that loads the folder's copy some other way keeps the copy.
            FigureFile.EnsurePlotlyJs(stale);
            File.WriteAllText(Path.Combine(stale, "hand.html"), "<script src=\"plotly.min.js\"></script><script>load(\"plotly.min.js\")</script>");
            var kept = FigureFile.UseSharedPlotlyJs(stale);
            Assert.Equal(new[] { Path.Combine(stale, "a.html") }, kept.Pages);
            Assert.False(kept.CopyRemoved);
            Assert.True(File.Exists(Path.Combine(stale, FigureFile.PlotlyJsFileName)));
        }
        finally { Directory.Delete(root, true); }
    }

    static byte[] Png(Image<Rgba32> image)
    {
        using var stream = new MemoryStream();
        // As Chromium writes it: RGBA at a fast level.
        image.SaveAsPng(stream, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, CompressionLevel = PngCompressionLevel.BestSpeed });
        return stream.ToArray();
    }

    static PngColorType ColourType(byte[] png) => Image.Identify(png).Metadata.GetFormatMetadata(PngFormat.Instance).ColorType!.Value;

    static void AssertSamePixels(Image<Rgba32> expected, byte[] png)
    {
        using var back = Image.Load<Rgba32>(png);
        Assert.Equal((expected.Width, expected.Height), (back.Width, back.Height));
        for (int y = 0; y < expected.Height; y++)
            for (int x = 0; x < expected.Width; x++)
                Assert.Equal(expected[x, y], back[x, y]);
    }

    /// <summary>A chart-like picture: white, with 20 flat bars of 20 well-separated colours (fewer than a palette holds).</summary>
    static Image<Rgba32> Bars()
    {
        var image = new Image<Rgba32>(400, 300, new Rgba32(255, 255, 255, 255));
        for (int x = 0; x < 400; x++)
        {
            int k = x / 20;
            for (int y = 299 - 12 * k; y < 300; y++)
                image[x, y] = new Rgba32((byte)(12 * k), (byte)(40 + 6 * k), 180, 255);
        }
        return image;
    }

    [Fact]
    public void A_chart_of_few_colours_is_stored_as_a_palette_png_of_the_same_pixels_and_a_picture_keeps_every_pixel()
    {
        using var bars = Bars();
        var chromium = Png(bars);
        var encoded = FigureFile.Browser.Encode(chromium, PngEncoding.PaletteWhereFaithful);
        Assert.Equal(PngColorType.Palette, ColourType(encoded));
        AssertSamePixels(bars, encoded);   // 21 colours fit the palette exactly
        Assert.True(encoded.Length < FigureFile.Browser.Compact(chromium).Length);
        Assert.Equal(encoded, FigureFile.Browser.Encode(encoded, PngEncoding.PaletteWhereFaithful));   // the same pixels, the same bytes

        // Noise in every colour: a palette would change it by tens of levels, so the PNG stays lossless RGB.
        using var noise = new Image<Rgba32>(256, 256);
        var random = new Random(7);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
                noise[x, y] = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255);
        var kept = FigureFile.Browser.Encode(Png(noise), PngEncoding.PaletteWhereFaithful);
        Assert.Equal(PngColorType.Rgb, ColourType(kept));
        AssertSamePixels(noise, kept);
        // Asked for, the palette is written anyway; asked for lossless, never.
        Assert.Equal(PngColorType.Palette, ColourType(FigureFile.Browser.Encode(Png(noise), PngEncoding.Palette)));
        Assert.Equal(PngColorType.Rgb, ColourType(FigureFile.Browser.Encode(chromium, PngEncoding.Lossless)));
    }

    [Fact]
    public void A_palette_is_faithful_within_half_a_level_on_average_and_with_at_most_one_pixel_in_ten_thousand_changed_by_more_than_16()
    {
        using var original = new Image<Rgba32>(200, 100, new Rgba32(100, 100, 100, 255));
        // One level off everywhere: a mean difference of 0.75 levels per channel (R, G, B of 4), over the bound of 0.5.
        using var offByOne = new Image<Rgba32>(200, 100, new Rgba32(101, 101, 101, 255));
        Assert.False(FigureFile.Browser.IsFaithful(original, offByOne));
        // One level off in one channel: 0.25.
        using var red = new Image<Rgba32>(200, 100, new Rgba32(101, 100, 100, 255));
        Assert.True(FigureFile.Browser.IsFaithful(original, red));
        // Two pixels of 20,000 (1e-4) changed by 40 levels: at the bound; three: over it.
        using var spots = original.Clone();
        spots[0, 0] = spots[1, 0] = new Rgba32(140, 100, 100, 255);
        Assert.True(FigureFile.Browser.IsFaithful(original, spots));
        spots[2, 0] = new Rgba32(140, 100, 100, 255);
        Assert.False(FigureFile.Browser.IsFaithful(original, spots));
        // A change of exactly 16 levels is not counted.
        using var sixteen = original.Clone();
        for (int x = 0; x < 10; x++) sixteen[x, 50] = new Rgba32(116, 100, 100, 255);
        Assert.True(FigureFile.Browser.IsFaithful(original, sixteen));
        using var smaller = new Image<Rgba32>(100, 100);
        Assert.False(FigureFile.Browser.IsFaithful(original, smaller));
    }

    [Fact]
    public void Compacting_a_study_folders_figures_points_its_pages_at_the_shared_copy_and_stores_its_pngs_as_the_report_now_does()
    {
        var root = Directory.CreateTempSubdirectory("pneuknow-compact-figures-").FullName;
        try
        {
            var study = Path.Combine(root, "study");
            var figures = Directory.CreateDirectory(Path.Combine(study, "figures")).FullName;
            // As an earlier build wrote them: pages loading the folder's copy, lossless RGB PNGs.
            FigureFile.SaveHtml(Chart(), Path.Combine(figures, "accuracy.html"));
            using var bars = Bars();
            File.WriteAllBytes(Path.Combine(figures, "accuracy.png"), FigureFile.Browser.Compact(Png(bars)));
            using var picture = new Image<Rgba32>(128, 128);
            var random = new Random(3);
            for (int y = 0; y < 128; y++)
                for (int x = 0; x < 128; x++)
                    picture[x, y] = new Rgba32((byte)random.Next(256), (byte)(x * 2), (byte)(y * 2), 255);
            var pictureName = StudyDecisionRegionFigures.PictureStem + "cntk_resnet18_clean";
            FigureFile.SaveHtml(Chart(), Path.Combine(figures, pictureName + ".html"));
            File.WriteAllBytes(Path.Combine(figures, pictureName + ".png"), FigureFile.Browser.Compact(Png(picture)));
            long before = Directory.EnumerateFiles(figures).Sum(f => new FileInfo(f).Length);

            // No shared copy: the pages keep theirs; the PNGs are stored as the report now stores them.
            var first = StudyReport.CompactFigures(study);
            Assert.Empty(first.Pages);
            Assert.False(first.PlotlyJsRemoved);
            Assert.Equal(new[] { Path.Combine(figures, "accuracy.png"), Path.Combine(figures, pictureName + ".png") }, first.Pngs);
            var chart = File.ReadAllBytes(Path.Combine(figures, "accuracy.png"));
            Assert.Equal(FigureFile.Browser.Encode(Png(bars), PngEncoding.PaletteWhereFaithful), chart);
            AssertSamePixels(bars, chart);
            // The decision-region picture is always a palette PNG (DecisionRegionFigure.Png), faithful or not.
            Assert.Equal(FigureFile.Browser.Encode(Png(picture), DecisionRegionFigure.Png), File.ReadAllBytes(Path.Combine(figures, pictureName + ".png")));
            Assert.Equal(before, first.BytesBefore);
            Assert.True(first.BytesAfter < before);

            // With the current plotly.js two folders up: the pages load it and the folder's copy goes; no PNG changes again.
            File.WriteAllBytes(Path.Combine(root, FigureFile.PlotlyJsFileName), FigureFile.PlotlyJs());
            var second = StudyReport.CompactFigures(study);
            Assert.Equal(new[] { Path.Combine(figures, "accuracy.html"), Path.Combine(figures, pictureName + ".html") }, second.Pages);
            Assert.True(second.PlotlyJsRemoved);
            Assert.Empty(second.Pngs);
            Assert.Equal(second.BytesBefore - FigureFile.PlotlyJs().Length + 2 * "../../".Length, second.BytesAfter);
            Assert.Equal("../../plotly.min.js", ScriptSource(Path.Combine(figures, "accuracy.html")));
            Assert.Empty(ResultsHygiene.Violations(study));

            var third = StudyReport.CompactFigures(study);
            Assert.Equal((0, false, 0, third.BytesBefore), (third.Pages.Count, third.PlotlyJsRemoved, third.Pngs.Count, third.BytesAfter));
            Assert.Throws<DirectoryNotFoundException>(() => StudyReport.CompactFigures(root));
        }
        finally { Directory.Delete(root, true); }
    }
}
