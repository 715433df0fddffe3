using PneuKnow.Evaluation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Evaluation;

public class RepeatedRunsTests
{
    private static readonly string[] Classes = ["x", "y"];

    /// <summary>Predictions with the given labels and predictions; the probability of the predicted class is 0.75.</summary>
    internal static Predictions Make(int[] labels, int[] predicted, string[]? classes = null)
    {
        classes ??= Classes;
        var rows = labels.Select((l, i) =>
        {
            var p = Enumerable.Repeat(0.25 / (classes.Length - 1), classes.Length).ToArray();
            p[predicted[i]] = 0.75;
            return new PredictionRow(i, $"f{i}.png", l, predicted[i], p);
        }).ToArray();
        return new Predictions(classes, rows);
    }

    [Fact]
    public void Mean_and_population_std_over_runs_as_the_authors()
    {
        int[] labels = [0, 0, 1, 1];
        var runs = new[]
        {
            new EvaluatedRun("g", "r1", Make(labels, [0, 0, 1, 1])),   // accuracy 1
            new EvaluatedRun("g", "r2", Make(labels, [0, 1, 1, 1])),   // 0.75
            new EvaluatedRun("g", "r3", Make(labels, [1, 1, 1, 1])),   // 0.5
            new EvaluatedRun("h", "r1", Make(labels, [0, 0, 0, 1])),   // 0.75
        };
        var groups = RepeatedRuns.Summarize(runs);
        Assert.Equal(["g", "h"], groups.Select(g => g.Group));
        var acc = groups[0]["accuracy"];
        Assert.Equal(0.75, acc.Mean, 12);
        Assert.Equal(Math.Sqrt((0.0625 + 0 + 0.0625) / 3), acc.Std, 12);
        var sample = RepeatedRuns.Summarize(runs, ddof: 1)[0]["accuracy"];
        Assert.Equal(Math.Sqrt((0.0625 + 0 + 0.0625) / 2), sample.Std, 12);
        Assert.True(double.IsNaN(RepeatedRuns.Summarize(runs, ddof: 1)[1]["accuracy"].Std));
        Assert.Equal("0.7500 ± 0.2041", acc.Format());
        Assert.Equal("0.7500 ± n/a", RepeatedRuns.Summarize(runs, ddof: 1)[1]["accuracy"].Format());
    }

    [Fact]
    public void Published_std_is_the_population_std()
    {
        // ResNet50 HKD student, viral precision 0.05 ± 0.1 over 5 runs: one run at 0.25, four at 0.
        var s = Spread.Of([0.25, 0, 0, 0, 0]);
        Assert.Equal(0.05, s.Mean, 12);
        Assert.Equal(0.1, s.Std, 12);
    }

    [Fact]
    public void Runs_with_different_class_lists_are_refused_naming_both()
    {
        var a = new EvaluatedRun("g", "a", Make([0, 1], [0, 1]));
        var b = new EvaluatedRun("g", "b", Make([0, 1], [0, 1], ["x", "z"]));
        var ex = Assert.Throws<ArgumentException>(() => RepeatedRuns.Summarize([a, b]));
        Assert.Contains("g/b", ex.Message);
        Assert.Contains("[x, y]", ex.Message);
        Assert.Contains("[x, z]", ex.Message);
    }

    [Fact]
    public void Duplicate_run_names_and_no_runs_are_refused()
    {
        var a = new EvaluatedRun("g", "a", Make([0, 1], [0, 1]));
        Assert.Contains("'a' 2 times", Assert.Throws<ArgumentException>(() => RepeatedRuns.Summarize([a, a])).Message);
        Assert.Throws<ArgumentException>(() => RepeatedRuns.Summarize([]));
    }

    [Fact]
    public void Bootstrap_interval_is_seeded_and_near_the_normal_approximation()
    {
        // 400 images, 320 correct: the binomial standard error is sqrt(0.8·0.2/400) = 0.02, so a 95 % interval is about ±0.039.
        var labels = Enumerable.Range(0, 400).Select(i => i % 2).ToArray();
        var predicted = labels.Select((l, i) => i % 5 == 0 ? 1 - l : l).ToArray();
        var p = Make(labels, predicted);
        var a = Bootstrap.Interval(p, x => ClassificationReport.Of(x).Accuracy, resamples: 2000, seed: 3);
        var b = Bootstrap.Interval(p, x => ClassificationReport.Of(x).Accuracy, resamples: 2000, seed: 3);
        Assert.Equal(a, b);
        Assert.Equal(0.8, a.Estimate, 12);
        Assert.InRange(a.Lower, 0.8 - 0.039 * 1.2, 0.8 - 0.039 * 0.8);
        Assert.InRange(a.Upper, 0.8 + 0.039 * 0.8, 0.8 + 0.039 * 1.2);
        var perfect = Bootstrap.Interval(Make(labels, labels), x => ClassificationReport.Of(x).Accuracy, resamples: 50);
        Assert.Equal((1.0, 1.0), (perfect.Lower, perfect.Upper));
    }

    [Fact]
    public void Quantile_interpolates_like_numpy()
    {
        // numpy.percentile([1, 2, 3, 4], 25) == 1.75
        Assert.Equal(1.75, Bootstrap.Quantile([1, 2, 3, 4], 0.25), 12);
    }
}

public class RocEdgeCaseTests
{
    [Fact]
    public void All_images_of_one_class_leave_per_class_and_macro_auc_undefined_but_micro_defined()
    {
        var p = RepeatedRunsTests.Make([0, 0, 0], [0, 1, 0]);
        var roc = RocAnalysis.Of(p);
        Assert.All(roc.PerClass, Assert.Null);
        Assert.True(double.IsNaN(roc.MacroAuc));
        // pooled: positives (class-0 column) score 0.75, 0.25, 0.75; negatives (class-1 column) 0.25, 0.75, 0.25.
        // Of the 9 pairs 4 are ordered, 4 tied (count ½) and 1 reversed: AUC = (4 + 2) / 9.
        Assert.Equal(6.0 / 9, roc.MicroAuc, 12);
    }
}
