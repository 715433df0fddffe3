using System.Text.Json;
using Plotly.NET;
using PneuKnow.Plots;
using PneuKnow.Study;
using PneuKnow.Tests.Study;
using SixLabors.ImageSharp;

namespace PneuKnow.Tests.Plots;

/// <summary>
/// The teachers' figure (<c>figures/teachers_recall</c>, issue 24): one panel per arm, one marker per teacher run and
/// category, its size fixed by the arms and not by the number of runs, and a run that fails the gate drawn apart. Checked
/// on the figure's JSON (its traces and layout) against values written here, and its PNG's pixel size in Chromium.
/// </summary>
public sealed class TeacherRecallFigureTests
{
    static JsonElement Json(GenericChart chart) => JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;

    static JsonElement[] Traces(JsonElement figure, string name) =>
        figure.GetProperty("data").EnumerateArray().Where(t => t.TryGetProperty("name", out var n) && n.GetString() == name).ToArray();

    static double[] Numbers(JsonElement e, string property) => e.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    static (int Width, int Height) Size(GenericChart chart) => FigureFile.LayoutSize(chart);

    // The study preset's teachers (168 runs over its 11 arms) and a figure of the same arms with few runs.
    static readonly IReadOnlyList<StudyVariant> StudyVariants = SyntheticTeachers.Variants(StudyPreset.Study);

    [Fact]
    public void The_figure_of_168_teachers_has_the_size_of_the_figure_of_9_in_the_same_arms()
    {
        var study = SyntheticTeachers.Of(StudyPreset.Study);
        Assert.Equal(168, study.Count);
        var full = Size(StudyReport.TeachersFigure(study, StudyVariants, "test"));
        // One run in each of the study's 11 arms: the same grid, the same size.
        Assert.Equal(full, Size(StudyReport.TeachersFigure(SyntheticTeachers.Of(StudyPreset.Study, runsPerArm: 1), StudyVariants, "test")));
        // 9 runs (3 in each of 3 arms) against 168 in the same 3 arms.
        var units = StudyGrid.Units(StudyPreset.Study).Where(u => u.Kind == StudyUnitKind.Distillation).Take(3).ToList();
        var nine = SyntheticTeachers.Of(units.Select(u => (u, 3)).ToList());
        var many = SyntheticTeachers.Of(units.Select(u => (u, 56)).ToList());
        Assert.Equal(9, nine.Count);
        Assert.Equal(168, many.Count);
        Assert.Equal(Size(StudyReport.TeachersFigure(nine, StudyVariants, "test")), Size(StudyReport.TeachersFigure(many, StudyVariants, "test")));
        // A row per run drew the study's 168 at 5,310 layout px high; the grid of 3 × 5 panels stays below the ~2,150 px at
        // which the headless export stopped returning (docs/figures.md) and within a page's proportions.
        Assert.InRange(full.Height, 600, 1500);
        Assert.InRange(full.Width, 1000, 1600);
    }

    [Fact]
    public void A_failed_teacher_is_a_red_cross_at_its_values_and_a_passing_one_a_teacher_green_circle()
    {
        var teachers = new[]
        {
            new TeacherRecall("clean · r18", "ROI teacher", 0, new Dictionary<string, double> { ["B"] = 0.8, ["NB"] = 1.0 }, 0.9, 0.85, ""),
            new TeacherRecall("clean · r18", "ROI teacher", 1, new Dictionary<string, double> { ["B"] = 0.7, ["NB"] = 0.2 }, 0.45, 0.6, "healthy_recall;below_baseline"),
            new TeacherRecall("clean · r18", "raw teacher (noroi)", 0, new Dictionary<string, double> { ["B"] = 0.4, ["NB"] = 0.95 }, 0.675, null, ""),
        };
        var figure = Json(StudyFigures.TeacherRecallFigure(teachers, ["B", "NB"], "teachers", "healthy recall ≥ 0.9", "NB", 0.9));

        var fail = Assert.Single(Traces(figure, $"{StudyFigures.FailMark} teacher run that fails the gate (healthy recall ≥ 0.9)"));
        Assert.Equal(StudyFigures.FailSymbol, fail.GetProperty("marker").GetProperty("symbol").GetString());
        Assert.Equal("#CC3311", fail.GetProperty("marker").GetProperty("color").GetString());
        Assert.True(fail.GetProperty("showlegend").GetBoolean());
        // Run 1's bacterial and healthy recall and its accuracy, each in its own row (0: bacterial, 1: healthy, 2: accuracy).
        Assert.Equal([0.7, 0.2, 0.45], Numbers(fail, "x"));
        Assert.Equal([1, 1, 1], fail.GetProperty("customdata").EnumerateArray().Select(v => v.GetInt32()));
        var failY = Numbers(fail, "y");
        Assert.Equal([0, 1, 2], failY.Select(y => (int)Math.Round(y)));
        Assert.Contains("fails the gate: healthy recall, below baseline", fail.GetProperty("text")[0].GetString());

        var pass = Traces(figure, "teacher run that passes the gate");
        Assert.Equal(2, pass.Length);   // one per arm; the legend entry once
        Assert.Equal(1, pass.Count(t => t.GetProperty("showlegend").GetBoolean()));
        Assert.All(pass, t => Assert.Equal(("circle", FigureStyle.Hex(ModelKind.Teacher)), (t.GetProperty("marker").GetProperty("symbol").GetString(), t.GetProperty("marker").GetProperty("color").GetString())));
        var roi = Assert.Single(pass, t => t.GetProperty("xaxis").GetString() == fail.GetProperty("xaxis").GetString());
        Assert.Equal([0.8, 1.0, 0.9], Numbers(roi, "x"));
        var noroi = Assert.Single(pass, t => t.GetProperty("xaxis").GetString() != fail.GetProperty("xaxis").GetString());
        Assert.Equal([0.4, 0.95, 0.675], Numbers(noroi, "x"));
        // A run sits at one height in every row, spread from its arm's other run by run index; a lone run in the middle.
        var passY = Numbers(roi, "y");
        Assert.Equal([passY[0], passY[0] + 1, passY[0] + 2], passY);
        Assert.Equal([failY[0], failY[0] + 1, failY[0] + 2], failY);
        Assert.Equal(-StudyFigures.TeacherSpread / 2, passY[0], 9);
        Assert.Equal(StudyFigures.TeacherSpread / 2, failY[0], 9);
        Assert.Equal([0.0, 1.0, 2.0], Numbers(noroi, "y"));

        // The paired baseline's accuracy at its run's height in the accuracy row, where there is one.
        var baseline = Assert.Single(Traces(figure, "paired baseline's accuracy (same run)"));
        Assert.Equal([0.85, 0.6], Numbers(baseline, "x"));
        Assert.Equal([2 + passY[0], 2 + failY[0]], Numbers(baseline, "y"));
        Assert.Equal(FigureStyle.Hex(ModelKind.Baseline), baseline.GetProperty("marker").GetProperty("color").GetString());

        // The gate: a dashed line at 0.9 across the healthy row of each panel.
        var gate = Traces(figure, "healthy-recall gate (0.9)");
        Assert.Equal(2, gate.Length);
        Assert.All(gate, g => Assert.Equal([0.9, 0.9], Numbers(g, "x")));
        Assert.All(gate, g => Assert.Equal([0.5, 1.5], Numbers(g, "y")));

        // Every panel's title counts its runs and failures; the subtitle counts all.
        var layout = figure.GetProperty("layout");
        var notes = layout.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToList();
        Assert.Contains("<b>ROI teacher</b><br>n = 2 teacher runs, 1 fails", notes);
        Assert.Contains("<b>raw teacher (noroi)</b><br>n = 1 teacher run, 0 fail", notes);
        Assert.Contains("1 of 3 teacher run(s) fail the gate", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(["bacterial", "healthy", StudyFigures.AccuracyCategory], layout.GetProperty("yaxis").GetProperty("ticktext").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal([0.0, 1.0], layout.GetProperty("xaxis").GetProperty("range").EnumerateArray().Select(v => Math.Round(v.GetDouble())));
    }

    [Fact]
    public void The_figure_is_the_same_twice_and_in_either_order_of_its_runs()
    {
        var rows = SyntheticTeachers.Of(StudyPreset.Quick);
        string Figure(IEnumerable<TeacherRow> r) => GenericChart.toFigureJson(StudyReport.TeachersFigure(r.ToList(), SyntheticTeachers.Variants(StudyPreset.Quick), "test"));
        var once = Figure(rows);
        Assert.Equal(once, Figure(rows));
        // Runs of an arm listed in reverse: each still at the height its run index gives it (the markers' order within a trace aside).
        var reversed = Json(StudyReport.TeachersFigure(rows.GroupBy(r => (r.Condition, r.Backbone, r.Variant)).SelectMany(g => g.Reverse()).ToList(), SyntheticTeachers.Variants(StudyPreset.Quick), "test"));
        static IEnumerable<(string, int, double, double)> Points(JsonElement f) => f.GetProperty("data").EnumerateArray()
            .Where(t => t.TryGetProperty("customdata", out _))
            .SelectMany(t => t.GetProperty("customdata").EnumerateArray().Select((run, i) => (t.GetProperty("xaxis").GetString()!, run.GetInt32(), t.GetProperty("x")[i].GetDouble(), t.GetProperty("y")[i].GetDouble())))
            .Order();
        Assert.Equal(Points(JsonDocument.Parse(once).RootElement), Points(reversed));
    }

    [Fact]
    public void A_run_listed_twice_in_one_arm_is_an_error_naming_it()
    {
        var t = new TeacherRecall("clean · r18", "ROI teacher", 4, new Dictionary<string, double> { ["B"] = 0.8 }, 0.8, null, "");
        var e = Assert.Throws<ArgumentException>(() => StudyFigures.TeacherRecallFigure([t, t], ["B"], "teachers", "gate", null, 0.9));
        Assert.Contains("clean · r18 · ROI teacher · run 4 2 times", e.Message);
    }

    [ChromiumFact]
    [Trait("Category", "Slow")]
    public void The_png_of_168_teachers_has_the_pixel_size_of_the_png_of_9()
    {
        var dir = Directory.CreateTempSubdirectory("pneuknow-teachers-figure-");
        try
        {
            (int, int) Png(IReadOnlyList<TeacherRow> rows, string name)
            {
                var saved = FigureFile.Save(StudyReport.TeachersFigure(rows, StudyVariants, "test"), Path.Combine(dir.FullName, name + ".html"));
                var info = Image.Identify(saved.Png!);
                return (info.Width, info.Height);
            }
            // 9 runs (3 in each of 3 arms) against 168 in the same arms.
            var units = StudyGrid.Units(StudyPreset.Study).Where(u => u.Kind == StudyUnitKind.Distillation).Take(3).ToList();
            var many = SyntheticTeachers.Of(units.Select(u => (u, 56)).ToList());
            var (w, h) = Size(StudyReport.TeachersFigure(many, StudyVariants, "test"));
            var pixels = Png(many, "many");
            Assert.Equal((2 * w, 2 * h), pixels);
            Assert.Equal(pixels, Png(SyntheticTeachers.Of(units.Select(u => (u, 3)).ToList()), "nine"));
        }
        finally { dir.Delete(true); }
    }
}
