using Microsoft.Data.Analysis;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Evaluation;

public class PaperTablesTests
{
    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"Expected {relative} above {AppContext.BaseDirectory}.");
    }

    private static RunGroup Group(string key, params string[] sets) => RepeatedRuns.Summarize(
        sets.Select((s, i) => new EvaluatedRun(key, $"run{i}", Predictions.Read(EvaluationFixtures.Path($"predictions_{s}.csv"))))).Single();

    [Fact]
    public void Class_table_has_a_row_per_class_and_the_group_means()
    {
        var baseline = Group("baseline", "imbalanced", "never_predicted");
        var hkd = Group("hkd", "imbalanced");
        var t = PaperTables.ClassScores([("baseline", baseline), ("HKD", hkd)]);
        Assert.Equal(["B", "C", "NB", "P", "V"], ((StringDataFrameColumn)t.Columns["class"]).ToArray());
        Assert.Equal(1 + 2 * 3 * 2, t.Columns.Count);
        Assert.Equal(baseline["NB_recall"].Mean, (double)t.Columns["baseline recall mean"][2]!, 12);
        Assert.Equal(hkd["V_f1"].Mean, (double)t.Columns["HKD f1 mean"][4]!, 12);
        Assert.Equal(0.0, (double)t.Columns["HKD f1 std"][4]!, 12);   // one run
        var md = TableFormat.ToMarkdown(t);
        Assert.StartsWith("| class | baseline precision | baseline recall |", md);
        Assert.Contains($"| NB | {baseline["NB_precision"].Format()} |", md);
    }

    [Fact]
    public void Class_table_refuses_models_with_different_classes()
    {
        var ex = Assert.Throws<ArgumentException>(() => PaperTables.ClassScores([("a", Group("a", "imbalanced")), ("b", Group("b", "ties"))]));
        Assert.Contains("Model 'b'", ex.Message);
        Assert.Contains("[a, b, c]", ex.Message);
    }

    [Fact]
    public void Accuracy_table_puts_backbones_in_rows_and_variants_in_columns()
    {
        var g1 = Group("x", "imbalanced", "never_predicted");
        var g2 = Group("y", "absent_class");
        var t = PaperTables.Accuracy([("convnext_small", "baseline", g1), ("convnext_small", "HKD", g2), ("resnet50", "baseline", g2)]);
        Assert.Equal(["convnext_small", "resnet50"], ((StringDataFrameColumn)t.Columns["backbone"]).ToArray());
        Assert.Equal(g1["accuracy"].Mean, (double)t.Columns["baseline mean"][0]!, 12);
        Assert.Equal(2, (int)t.Columns["baseline runs"][0]!);
        Assert.True(double.IsNaN((double)t.Columns["HKD mean"][1]!));
        var md = TableFormat.ToMarkdown(t);
        Assert.Contains("| resnet50 | " + g2["accuracy"].Format() + " | 1 | — | 0 |", md);
        Assert.Throws<ArgumentException>(() => PaperTables.Accuracy([("a", "v", g1), ("a", "v", g2)]));
    }

    [Fact]
    public void Published_numbers_are_read_with_split_and_recipe()
    {
        var published = PublishedMetrics.Read(RepositoryFile("data/paper-reference/published-metrics.csv"));
        Assert.Equal(81, published.Results.Count);
        var baseline = published.Find(PublishedMetrics.ExperimentName("convnext_small", distilled: false), Role.Baseline);
        Assert.Equal(0.7853, baseline.Metrics["accuracy"].Mean);
        Assert.Equal(0.0037, baseline.Metrics["accuracy"].Std);
        var student = published.Find("ConvNeXt_small_KD", Role.Student);
        Assert.Equal(0.8083, student.Metrics["accuracy"].Mean);
        Assert.Contains("217 images", student.Split);
        Assert.Contains("checkpoint", student.Split);
        Assert.Contains("HKD student", student.Recipe);
        Assert.Equal(0.8009, published.Find("ConvNeXt_small_KD_30roi", Role.Student).Metrics["accuracy"].Mean);
        Assert.Equal(0.788, published.Find("ConvNeXt_small_KD_noroi", Role.Student).Metrics["accuracy"].Mean);
        Assert.Contains("has roles teacher, student", Assert.Throws<KeyNotFoundException>(() => published.Find("ConvNeXt_small_KD", Role.Baseline)).Message);
    }

    [Fact]
    public void Comparison_puts_ours_beside_the_published_number_with_both_sources()
    {
        var published = PublishedMetrics.Read(RepositoryFile("data/paper-reference/published-metrics.csv"));
        var ours = Group("convnext_small/baseline", "imbalanced", "never_predicted");
        var t = PaperTables.Comparison([new ComparisonEntry(ours, "held-out test split", "quick preset", "ConvNeXt_small_Baseline", Role.Baseline)], published);
        Assert.Equal(1 + 5 * 3, t.Rows.Count);
        Assert.Equal("accuracy", t.Columns["metric"][0]);
        Assert.Equal(ours["accuracy"].Mean, (double)t.Columns["ours mean"][0]!, 12);
        Assert.Equal(0.7853, (double)t.Columns["published mean"][0]!, 12);
        Assert.Equal(ours["accuracy"].Mean - 0.7853, (double)t.Columns["difference"][0]!, 12);
        // row 1 is B precision: the authors call B "bacterial"
        Assert.Equal("B_precision", t.Columns["metric"][1]);
        Assert.Equal(0.326, (double)t.Columns["published mean"][1]!, 12);
        Assert.Equal("held-out test split", t.Columns["ours split"][1]);
        Assert.Contains("217 images", (string)t.Columns["published split"][1]!);
        Assert.Contains("10.1038/s41598-023-36148-7", (string)t.Columns["published source"][1]!);
        var other = Group("x", "ties");
        Assert.Contains("found 'a'", Assert.Throws<ArgumentException>(() =>
            PaperTables.Comparison([new ComparisonEntry(other, "s", "r", "ConvNeXt_small_Baseline", Role.Baseline)], published)).Message);
    }

    [Fact]
    public void Csv_round_trips_through_Data_Analysis()
    {
        var t = PaperTables.Accuracy([("convnext_small", "baseline", Group("x", "imbalanced", "never_predicted"))]);
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-acc-{Guid.NewGuid():N}.csv");
        try
        {
            TableFormat.WriteCsv(t, path);
            var back = DataFrame.LoadCsv(path);
            Assert.Equal(t.Columns.Select(c => c.Name), back.Columns.Select(c => c.Name));
            Assert.Equal((double)t.Columns["baseline mean"][0]!, Convert.ToDouble(back.Columns["baseline mean"][0]), 6);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Malformed_published_files_name_row_and_column()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-pub-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "table,experiment,role,backbone,split,recipe,accuracy_mean,accuracy_std\ndo,E,baseline,B,valid,r,0.7x,0.01\n");
            var ex = Assert.Throws<InvalidDataException>(() => PublishedMetrics.Read(path));
            Assert.Contains("row 2, column accuracy_mean", ex.Message);
            Assert.Contains("'0.7x'", ex.Message);
            File.WriteAllText(path, "table,experiment,role,backbone,recipe,accuracy_mean,accuracy_std\ndo,E,baseline,B,r,0.7,0.01\n");
            Assert.Contains("expected a column 'split'", Assert.Throws<InvalidDataException>(() => PublishedMetrics.Read(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
