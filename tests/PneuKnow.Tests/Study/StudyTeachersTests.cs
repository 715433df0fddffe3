using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Study;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>teachers.csv from a fake study folder: numbers checked by hand.</summary>
public sealed class StudyTeachersTests : IDisposable
{
    readonly DirectoryInfo root = Directory.CreateTempSubdirectory("study-teachers-");
    public void Dispose() => root.Delete(true);

    static readonly string[] Classes = ["B", "NB", "V"];

    /// <summary>Writes predictions_test.csv with (label, predicted) pairs given as class indices.</summary>
    string Run(string unit, string role, int k, params (int Label, int Predicted)[] rows)
    {
        var dir = Path.Combine(root.FullName, "runs", unit, role, $"run_{k}");
        Directory.CreateDirectory(dir);
        new Predictions(Classes, rows.Select((r, i) => new PredictionRow(i, $"img{i}.png", r.Label, r.Predicted,
            Enumerable.Range(0, 3).Select(c => c == r.Predicted ? 1.0 : 0.0).ToArray())).ToList()).Write(Path.Combine(dir, "predictions_test.csv"));
        return dir;
    }

    [Fact]
    public void Teachers_are_scored_on_their_predictions_and_gated_on_healthy_recall_and_the_paired_baseline()
    {
        var baselineUnit = new StudyUnit("resnet18", StudyVariant.Main, StudyUnitKind.Baseline, StudyCondition.Clean);
        var kdUnit = new StudyUnit("resnet18", StudyVariant.Main, StudyUnitKind.Distillation, StudyCondition.Clean);
        // 10 test images: 4 NB (healthy), 3 B, 3 V.
        (int, int)[] Images(int nbRight, int bRight, int vRight) =>
            [.. Enumerable.Range(0, 4).Select(i => (1, i < nbRight ? 1 : 0)),
             .. Enumerable.Range(0, 3).Select(i => (0, i < bRight ? 0 : 2)),
             .. Enumerable.Range(0, 3).Select(i => (2, i < vRight ? 2 : 0))];
        // Pair 0: teacher 10/10 right; baseline 6/10; student 8/10.  Pair 1: teacher calls every healthy image B (6/10 right, healthy recall 0); baseline 7/10; student 5/10.
        // Pair 2: teacher healthy 4/4 but 1+1 of the diseased (6/10) below the baseline 7/10; student 9/10.
        var t = new[] { Run(kdUnit.Key, "teacher", 0, Images(4, 3, 3)), Run(kdUnit.Key, "teacher", 1, Images(0, 3, 3)), Run(kdUnit.Key, "teacher", 2, Images(4, 1, 1)) };
        var b = new[] { Run(baselineUnit.Key, "baseline", 0, Images(4, 1, 1)), Run(baselineUnit.Key, "baseline", 1, Images(4, 2, 1)), Run(baselineUnit.Key, "baseline", 2, Images(4, 2, 1)) };
        var s = new[] { Run(kdUnit.Key, "student", 0, Images(4, 2, 2)), Run(kdUnit.Key, "student", 1, Images(2, 2, 1)), Run(kdUnit.Key, "student", 2, Images(4, 3, 2)) };

        var rows = StudyTeachers.Evaluate([(baselineUnit, Role.Baseline, b), (kdUnit, Role.Teacher, t), (kdUnit, Role.Student, s)], "test");

        Assert.Equal(3, rows.Count);
        Assert.Equal([1.0, 0.6, 0.6], rows.Select(r => r.Accuracy));
        Assert.Equal([1.0, 0.0, 1.0], rows.Select(r => r.HealthyRecall));
        Assert.Equal(1.0 / 3, rows[2].ClassRecall["B"], 12);
        Assert.Equal([0.6, 0.7, 0.7], rows.Select(r => r.BaselineAccuracy!.Value));
        Assert.Equal([0.8, 0.5, 0.9], rows.Select(r => r.StudentAccuracy!.Value));
        Assert.Equal(["", "healthy_recall;below_baseline", "below_baseline"], rows.Select(r => r.Gate));
        Assert.Equal([true, false, false], rows.Select(r => r.PassesGate));
        Assert.Equal(0.2, rows[0].StudentGain!.Value, 12);

        var tables = Path.Combine(root.FullName, "tables");
        StudyTeachers.Write(rows, tables, "test");
        var csv = File.ReadAllLines(Path.Combine(tables, "teachers.csv"));
        Assert.Equal("condition,backbone,variant,run,images,accuracy,healthy_recall,recall_B,recall_NB,recall_V,baseline_accuracy,student_accuracy,student_gain,passes_gate,gate", csv[0]);
        Assert.Equal("clean,resnet18,do,1,10,0.6000,0.0000,1.0000,0.0000,1.0000,0.7000,0.5000,-0.2000,false,healthy_recall;below_baseline", csv[2]);
        // Gains (0.2, −0.2, 0.2) against teacher accuracies (1.0, 0.6, 0.6), by hand: deviations (4, −2, −2)/15 and (2, −4, 2)/15,
        // Σxy = 12/225, Σxx = Σyy = 24/225, r = 0.5; ranks (3, 1.5, 1.5) and (2.5, 1, 2.5): deviations (1, −½, −½) and (½, −1, ½), ρ = 0.75/1.5 = 0.5.
        Assert.Equal(0.5, StudyTeachers.Pearson([1.0, 0.6, 0.6], [0.2, -0.2, 0.2]), 12);
        Assert.Equal(0.5, StudyTeachers.Spearman([1.0, 0.6, 0.6], [0.2, -0.2, 0.2]), 12);
        var md = File.ReadAllText(Path.Combine(tables, "teachers.md"));
        Assert.Contains("2 of 3 teacher run(s) fail it", md);
        Assert.Contains("n = 3 pair(s): Pearson r = +0.500, Spearman ρ = +0.500", md);
    }
}
