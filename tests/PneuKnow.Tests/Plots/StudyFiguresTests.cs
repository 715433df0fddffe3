using PneuKnow.Distillation;
using PneuKnow.Plots;
using PneuKnow.Study;

namespace PneuKnow.Tests.Plots;

public class StudyFiguresTests
{
    [Fact]
    public void The_95_percent_ci_uses_students_t_and_is_clipped_to_the_unit_interval()
    {
        // Hand-worked: mean 0.7, sample sd 0.2, t(2, 0.975) = 4.303, half width 4.303 * 0.2 / sqrt(3) = 0.49687.
        var (mean, lower, upper) = StudyFigures.MeanCi95([0.5, 0.7, 0.9]);
        Assert.Equal(0.7, mean, 12);
        Assert.Equal(0.7 - 4.303 * 0.2 / Math.Sqrt(3), lower, 9);
        Assert.Equal(1.0, upper);   // 1.197 clipped
        Assert.Equal((0.25, 0.0, 1.0), StudyFigures.MeanCi95([0.0, 0.5]));   // half width 3.18: clipped both ways
        Assert.Equal((0.4, 0.4, 0.4), StudyFigures.MeanCi95([0.4]));   // one run: no interval
        Assert.Equal(1.960, StudyFigures.TQuantile975(100));
    }

    [Theory]
    [InlineData(Role.Baseline, "do", "baseline", ModelKind.Baseline)]
    [InlineData(Role.Student, "do", "HKD student", ModelKind.Student)]
    [InlineData(Role.Teacher, "do", "ROI teacher", ModelKind.Teacher)]
    [InlineData(Role.Teacher, "roi30", "ROI teacher (roi30)", ModelKind.Teacher)]
    [InlineData(Role.Teacher, "noroi", "raw teacher (noroi)", ModelKind.Control)]
    [InlineData(Role.Student, "noroi", "HKD student (noroi)", ModelKind.Control)]
    [InlineData(Role.Student, "roi30", "HKD student (roi30)", ModelKind.Control)]
    public void Every_role_and_arm_has_one_label_and_one_kind_and_colour(Role role, string arm, string label, ModelKind kind)
    {
        var variant = arm switch { "do" => StudyVariant.Main, "noroi" => StudyVariant.NoRoi, _ => StudyVariant.RoiBudget(0.3) };
        var unit = new StudyUnit("resnet18", variant, role == Role.Baseline ? StudyUnitKind.Baseline : StudyUnitKind.Distillation);
        Assert.Equal(label, StudyReport.ModelLabel(unit, role));
        // The kind comes from the role and the arm, never from parsing the label back.
        Assert.Equal(kind, StudyReport.KindOf(unit, role));
    }

    [Fact]
    public void Figures_name_classes_and_mark_oracles_and_controls()
    {
        var accuracy = FigureFile.ToHtml(StudyFigures.Accuracy([
            new ModelRuns("r18", "baseline", ModelKind.Baseline, [0.6, 0.7], [0.5, 0.6]), new ModelRuns("r18", "ROI teacher", ModelKind.Teacher, [0.9, 0.8], [0.9, 0.8]),
            new ModelRuns("r18", "HKD student", ModelKind.Student, [0.7, 0.8], [0.6, 0.7]), new ModelRuns("r18", "HKD student (noroi)", ModelKind.Control, [0.6, 0.6], [0.5, 0.5])], 0.594, "acc"));
        Assert.Contains("ROI teacher [oracle]", accuracy);
        Assert.Contains("HKD student (noroi) [control]", accuracy);
        Assert.Contains("majority rate 0.594", accuracy);
        Assert.Contains("95 % CI", accuracy);
        Assert.Contains("balanced accuracy", accuracy);
        // Baseline before student before control before teacher on the x axis.
        int b = accuracy.IndexOf("\"baseline\"", StringComparison.Ordinal), s = accuracy.IndexOf("\"HKD student\"", StringComparison.Ordinal);
        Assert.True(b >= 0 && s > b, "baseline is drawn before the student");

        // Two backbones: each group's models sit together (baseline, student, control, teacher), top-down; the majority
        // rate is drawn on the accuracy panel only and chance (1/classes) on the balanced-accuracy panel only.
        var two = System.Text.Json.Nodes.JsonNode.Parse(Plotly.NET.GenericChart.toFigureJson(StudyFigures.Accuracy([
            new ModelRuns("a", "HKD student", ModelKind.Student, [0.7], [0.6]), new ModelRuns("b", "baseline", ModelKind.Baseline, [0.6], [0.5]),
            new ModelRuns("a", "ROI teacher", ModelKind.Teacher, [0.9], [0.9]), new ModelRuns("a", "baseline", ModelKind.Baseline, [0.5], [0.4])], 0.6, "acc", classes: 5)))!;
        var ticks = two["layout"]!["yaxis"]!["ticktext"]!.AsArray().Select(t => (string)t!).ToArray();
        Assert.Equal(["a: baseline", "a: HKD student", "a: ROI teacher [oracle]", "b: baseline"], ticks);
        var lines = two["data"]!.AsArray().Where(t => (string?)t!["mode"] == "lines").ToDictionary(t => ((string)t!["name"]!).Split(' ')[0], t => (string)t!["xaxis"]!);
        Assert.Equal("x", lines["majority"]);
        Assert.Equal("x2", lines["chance"]);
        Assert.Contains("chance 0.200 (1/5 classes", Plotly.NET.GenericChart.toFigureJson(StudyFigures.Accuracy([new ModelRuns("a", "baseline", ModelKind.Baseline, [0.5], [0.4])], null, "acc", classes: 5)));

        var confusion = FigureFile.ToHtml(StudyFigures.Confusions([("baseline", new[,] { { 2, 0 }, { 1, 3 } })], ["B", "NB"], "c"));
        Assert.Contains("bacterial", confusion);
        Assert.Contains("healthy", confusion);
        Assert.Contains("0.25", confusion);   // row NB: 1 of 4 predicted bacterial
        Assert.Throws<ArgumentException>(() => StudyFigures.Confusions([("x", new int[3, 3])], ["B", "NB"], "c"));

        var f1 = FigureFile.ToHtml(StudyFigures.ClassF1([("HKD student", ModelKind.Student, ["C", "P"], [new Dictionary<string, double> { ["C_f1"] = 0.9, ["P_f1"] = 0.1 }, new Dictionary<string, double> { ["C_f1"] = 1.0, ["P_f1"] = 0.0 }])], "f1"));
        Assert.Contains("COVID-19", f1);
        Assert.Contains("fungal", f1);

        var paired = FigureFile.ToHtml(StudyFigures.PairedScoresFigure([new PairedScores("energy in mask", [0.2, 0.4, double.NaN], [0.5, 0.5, 0.9])], "paired"));
        Assert.Contains("student − baseline +0.200 (n = 2)", paired);
        Assert.Throws<ArgumentException>(() => StudyFigures.PairedScoresFigure([new PairedScores("x", [1.0], [])], "p"));
    }
}
