using System.Text.Json;
using PneuKnow.Evaluation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Evaluation;

/// <summary>Every metric against scikit-learn 1.2's values on the committed fixtures, to 1e-6.</summary>
public class MetricsTests
{
    private const double Tolerance = 1e-6;

    public static TheoryData<string> Sets => new() { "imbalanced", "never_predicted", "absent_class", "ties" };

    private static (Predictions, JsonElement) Load(string set) =>
        (Predictions.Read(EvaluationFixtures.Path($"predictions_{set}.csv")), EvaluationFixtures.Json($"expected_{set}.json"));

    private static void Close(double[] expected, double[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, found {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"{what}[{i}]: expected {expected[i]}, found {actual[i]}");
    }

    [Theory, MemberData(nameof(Sets))]
    public void Classification_report_matches_sklearn(string set)
    {
        var (p, e) = Load(set);
        var r = ClassificationReport.Of(p);
        Assert.Equal(e.GetProperty("accuracy").GetDouble(), r.Accuracy, Tolerance);
        Close(EvaluationFixtures.Doubles(e.GetProperty("precision")), r.Precision, "precision");
        Close(EvaluationFixtures.Doubles(e.GetProperty("recall")), r.Recall, "recall");
        Close(EvaluationFixtures.Doubles(e.GetProperty("f1")), r.F1, "f1");
        Close(EvaluationFixtures.Doubles(e.GetProperty("support")), r.Support.Select(s => (double)s).ToArray(), "support");
        foreach (var (name, avg) in new[] { ("macro", r.Macro), ("weighted", r.Weighted) })
        {
            var x = e.GetProperty(name);
            Assert.Equal(x.GetProperty("precision").GetDouble(), avg.Precision, Tolerance);
            Assert.Equal(x.GetProperty("recall").GetDouble(), avg.Recall, Tolerance);
            Assert.Equal(x.GetProperty("f1").GetDouble(), avg.F1, Tolerance);
        }
        var confusion = e.GetProperty("confusion").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int i = 0; i < confusion.Length; i++)
            for (int j = 0; j < confusion.Length; j++)
                Assert.Equal(confusion[i][j], r.Confusion[i, j]);
    }

    [Theory, MemberData(nameof(Sets))]
    public void Roc_curves_and_auc_match_sklearn(string set)
    {
        var (p, e) = Load(set);
        var roc = RocAnalysis.Of(p);
        var perClass = e.GetProperty("roc").EnumerateArray().ToArray();
        for (int c = 0; c < perClass.Length; c++)
        {
            var x = perClass[c];
            if (x.GetProperty("auc").ValueKind == JsonValueKind.Null)
            {
                Assert.Null(roc.PerClass[c]);
                Assert.True(double.IsNaN(roc.ClassAuc[c]));
                Assert.Contains(p.Classes[c], roc.UndefinedClasses);
                continue;
            }
            var curve = roc.PerClass[c]!;
            Close(EvaluationFixtures.Doubles(x.GetProperty("fpr")), curve.FalsePositiveRate, $"{p.Classes[c]} fpr");
            Close(EvaluationFixtures.Doubles(x.GetProperty("tpr")), curve.TruePositiveRate, $"{p.Classes[c]} tpr");
            Close(EvaluationFixtures.Doubles(x.GetProperty("thresholds")), curve.Thresholds, $"{p.Classes[c]} thresholds");
            Assert.Equal(x.GetProperty("auc").GetDouble(), curve.Auc, Tolerance);
        }
        var micro = e.GetProperty("micro_roc");
        Close(EvaluationFixtures.Doubles(micro.GetProperty("fpr")), roc.Micro.FalsePositiveRate, "micro fpr");
        Close(EvaluationFixtures.Doubles(micro.GetProperty("tpr")), roc.Micro.TruePositiveRate, "micro tpr");
        Close(EvaluationFixtures.Doubles(micro.GetProperty("thresholds")), roc.Micro.Thresholds, "micro thresholds");
        Assert.Equal(e.GetProperty("auc_micro").GetDouble(), roc.MicroAuc, Tolerance);
        Assert.Equal(e.GetProperty("auc_macro").GetDouble(), roc.MacroAuc, Tolerance);
    }

    [Fact]
    public void Run_metrics_names_carry_the_report_values()
    {
        var (p, e) = Load("imbalanced");
        var m = RunMetrics.Of(p);
        Assert.Equal(RunMetrics.MetricNames(p.Classes), m.Values.Keys);
        Assert.Equal(e.GetProperty("accuracy").GetDouble(), m.Values["accuracy"], Tolerance);
        Assert.Equal(EvaluationFixtures.Doubles(e.GetProperty("f1"))[2], m.Values["NB_f1"], Tolerance);
        Assert.Equal(e.GetProperty("auc_macro").GetDouble(), m.Values["auc_macro"], Tolerance);
    }

    [Fact]
    public void Roc_curve_of_a_perfect_separation_is_the_unit_corner()
    {
        var c = RocCurve.Compute([false, false, true, true], [0.1, 0.4, 0.35, 0.8]);
        Assert.Equal(0.75, c.Auc, 12);  // one of four positive-negative pairs is mis-ordered
        var perfect = RocCurve.Compute([false, true], [0.2, 0.9]);
        Assert.Equal(1.0, perfect.Auc, 12);
        Assert.Throws<ArgumentException>(() => RocCurve.Compute([true, true], [0.2, 0.9]));
    }
}
