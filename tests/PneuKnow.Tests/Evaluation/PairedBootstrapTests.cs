using PneuKnow.Evaluation;

namespace PneuKnow.Tests.Evaluation;

public sealed class PairedBootstrapTests
{
    static readonly string[] Five = ["B", "C", "NB", "P", "V"];

    [Fact]
    public void With_three_pairs_and_no_image_level_the_95_percent_interval_is_the_range_of_the_pair_differences()
    {
        // Hand-worked: resampling 3 pairs with replacement gives 27 equally likely means; the all-minimum and all-maximum
        // draws each have probability 1/27 > 2.5 %, so the 2.5 and 97.5 percentiles are the smallest and largest difference.
        var student = new[] { 0.80, 0.75, 0.90 };
        var baseline = new[] { 0.78, 0.76, 0.82 };
        var d = PairedBootstrap.OfRuns(student, baseline, resamples: 20000, seed: 3);
        Assert.Equal((0.02 - 0.01 + 0.08) / 3, d.Estimate, 12);
        Assert.Equal(-0.01, d.Lower, 9);
        Assert.Equal(0.08, d.Upper, 9);
        Assert.Equal(ClaimVerdict.Inconclusive, d.Verdict);
        Assert.Equal(0, d.Images);
    }

    [Fact]
    public void One_pair_on_1000_images_matches_the_normal_approximation_of_a_paired_accuracy_difference()
    {
        // 100 images only the student gets right, 60 only the baseline, 840 both or neither (half each).
        // Per-image difference d in {-1, 0, 1}: mean 0.04, variance 0.16 - 0.04^2 = 0.1584, SE sqrt(0.1584/1000) = 0.012586;
        // 95 % normal interval 0.04 ± 1.96 · 0.012586 = [0.01533, 0.06467].
        int n = 1000;
        var labels = new int[n];
        var s = new int[n];
        var b = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 5;
            bool sRight = i < 100 || (i >= 160 && i < 580);
            bool bRight = (i >= 100 && i < 160) || (i >= 160 && i < 580);
            s[i] = sRight ? labels[i] : (labels[i] + 1) % 5;
            b[i] = bRight ? labels[i] : (labels[i] + 2) % 5;
        }
        var d = PairedBootstrap.OfPredictions(labels, [s], [b], Five, r => r.Accuracy, resamples: 8000, seed: 1);
        Assert.Equal(0.04, d.Estimate, 12);
        Assert.InRange(d.Lower, 0.01533 - 0.003, 0.01533 + 0.003);
        Assert.InRange(d.Upper, 0.06467 - 0.003, 0.06467 + 0.003);
        Assert.Equal(ClaimVerdict.Supported, d.Verdict);
        Assert.Equal((1, 1000), (d.Pairs, d.Images));
    }

    [Fact]
    public void The_image_draw_is_shared_by_the_pairs_so_identical_pairs_do_not_shrink_the_interval()
    {
        // Two identical pairs carry no more information than one: the interval must not narrow by sqrt(2).
        int n = 400;
        var labels = Enumerable.Range(0, n).Select(i => i % 5).ToArray();
        var s = labels.Select((l, i) => i % 3 == 0 ? (l + 1) % 5 : l).ToArray();
        var b = labels.Select((l, i) => i % 4 == 0 ? (l + 1) % 5 : l).ToArray();
        var one = PairedBootstrap.OfPredictions(labels, [s], [b], Five, r => r.Accuracy, resamples: 6000, seed: 2);
        var two = PairedBootstrap.OfPredictions(labels, [s, s], [b, b], Five, r => r.Accuracy, resamples: 6000, seed: 2);
        Assert.InRange(two.HalfWidth / one.HalfWidth, 0.9, 1.1);
    }

    [Fact]
    public void Balanced_accuracy_is_the_mean_recall_over_the_classes_present()
    {
        // scikit-learn: balanced_accuracy_score([0,0,0,1,1,2], [0,0,1,1,0,2]) = (2/3 + 1/2 + 1) / 3 = 0.72222...
        var r = ClassificationReport.Compute([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 2], Five);
        Assert.Equal((2.0 / 3 + 0.5 + 1) / 3, PairedBootstrap.BalancedAccuracy(r), 12);
    }

    [Fact]
    public void Per_image_scores_skip_undefined_images_within_a_pair()
    {
        var a = new[] { new[] { 0.9, double.NaN, 0.5, 0.7 } };
        var b = new[] { new[] { 0.4, 0.3, double.NaN, 0.5 } };
        var d = PairedBootstrap.OfScores(a, b, resamples: 200, seed: 0);
        Assert.Equal((0.5 + 0.2) / 2, d.Estimate, 12);
    }

    [Fact]
    public void One_pair_of_run_level_numbers_has_no_interval_and_no_verdict()
    {
        var d = PairedBootstrap.OfRuns([0.9], [0.8]);
        Assert.Equal(0.1, d.Estimate, 12);
        Assert.True(double.IsNaN(d.Lower) && double.IsNaN(d.Upper));
        Assert.Equal(ClaimVerdict.Inconclusive, d.Verdict);
    }

    [Fact]
    public void Verdicts_follow_the_interval()
    {
        Assert.Equal(ClaimVerdict.Supported, new PairedDifference(0.1, 0.01, 0.2, 0.95, 3, 10, 100, 0).Verdict);
        Assert.Equal(ClaimVerdict.Contradicted, new PairedDifference(-0.1, -0.2, -0.01, 0.95, 3, 10, 100, 0).Verdict);
        Assert.Equal(ClaimVerdict.Inconclusive, new PairedDifference(0.1, -0.01, 0.2, 0.95, 3, 10, 100, 0).Verdict);
        Assert.Throws<ArgumentException>(() => PairedBootstrap.OfRuns([0.1], [0.1, 0.2]));
    }
}
