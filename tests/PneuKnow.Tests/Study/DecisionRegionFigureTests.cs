using System.Text.Json.Nodes;
using PneuKnow.Explain;
using PneuKnow.Plots;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Training;

namespace PneuKnow.Tests.Study;

/// <summary>The decision-region figure (issue 24): its row rule, its colour map, and the figure a finished tiny study gets.</summary>
public sealed class DecisionRegionRuleTests
{
    static DecisionRegionRow Row(string file, double inMask, double onDevice) =>
        new("c", "b", "m", PneuKnow.Distillation.Role.Baseline, 0, file, 0, 0, inMask, 0, onDevice, false, inMask, onDevice, false);

    [Fact]
    public void The_rule_takes_the_largest_gains_then_the_largest_losses_then_random_ones_without_repeats()
    {
        // Gains (student − baseline in mask) by hand: a +0.5, b +0.3, c +0.1, d −0.2, e −0.4, f 0, g 0; h has no mask.
        var gains = new (string File, double Baseline, double Student)[]
            { ("a", 0.1, 0.6), ("b", 0.2, 0.5), ("c", 0.3, 0.4), ("d", 0.4, 0.2), ("e", 0.5, 0.1), ("f", 0.2, 0.2), ("g", 0.3, 0.3) };
        var paired = gains.Select(g => (Row(g.File, g.Baseline, double.NaN), Row(g.File, g.Student, double.NaN)))
            .Append((Row("h", double.NaN, double.NaN), Row("h", double.NaN, double.NaN))).ToList();

        var chosen = StudyDecisionRegionFigures.Choose(paired, shortcut: false);

        Assert.Equal(["a", "b", "e", "d"], chosen.Take(4).Select(c => c.File));
        Assert.Equal("largest gain (+0.500)", chosen[0].Reason);
        Assert.Equal("largest loss (−0.400)", chosen[2].Reason);
        var random = chosen.Skip(4).ToList();
        Assert.Equal(StudyDecisionRegionFigures.RandomRows, random.Count);
        Assert.All(random, r => Assert.Contains(r.File, new[] { "c", "f", "g", "h" }));
        Assert.Equal(chosen.Count, chosen.Select(c => c.File).Distinct().Count());
        // Fixed seed and an ordinal order of the rest: the same input in another order gives the same rows.
        Assert.Equal(chosen, StudyDecisionRegionFigures.Choose(paired.AsEnumerable().Reverse().ToList(), shortcut: false));
    }

    [Fact]
    public void In_the_shortcut_condition_the_device_decides_and_images_without_one_are_not_extremes()
    {
        var paired = new[]
        {
            (Row("x", 0.1, 0.9), Row("x", 0.1, 0.2)),          // the student looks 0.7 less at the device
            (Row("y", 0.1, 0.1), Row("y", 0.1, 0.5)),          // 0.4 more
            (Row("z", 0.9, double.NaN), Row("z", 0.0, double.NaN)),   // no device: only a random row
        };
        var chosen = StudyDecisionRegionFigures.Choose(paired, shortcut: true);
        Assert.Equal(["x", "y", "z"], chosen.Select(c => c.File));
        Assert.Equal("largest gain (+0.700)", chosen[0].Reason);
        Assert.Equal("largest loss (−0.400)", chosen[1].Reason);
        Assert.Equal("drawn at random", chosen[2].Reason);
    }

    [Fact]
    public void The_colour_map_is_viridis_and_its_lightness_rises_monotonically()
    {
        Assert.Equal((68.0, 1.0, 84.0), CamOverlay.Viridis(0));
        Assert.Equal((253.0, 231.0, 37.0), CamOverlay.Viridis(1));
        Assert.Equal((33.0, 145.0, 140.0), CamOverlay.Viridis(0.5));   // #21918c
        // Relative luminance (Rec. 709 weights on linearised sRGB) at 201 points: strictly increasing, which jet is not.
        static double Luminance((double R, double G, double B) c)
        {
            static double Linear(double v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4); }
            return 0.2126 * Linear(c.R) + 0.7152 * Linear(c.G) + 0.0722 * Linear(c.B);
        }
        var l = Enumerable.Range(0, 201).Select(i => Luminance(CamOverlay.Viridis(i / 200.0))).ToArray();
        Assert.All(Enumerable.Range(1, 200), i => Assert.True(l[i] > l[i - 1], $"luminance falls at {i / 200.0}: {l[i - 1]} → {l[i]}"));
    }

    [Fact]
    public void A_tile_is_embedded_as_a_palette_png_of_the_same_picture_in_a_fraction_of_the_bytes_with_its_outlines_exact()
    {
        // A tile as CamOverlay draws one: a grey radiograph-like gradient with noise, a viridis map blended over it at 0.6,
        // a one-pixel expert-mask outline (green) and device outline (magenta).
        const int size = 112;
        using var tile = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(size, size);
        var random = new Random(7);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double grey = 40 + 150 * Math.Exp(-((x - 40) * (x - 40) + (y - 56) * (y - 56)) / 900.0) + random.Next(0, 12);
                double cam = Math.Exp(-((x - 70) * (x - 70) + (y - 50) * (y - 50)) / 300.0);
                var (r, g, b) = CamOverlay.Viridis(cam);
                byte Mix(double c) => (byte)Math.Round(0.4 * grey + 0.6 * c);
                tile[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24(Mix(r), Mix(g), Mix(b));
            }
        for (int i = 20; i < 90; i++) { tile[i, 20] = CamOverlay.OutlineColor; tile[i, 89] = CamOverlay.OutlineColor; tile[100, i] = CamOverlay.DeviceOutlineColor; }

        using var rgb = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(tile, rgb);
        var encoded = DecisionRegionFigure.EncodeTile(tile);
        Assert.Equal(encoded, DecisionRegionFigure.EncodeTile(tile));
        Assert.True(encoded.Length * 2 < rgb.Length, $"palette tile {encoded.Length} bytes against {rgb.Length} as RGB");

        using var back = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(encoded);
        Assert.Equal(SixLabors.ImageSharp.Formats.Png.PngColorType.Palette,
            SixLabors.ImageSharp.Image.Identify(encoded).Metadata.GetFormatMetadata(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance).ColorType);
        Assert.Equal((size, size), (back.Width, back.Height));
        Assert.Equal(CamOverlay.OutlineColor, back[50, 20]);
        Assert.Equal(CamOverlay.DeviceOutlineColor, back[100, 50]);
        double error = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var (a, c) = (tile[x, y], back[x, y]);
                error += (Math.Abs(a.R - c.R) + Math.Abs(a.G - c.G) + Math.Abs(a.B - c.B)) / 3.0;
            }
        Assert.True(error / (size * size) < 2.0, $"mean difference {error / (size * size):0.00} levels per channel");
    }

    [Fact]
    public void A_figure_below_1200_px_or_with_rows_of_other_models_is_refused()
    {
        var panel = new DecisionRegionPanel("baseline", ModelKind.Baseline, [1], 4, 4, "fungal", 0.9, 0.1, null);
        var row = new DecisionRegionImageRow("a.png", "fungal", "drawn at random", [panel]);
        Assert.Contains("at least 1200", Assert.Throws<ArgumentException>(() => DecisionRegionFigure.Build([row], "t", "s", width: 800)).Message);
        var other = row with { Image = "b.png", Panels = [panel with { Model = "HKD student" }] };
        Assert.Contains("b.png: expected the models baseline", Assert.Throws<ArgumentException>(() => DecisionRegionFigure.Build([row, other], "t", "s")).Message);
    }
}

/// <summary>The figures a finished tiny study gets from its checkpoints.</summary>
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DecisionRegionFigureStudyTests(TinyStudyRun tiny)
{
    [Fact]
    public void Every_backbone_and_condition_gets_labelled_pictures_of_the_first_pair_with_checkpoints()
    {
        TorchRuntime.Initialize("cpu");
        var e = StudyReport.Evaluate(tiny.Study);
        var figures = StudyDecisionRegionFigures.Build(e);
        var labels = e.Cells.Where(c => c.IsMain(PneuKnow.Distillation.Role.Student)).Select(c => c.Label).ToList();
        Assert.Equal(labels, figures.Select(f => f.Label));
        foreach (var f in figures)
        {
            Assert.Equal(0, f.Pair);
            var json = JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(f.Picture!))!;
            var layout = json["layout"]!;
            Assert.True(layout["width"]!.GetValue<int>() >= DecisionRegionFigure.MinWidth);
            Assert.Equal("Viridis", (string?)layout["coloraxis"]!["colorscale"]);
            var images = layout["images"]!.AsArray().ToList();
            Assert.All(images, i => Assert.StartsWith("data:image/png;base64,", (string)i!["source"]!));
            // The tiles are palette PNGs (DecisionRegionFigure.EncodeTile), a fraction of an RGB PNG's bytes.
            Assert.All(images, i => Assert.Equal(SixLabors.ImageSharp.Formats.Png.PngColorType.Palette, SixLabors.ImageSharp.Image.Identify(
                Convert.FromBase64String(((string)i!["source"]!)["data:image/png;base64,".Length..])).Metadata.GetFormatMetadata(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance).ColorType));
            int rows = images.Count / 3;
            Assert.Equal(rows * 3, images.Count);
            Assert.InRange(rows, 1, 2 * StudyDecisionRegionFigures.ExtremeRows + StudyDecisionRegionFigures.RandomRows);
            var texts = layout["annotations"]!.AsArray().Select(a => (string)a!["text"]!).ToList();
            Assert.Equal(rows, texts.Count(t => t.StartsWith("<b>true: ", StringComparison.Ordinal)));
            Assert.Equal(rows * 3, texts.Count(t => t.StartsWith("predicted <b>", StringComparison.Ordinal)));
            Assert.Contains(texts, t => t.Contains("on its ROI input", StringComparison.Ordinal));
            // In the shortcut condition the rows are chosen by the device (the clean phantoms carry devices too, uncorrelated
            // with the class, so their panels may show a device energy; their rows are chosen by the mask).
            bool shortcut = f.Label.EndsWith("shortcut", StringComparison.Ordinal);
            Assert.Contains(shortcut ? "energy on the device, baseline − student" : "energy inside the expert mask, student − baseline",
                (string)layout["title"]!["text"]!);
            Assert.Contains("pair 0", (string)layout["title"]!["text"]!);
            Assert.NotNull(f.Scores);
            if (FigureFile.Browser.Find() is null) continue;
            // Rendered as the report saves it: a PNG at the layout's width, at least 1,200 px.
            var dir = Directory.CreateTempSubdirectory("decision-region-figure-").FullName;
            try
            {
                var saved = FigureFile.Save(f.Picture!, Path.Combine(dir, "picture.html"), scale: DecisionRegionFigure.PngScale, png: DecisionRegionFigure.Png);
                using var png = SixLabors.ImageSharp.Image.Load(saved.Png!);
                Assert.True(png.Width >= DecisionRegionFigure.MinWidth, $"{f.Label}: {png.Width} px");
                Assert.Equal(SixLabors.ImageSharp.Formats.Png.PngColorType.Palette, png.Metadata.GetFormatMetadata(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance).ColorType);
                Assert.NotNull(FigureFile.Save(f.Scores!, Path.Combine(dir, "scores.html")).Png);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        Assert.Contains(figures, f => f.Label.EndsWith("shortcut", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_on_a_study_that_keeps_its_checkpoints_draws_the_decision_region_figures()
    {
        // A copy of the tiny study (the fixture must stay as it is) whose checkpoints are links to the fixture's, beside a
        // link to its data (run records name the data relative to the study, as a committed study does).
        var root = Directory.CreateTempSubdirectory("report-with-checkpoints-").FullName;
        var copy = Path.Combine(root, "study");
        Directory.CreateSymbolicLink(Path.Combine(root, "data"), Path.Combine(tiny.Root, "data"));
        try
        {
            void Copy(string from, string to)
            {
                Directory.CreateDirectory(to);
                foreach (var file in Directory.GetFiles(from))
                {
                    var target = Path.Combine(to, Path.GetFileName(file));
                    if (file.EndsWith(".pt", StringComparison.Ordinal)) File.CreateSymbolicLink(target, file);
                    else File.Copy(file, target);
                }
                foreach (var sub in Directory.GetDirectories(from)) Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
            }
            Copy(tiny.Study, copy);
            foreach (var stale in Directory.GetFiles(Path.Combine(copy, "figures"), StudyDecisionRegionFigures.PictureStem + "*")) File.Delete(stale);

            var result = PneuKnow.Tests.Cli.PneuknowCli.Run("report", copy);

            Assert.True(result.Exit == 0, result.Error + result.Out);
            var written = Directory.GetFiles(Path.Combine(copy, "figures"), StudyDecisionRegionFigures.PictureStem + "*.html").Select(Path.GetFileName).ToList();
            var e = StudyReport.Evaluate(copy);
            foreach (var label in e.Cells.Where(c => c.IsMain(PneuKnow.Distillation.Role.Student)).Select(c => c.Label))
            {
                Assert.Contains(StudyDecisionRegionFigures.PictureStem + StudyReport.FileStem(label) + ".html", written);
                Assert.Contains(StudyDecisionRegionFigures.ScoresStem + StudyReport.FileStem(label) + ".html", written);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
