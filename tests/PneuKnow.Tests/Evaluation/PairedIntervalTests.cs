using PneuKnow.Evaluation;

namespace PneuKnow.Tests.Evaluation;

public sealed class PairedIntervalTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly string[] Five = ["B", "C", "NB", "P", "V"];

    // scipy 1.10 (Debian 12): stats.t.ppf(0.975, df), stats.t.cdf(-1.3, df), stats.t.cdf(2.9, df).
    [Theory]
    [InlineData(1, 12.706204736432095, 0.20871440016015264, 0.8943021886801741)]
    [InlineData(2, 4.302652729911275, 0.16162351590802027, 0.9494099023459641)]
    [InlineData(2.5, 3.5746548420118773, 0.15024339463535397, 0.9610891961517524)]
    [InlineData(3.7, 2.8675207071912086, 0.13433336208631366, 0.9757609613191487)]
    [InlineData(11, 2.200985160082949, 0.11009063134992099, 0.9927774407156136)]
    [InlineData(50, 2.008559109715206, 0.09978106776392681, 0.9972341697375218)]
    [InlineData(1e6, 1.9599663568141066, 0.09680063440456255, 0.998134146089728)]
    public void Student_t_quantile_and_cdf_equal_scipy(double df, double q975, double cdfMinus13, double cdf29)
    {
        Assert.Equal(q975, StudentT.Quantile(0.975, df), 7);
        Assert.Equal(-q975, StudentT.Quantile(0.025, df), 7);
        Assert.Equal(cdfMinus13, StudentT.Cdf(-1.3, df), 9);
        Assert.Equal(cdf29, StudentT.Cdf(2.9, df), 9);
    }

    // scipy: brentq on quad(t.pdf(t, df) * norm.cdf((x - sqrt(w) t) / sqrt(1 - w))) = 0.975, and that CDF at -1.7.
    [Theory]
    [InlineData(2, 0.5, 3.275953386705561, 0.09666788310063824)]
    [InlineData(4, 0.3, 2.2183995262514844, 0.061459775214933676)]
    [InlineData(11, 0.8, 2.1489272786219327, 0.056305479675386245)]
    [InlineData(1, 0.9, 12.062414584982605, 0.16574206594722837)]
    [InlineData(2, 0.75, 3.818433843383361, 0.10732047686564282)]
    public void Behrens_Fisher_critical_value_and_cdf_equal_scipy_quadrature(int df, double w, double q975, double cdfMinus17)
    {
        Assert.InRange(StudentT.SumQuantile(0.975, df, w), q975 * (1 - 2e-4), q975 * (1 + 2e-4));
        Assert.Equal(cdfMinus17, StudentT.SumCdf(-1.7, df, w), 6);
        Assert.Equal(StudentT.Quantile(0.975, df), StudentT.SumQuantile(0.975, df, 1), 9);
        Assert.Equal(1.959963984540054, StudentT.SumQuantile(0.975, df, 0), 6);
    }

    [Fact]
    public void Run_level_numbers_get_the_paired_t_interval_and_p_of_scipy()
    {
        // scipy: ttest_rel([.80,.75,.90], [.78,.76,.82]) -> t 1.1338934190276815, p 0.37445675782877585;
        // mean 0.03 ± t(0.975, 2) · sd/√3 = [-0.08383749101218403, 0.14383749101218407].
        var d = PairedInterval.OfRuns([0.80, 0.75, 0.90], [0.78, 0.76, 0.82]);
        Assert.Equal(0.03, d.Estimate, 12);
        Assert.Equal(-0.08383749101218403, d.Lower, 9);
        Assert.Equal(0.14383749101218407, d.Upper, 9);
        Assert.Equal(0.37445675782877585, d.P, 9);
        Assert.Equal(2, d.DegreesOfFreedom, 12);
        Assert.Equal(1, d.SeedShare, 12);
        Assert.Equal(ClaimVerdict.Inconclusive, d.Verdict);
    }

    [Fact]
    public void Identical_pairs_reduce_to_the_patient_clustered_interval_of_one_comparison()
    {
        // Two identical pairs: no seed variance, and all test-set variance is shared. The variance is then the cluster
        // variance of the per-image difference, computed here by hand on 6 images in 3 patients.
        var a = new[] { 1.0, 1, 0, 1, 0, 1 };
        var b = new[] { 0.0, 1, 0, 0, 1, 0 };
        var patients = new[] { 0, 0, 1, 1, 2, 2 };
        var x = a.Zip(b, (p, q) => p - q).ToArray();            // 1, 0, 0, 1, -1, 1
        double mean = x.Average();                              // 1/3
        double[] sums = [x[0] + x[1] - 2 * mean, x[2] + x[3] - 2 * mean, x[4] + x[5] - 2 * mean];
        double v = 3.0 / 2 * sums.Sum(s => s * s) / 36;
        double q = 1.959963984540054;                           // no seed part (w = 0): the normal quantile
        var d = PairedInterval.OfImageScores([a, a], [b, b], patients);
        Assert.Equal(mean, d.Estimate, 12);
        Assert.Equal(mean - q * Math.Sqrt(v), d.Lower, 9);
        Assert.Equal(mean + q * Math.Sqrt(v), d.Upper, 9);
        Assert.Equal((2, 6, 3), (d.Pairs, d.Images, d.Clusters));
    }

    [Fact]
    public void Images_undefined_in_any_pair_are_left_out_of_every_pair()
    {
        var a = new[] { new[] { 0.9, double.NaN, 0.5, 0.7 }, new[] { 0.8, 0.6, 0.5, 0.6 } };
        var b = new[] { new[] { 0.4, 0.3, double.NaN, 0.5 }, new[] { 0.5, 0.3, 0.1, 0.4 } };
        var d = PairedInterval.OfImageScores(a, b, [0, 1, 2, 3]);
        Assert.Equal(((0.5 + 0.2) / 2 + (0.3 + 0.2) / 2) / 2, d.Estimate, 12);
        Assert.Equal(2, d.Images);
    }

    [Fact]
    public void One_pair_has_no_interval_no_p_and_no_verdict()
    {
        var d = PairedInterval.OfRuns([0.9], [0.8]);
        Assert.Equal(0.1, d.Estimate, 12);
        Assert.True(double.IsNaN(d.Lower) && double.IsNaN(d.Upper) && double.IsNaN(d.P));
        Assert.Equal(ClaimVerdict.Inconclusive, d.Verdict);
        Assert.Equal(ClaimVerdict.Inconclusive, PairedInterval.VerdictOf(d.Estimate, d.P));
        Assert.Throws<ArgumentException>(() => PairedInterval.OfRuns([0.1], [0.1, 0.2]));
    }

    [Fact]
    public void Holm_equals_statsmodels_multipletests()
    {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.005], method='holm')[1] = [0.03, 0.06, 0.06, 0.02].
        var adjusted = PairedInterval.Holm([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], adjusted.Select(p => Math.Round(p, 12)).ToArray());
        var withNaN = PairedInterval.Holm([0.2, double.NaN, 0.01]);
        Assert.True(double.IsNaN(withNaN[1]));
        Assert.Equal([0.2, 0.02], new[] { withNaN[0], withNaN[2] }.Select(p => Math.Round(p, 12)).ToArray());
    }

    [Fact]
    public void Balanced_accuracy_is_the_mean_recall_over_the_classes_present()
    {
        // scikit-learn: balanced_accuracy_score([0,0,0,1,1,2], [0,0,1,1,0,2]) = (2/3 + 1/2 + 1) / 3 = 0.72222...
        var r = ClassificationReport.Compute([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 2], Five);
        Assert.Equal((2.0 / 3 + 0.5 + 1) / 3, PairedInterval.BalancedAccuracy(r), 12);
    }

    [Fact]
    public void The_cluster_bootstrap_path_agrees_with_the_exact_cluster_variance_on_accuracy()
    {
        // Accuracy is a mean of indicators, so its exact cluster variance is known; the bootstrap path (used for balanced
        // accuracy and macro-F1) must give the same interval on it, within its Monte-Carlo error.
        var study = Simulation.Study(new Random(7), pairs: 3, effect: 0.02, seedSd: 0.015);
        var exact = PairedInterval.OfPredictions(study.Labels, study.Patients, study.Student, study.Baseline, Five, PairedMetric.Accuracy);
        var boot = PairedInterval.OfDraws(3, study.Patients, (p, draw) =>
            draw.Average(i => study.Student[p][i] == study.Labels[i] ? 1.0 : 0.0) - draw.Average(i => study.Baseline[p][i] == study.Labels[i] ? 1.0 : 0.0),
            resamples: 2000, seed: 1);
        Assert.Equal(exact.Estimate, boot.Estimate, 12);
        Assert.InRange(boot.HalfWidth / exact.HalfWidth, 0.93, 1.07);
        var balanced = PairedInterval.OfPredictions(study.Labels, study.Patients, study.Student, study.Baseline, Five, PairedMetric.BalancedAccuracy, resamples: 300);
        Assert.True(balanced.HalfWidth > 0 && double.IsFinite(balanced.P));
    }

    /// <summary>
    /// The coverage the intervals claim, proved by simulation: 2,000 simulated studies per setting from a generator with a
    /// known effect, seed-to-seed variation at the size observed in the quick study (between-pair SD 0.015 and 0.021 of the
    /// accuracy difference) and patient-clustered test images (1,080 images, patients with 1–4 images, images of a patient
    /// sharing difficulty and effect). The 95 % interval must cover the true effect 93.5–96.5 % of the time at 3, 5 and 12
    /// pairs (±3 Monte-Carlo SE around 0.95).
    /// </summary>
    [Theory]
    [InlineData(3, 0.015)]
    [InlineData(5, 0.015)]
    [InlineData(12, 0.015)]
    [InlineData(3, 0.021)]
    [InlineData(12, 0.021)]
    [Trait("Category", "Slow")]
    public void The_95_percent_interval_covers_the_true_effect_95_percent_of_the_time(int pairs, double seedSd)
    {
        const int studies = 2000;
        const double effect = 0.02;
        var rng = new Random(1000 * pairs + (int)(seedSd * 1000));
        int covered = 0;
        for (int s = 0; s < studies; s++)
        {
            var study = Simulation.Study(rng, pairs, effect, seedSd);
            var d = PairedInterval.OfPredictions(study.Labels, study.Patients, study.Student, study.Baseline, Five, PairedMetric.Accuracy);
            if (d.Lower <= effect && effect <= d.Upper) covered++;
        }
        output.WriteLine($"coverage at {pairs} pairs, seed SD {seedSd}: {covered} of {studies} = {(double)covered / studies:0.0000}");
        Assert.InRange((double)covered / studies, 0.935, 0.965);
    }

    /// <summary>
    /// At a zero effect, a supported or contradicted verdict is a false one: with the unadjusted p of one row it must happen
    /// in at most 5 % of 4,000 simulated studies, and with Holm's adjustment over a family of four such rows (the primary
    /// family's size) at most 5 % of the families may contain any.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    [Trait("Category", "Slow")]
    public void At_zero_effect_false_verdicts_stay_at_or_under_5_percent(int pairs)
    {
        const int studies = 4000;
        var rng = new Random(77 + pairs);
        int falseRow = 0, falseFamily = 0;
        var family = new double[4];
        var estimates = new double[4];
        for (int s = 0; s < studies; s++)
        {
            for (int f = 0; f < 4; f++)
            {
                var study = Simulation.Study(rng, pairs, effect: 0, seedSd: 0.015);
                var d = PairedInterval.OfPredictions(study.Labels, study.Patients, study.Student, study.Baseline, Five, PairedMetric.Accuracy);
                (family[f], estimates[f]) = (d.P, d.Estimate);
                if (f == 0 && PairedInterval.VerdictOf(d.Estimate, d.P) != ClaimVerdict.Inconclusive) falseRow++;
            }
            var adjusted = PairedInterval.Holm(family);
            if (adjusted.Select((p, f) => PairedInterval.VerdictOf(estimates[f], p)).Any(v => v != ClaimVerdict.Inconclusive)) falseFamily++;
        }
        output.WriteLine($"zero effect, {pairs} pairs: false verdicts in {falseRow} of {studies} rows, {falseFamily} of {studies} Holm families of 4");
        Assert.True((double)falseRow / studies <= 0.05, $"false verdicts in {falseRow} of {studies} rows");
        Assert.True((double)falseFamily / studies <= 0.05, $"false verdicts in {falseFamily} of {studies} families");
    }

    /// <summary>
    /// A generator of paired studies with a known effect on accuracy. 1,080 test images in patients of 1–4 images (85 % one
    /// image). Each patient has a baseline accuracy q ~ U(0.35, 0.7) and an effect of the student on its images
    /// a ~ U(−0.15, 0.15) (mean 0: the population effect stays <c>effect</c>); each pair k a seed effect γ_k ~ N(0, seedSd)
    /// (cut at ±4 SD, symmetric). Baseline and student of pair k are right on image i with probabilities q and
    /// q + effect + a + γ_k, drawn through uniforms that are shared by the two models of a pair 70 % of the time (models
    /// agree on most images) and by all pairs half of the time (hard images are hard for every seed).
    /// </summary>
    internal static class Simulation
    {
        internal sealed record SimulatedStudy(int[] Labels, int[] Patients, int[][] Baseline, int[][] Student);

        internal static SimulatedStudy Study(Random rng, int pairs, double effect, double seedSd)
        {
            const int n = 1080;
            var patients = new int[n];
            var q = new double[n];
            var a = new double[n];
            int patient = 0;
            for (int i = 0; i < n; patient++)
            {
                double u = rng.NextDouble();
                int size = u < 0.85 ? 1 : u < 0.93 ? 2 : u < 0.97 ? 3 : 4;
                double pq = 0.35 + 0.35 * rng.NextDouble(), pa = -0.15 + 0.3 * rng.NextDouble();
                for (int m = 0; m < size && i < n; m++, i++) (patients[i], q[i], a[i]) = (patient, pq, pa);
            }
            var labels = Enumerable.Range(0, n).Select(i => i % 5).ToArray();
            var shared = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
            var baseline = new int[pairs][];
            var student = new int[pairs][];
            for (int k = 0; k < pairs; k++)
            {
                double gamma;
                do gamma = seedSd * Normal(rng); while (Math.Abs(gamma) > 4 * seedSd);
                baseline[k] = new int[n];
                student[k] = new int[n];
                for (int i = 0; i < n; i++)
                {
                    double ub = rng.NextDouble() < 0.5 ? shared[i] : rng.NextDouble();
                    double us = rng.NextDouble() < 0.7 ? ub : rng.NextDouble();
                    bool b = ub < q[i], s = us < q[i] + effect + a[i] + gamma;
                    baseline[k][i] = b ? labels[i] : (labels[i] + 1) % 5;
                    student[k][i] = s ? labels[i] : (labels[i] + 2) % 5;
                }
            }
            return new SimulatedStudy(labels, patients, baseline, student);
        }

        static double Normal(Random rng) =>
            Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
    }
}
