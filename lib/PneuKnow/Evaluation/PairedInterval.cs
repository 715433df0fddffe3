namespace PneuKnow.Evaluation;

/// <summary>What a paired comparison says about a claim.</summary>
public enum ClaimVerdict
{
    /// <summary>The difference goes the way the claim says, beyond chance.</summary>
    Supported,
    /// <summary>The difference goes against the claim, beyond chance.</summary>
    Contradicted,
    /// <summary>The data cannot tell.</summary>
    Inconclusive,
}

/// <summary>
/// A paired difference, oriented so that a positive value is what the claim predicts, with its interval and the
/// two-sided p-value of the same t statistic (<see cref="PairedInterval"/>).
/// </summary>
/// <param name="Estimate">Mean over the pairs of the per-pair difference on all images.</param>
/// <param name="Lower">Lower end of the interval (NaN with fewer than two pairs).</param>
/// <param name="Upper">Upper end of the interval (NaN with fewer than two pairs).</param>
/// <param name="Level">Coverage of the interval, e.g. 0.95.</param>
/// <param name="Pairs">Pairs of runs (k).</param>
/// <param name="Images">Images each pair was compared on (0 when the difference is one number per run).</param>
/// <param name="P">Two-sided p-value of H0: no difference (NaN with fewer than two pairs).</param>
/// <param name="DegreesOfFreedom">Degrees of freedom of the seed-variance estimate (k − 1).</param>
public sealed record PairedDifference(double Estimate, double Lower, double Upper, double Level, int Pairs, int Images, double P, double DegreesOfFreedom)
{
    /// <summary>Independent test-set clusters (patients) the images came from (0 for run-level numbers).</summary>
    public int Clusters { get; init; }

    /// <summary>The share of the estimate's variance that comes from seed-to-seed variation (estimated with k − 1 degrees of freedom); the rest is the shared test-set part.</summary>
    public double SeedShare { get; init; } = double.NaN;

    /// <summary>How the interval was computed (<see cref="PairedInterval.Method"/>), written to claims.csv.</summary>
    public string Method { get; init; } = PairedInterval.Method;

    /// <summary>
    /// Supported when the interval lies above 0, contradicted when below, else inconclusive (also when undefined). A
    /// multiplicity-adjusted verdict is the caller's (<see cref="PairedInterval.VerdictOf"/>).
    /// </summary>
    public ClaimVerdict Verdict => Lower > 0 ? ClaimVerdict.Supported : Upper < 0 ? ClaimVerdict.Contradicted : ClaimVerdict.Inconclusive;

    /// <summary>Half the interval's width: the ± a reader can quote.</summary>
    public double HalfWidth => (Upper - Lower) / 2;
}

/// <summary>Classification metrics a paired comparison can be made on.</summary>
public enum PairedMetric
{
    /// <summary>Accuracy: a mean of per-image indicators, so its test-set variance is computed exactly from patient clusters.</summary>
    Accuracy,
    /// <summary>Balanced accuracy (mean recall over the classes present, scikit-learn's); test-set variance by a patient-cluster bootstrap.</summary>
    BalancedAccuracy,
    /// <summary>Macro-averaged F1; test-set variance by a patient-cluster bootstrap.</summary>
    MacroF1,
}

/// <summary>
/// The interval of a difference between two models (A minus B) measured in k pairs of runs on one shared test set of
/// n images from C patients. Pair j of A and of B share their seed, so the difference d_j is taken within each pair;
/// the estimate is their mean d̄.
/// <para>
/// Model: d_j = δ + u_j + ā + b̄_j, where u_j is the seed effect of pair j (variance σ_u²), ā the part of the test
/// set's sampling error shared by all pairs (variance σ_a²/n, because every pair was tested on the same images), and
/// b̄_j the pair-specific part of the test-set error (σ_b²/n). Then Var(d̄) = σ_u²/k + σ_a²/n + σ_b²/(nk). The sample
/// variance s² of the k pair differences estimates σ_u² + σ_b²/n (ā cancels within the study), so s²/k covers all
/// but the shared test-set term. That term is estimated from the patient clusters: V_img, the cluster variance of
/// the pair-averaged difference, estimates σ_a²/n + σ_b²/(nk), and V̄, the mean of the per-pair cluster variances,
/// estimates (σ_a² + σ_b²)/n; so σ_a²/n = V_img − (V̄ − V_img)/(k − 1) (method of moments, truncated at 0). The
/// variance of d̄ is V = s²/k + σ̂_a²/n. The seed part s²/k is estimated with only k − 1 degrees of freedom; the shared
/// test-set part with C − 1 (hundreds of patients), so it is treated as known. The interval is d̄ ± q·√V with q the
/// Behrens–Fisher (fiducial) critical value, the quantile of √w·T_{k−1} + √(1 − w)·Z, where w is the seed part's share
/// of V (<see cref="StudentT.SumQuantile"/>); p is the two-sided tail of the same distribution at d̄/√V. It reduces to
/// the paired t interval when the test set adds nothing (w = 1) and to the normal interval of one comparison when the
/// seeds add nothing (w = 0). The Welch–Satterthwaite t, the usual alternative, covered only 91–92 % at 3 pairs in the
/// simulation (it shrinks its critical value exactly when the 2-degree-of-freedom seed variance is underestimated).
/// </para>
/// <para>
/// Why not the percentile bootstrap over pairs used before: with 3 pairs its pair level is [min, max] of the three
/// differences, and simulated at this study's variances it covered 87–92 %. The simulation in the tests
/// (PairedIntervalTests) checks this method's coverage at 3, 5 and 12 pairs. Test images are resampled by patient,
/// not one by one, since a patient's images are not independent.
/// </para>
/// </summary>
public static class PairedInterval
{
    /// <summary>The method's name, written to claims.csv's <c>interval_method</c> column.</summary>
    public const string Method = "paired-t+cluster";

    /// <summary>Default resamples of the patient-cluster bootstrap for metrics that are not means of per-image values.</summary>
    public const int DefaultResamples = 1000;

    /// <summary>
    /// Combines the k pair differences with the test-set variances (see the class summary) into an interval and a p-value.
    /// </summary>
    /// <param name="pairDifferences">d_j for each pair on the full test set.</param>
    /// <param name="sharedTestVariance">V_img: the test-set (cluster) variance of the pair-averaged difference; 0 for run-level numbers.</param>
    /// <param name="meanPairTestVariance">V̄: the mean over pairs of each pair's test-set variance; 0 for run-level numbers.</param>
    /// <param name="clusters">Independent test-set clusters C (0 for run-level numbers).</param>
    /// <param name="images">Test images n (0 for run-level numbers).</param>
    /// <param name="level">Coverage in (0, 1).</param>
    /// <exception cref="ArgumentException">No pairs, a level outside (0, 1), a negative or NaN variance.</exception>
    public static PairedDifference Combine(IReadOnlyList<double> pairDifferences, double sharedTestVariance, double meanPairTestVariance,
        int clusters, int images, double level = 0.95)
    {
        int k = pairDifferences.Count;
        if (k < 1) throw new ArgumentException($"Expected at least one pair of runs, found {k}.", nameof(pairDifferences));
        if (!(level > 0 && level < 1)) throw new ArgumentException($"Expected a level in (0, 1), found {level}.", nameof(level));
        if (!(sharedTestVariance >= 0) || !(meanPairTestVariance >= 0))
            throw new ArgumentException($"Expected non-negative test-set variances, found {sharedTestVariance} and {meanPairTestVariance}.");
        double mean = pairDifferences.Average();
        // One pair says nothing about seed-to-seed variation, which dominates here: no interval, no p-value, no verdict.
        if (k < 2 || double.IsNaN(mean))
            return new PairedDifference(mean, double.NaN, double.NaN, level, k, images, double.NaN, double.NaN) { Clusters = clusters };
        double s2 = pairDifferences.Sum(d => (d - mean) * (d - mean)) / (k - 1);
        double seedPart = s2 / k;
        double pairSpecific = Math.Max(0, (meanPairTestVariance - sharedTestVariance) * k / (k - 1));
        double shared = clusters > 1 ? Math.Max(0, sharedTestVariance - pairSpecific / k) : 0;
        double variance = seedPart + shared;
        if (variance == 0)
        {
            // Every pair gave the same difference and the images carry no shared noise: the data are exact.
            double p0 = mean == 0 ? 1 : 0;
            return new PairedDifference(mean, mean, mean, level, k, images, p0, k - 1) { Clusters = clusters, SeedShare = 0 };
        }
        double se = Math.Sqrt(variance), w = seedPart / variance;
        double q = StudentT.SumQuantile((1 + level) / 2, k - 1, w);
        double p = Math.Min(1, 2 * StudentT.SumCdf(-Math.Abs(mean) / se, k - 1, w));
        return new PairedDifference(mean, mean - q * se, mean + q * se, level, k, images, p, k - 1) { Clusters = clusters, SeedShare = w };
    }

    /// <summary>
    /// The paired difference of a per-image score (a correct-prediction indicator, a Grad-CAM energy...): per pair, A's and B's
    /// values on the shared images, whose test-set variance is computed exactly from the patient clusters. Images where any
    /// pair's A or B is NaN (the score is undefined on that image, e.g. no expert mask) are left out for every pair, so all
    /// pairs are compared on the same images.
    /// </summary>
    /// <param name="a">Per pair, model A's score per image.</param>
    /// <param name="b">Per pair, model B's score per image.</param>
    /// <param name="clusters">Per image, its cluster (patient) index.</param>
    /// <param name="level">Coverage.</param>
    /// <exception cref="ArgumentException">Pairs of different counts, arrays of different lengths, or no image defined for every pair.</exception>
    public static PairedDifference OfImageScores(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b, IReadOnlyList<int> clusters, double level = 0.95)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        if (a.Count == 0) throw new ArgumentException("Expected at least one pair of runs, found 0.");
        int n = clusters.Count;
        foreach (var run in a.Concat(b))
            if (run.Length != n) throw new ArgumentException($"Expected {n} scores per run (one per shared image), found {run.Length}.");
        var used = Enumerable.Range(0, n).Where(i => Enumerable.Range(0, a.Count).All(j => !double.IsNaN(a[j][i]) && !double.IsNaN(b[j][i]))).ToArray();
        if (used.Length == 0) throw new ArgumentException($"Expected at least one image with a defined score in every pair, found none of {n}.");
        int k = a.Count;
        var x = new double[k][];
        for (int j = 0; j < k; j++) x[j] = used.Select(i => a[j][i] - b[j][i]).ToArray();
        var ids = Dense(used.Select(i => clusters[i]).ToArray(), out int c);
        var perPair = x.Select(v => v.Average()).ToArray();
        var pooled = Enumerable.Range(0, used.Length).Select(i => x.Average(v => v[i])).ToArray();
        double meanPair = x.Average(v => ClusterVarianceOfMean(v, ids, c));
        double shared = ClusterVarianceOfMean(pooled, ids, c);
        return Combine(perPair, shared, meanPair, c, used.Length, level);
    }

    /// <summary>
    /// The paired difference of a classification metric on the shared test images: A's and B's predicted codes per pair.
    /// Accuracy goes through <see cref="OfImageScores"/> (exact cluster variance); balanced accuracy and macro-F1, which are
    /// not means of per-image values, take their test-set variances from a bootstrap over patient clusters (the same draw
    /// for every pair, as the pairs share their images).
    /// </summary>
    /// <exception cref="ArgumentException">Pairs of different counts, or arrays not aligned with the labels.</exception>
    public static PairedDifference OfPredictions(IReadOnlyList<int> labels, IReadOnlyList<int> clusters, IReadOnlyList<int[]> a, IReadOnlyList<int[]> b,
        IReadOnlyList<string> classes, PairedMetric metric, int resamples = DefaultResamples, int seed = 0, double level = 0.95)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        if (clusters.Count != labels.Count) throw new ArgumentException($"Expected one cluster per label ({labels.Count}), found {clusters.Count}.");
        foreach (var run in a.Concat(b))
            if (run.Length != labels.Count)
                throw new ArgumentException($"Expected {labels.Count} predicted codes per run (one per shared image), found {run.Length}.");
        if (metric == PairedMetric.Accuracy)
        {
            double[] Correct(int[] p) => p.Select((v, i) => v == labels[i] ? 1.0 : 0.0).ToArray();
            return OfImageScores(a.Select(Correct).ToList(), b.Select(Correct).ToList(), clusters, level);
        }
        Func<ClassificationReport, double> value = metric == PairedMetric.BalancedAccuracy ? BalancedAccuracy : r => r.Macro.F1;
        var y = labels.ToArray();
        return OfDraws(a.Count, clusters, (p, draw) =>
        {
            var truth = new int[draw.Length];
            var pa = new int[draw.Length];
            var pb = new int[draw.Length];
            for (int i = 0; i < draw.Length; i++) (truth[i], pa[i], pb[i]) = (y[draw[i]], a[p][draw[i]], b[p][draw[i]]);
            return value(ClassificationReport.Compute(truth, pa, classes)) - value(ClassificationReport.Compute(truth, pb, classes));
        }, resamples, seed, level);
    }

    /// <summary>
    /// The paired difference of any statistic of the shared images: <paramref name="difference"/>(pair, image indices) returns
    /// A − B of that pair on the given images (with repeats). The test-set variances come from a bootstrap over the clusters
    /// (the same draw for every pair), scaled by C/(C − 1) to match the exact variance of a mean.
    /// </summary>
    /// <exception cref="ArgumentException">No pairs, fewer than 2 resamples, or a difference that is NaN on the full test set.</exception>
    public static PairedDifference OfDraws(int pairs, IReadOnlyList<int> clusters, Func<int, int[], double> difference,
        int resamples = DefaultResamples, int seed = 0, double level = 0.95)
    {
        if (pairs < 1) throw new ArgumentException($"Expected at least one pair of runs, found {pairs}.", nameof(pairs));
        if (resamples < 2) throw new ArgumentException($"Expected at least 2 resamples, found {resamples}.", nameof(resamples));
        int n = clusters.Count;
        var all = Enumerable.Range(0, n).ToArray();
        var perPair = Enumerable.Range(0, pairs).Select(j => difference(j, all)).ToArray();
        if (perPair.Any(double.IsNaN)) throw new ArgumentException("Expected a difference defined on the full test set, found NaN.", nameof(difference));
        var ids = Dense(clusters.ToArray(), out int c);
        var members = new List<int>[c];
        for (int i = 0; i < c; i++) members[i] = [];
        for (int i = 0; i < n; i++) members[ids[i]].Add(i);
        var rng = new Random(seed);
        var values = new List<double>[pairs];
        for (int j = 0; j < pairs; j++) values[j] = new List<double>(resamples);
        var pooled = new List<double>(resamples);
        var draw = new List<int>(n * 2);
        var current = new double[pairs];
        for (int r = 0; r < resamples; r++)
        {
            draw.Clear();
            for (int m = 0; m < c; m++) draw.AddRange(members[rng.Next(c)]);
            var indices = draw.ToArray();
            double sum = 0;
            for (int j = 0; j < pairs; j++) sum += current[j] = difference(j, indices);
            // A draw on which the statistic is undefined (e.g. no image of one group) is left out, for every pair alike.
            if (double.IsNaN(sum)) continue;
            for (int j = 0; j < pairs; j++) values[j].Add(current[j]);
            pooled.Add(sum / pairs);
        }
        if (pooled.Count < Math.Max(2, resamples / 2))
            throw new ArgumentException($"Expected the difference defined on most cluster resamples, found it on {pooled.Count} of {resamples}; the test set is too small for this statistic.", nameof(difference));
        double scale = c > 1 ? (double)c / (c - 1) : 1;
        double meanPair = values.Average(v => Variance(v.ToArray())) * scale;
        double shared = Variance(pooled.ToArray()) * scale;
        return Combine(perPair, shared, meanPair, c, n, level);
    }

    /// <summary>
    /// The paired difference of one number per run (e.g. the area under the validation-accuracy curve): a paired t
    /// interval over the pairs, since there is no per-image part.
    /// </summary>
    /// <exception cref="ArgumentException">Different counts.</exception>
    public static PairedDifference OfRuns(IReadOnlyList<double> a, IReadOnlyList<double> b, double level = 0.95)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        return Combine(a.Select((v, j) => v - b[j]).ToArray(), 0, 0, 0, 0, level);
    }

    /// <summary>
    /// Holm's step-down adjustment of a family of p-values (NaN stays NaN and does not count towards the family size):
    /// the i-th smallest p becomes max over j ≤ i of min(1, (m − j + 1) · p_(j)). Controls the family-wise error rate.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> p)
    {
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ToArray();
        var adjusted = Enumerable.Repeat(double.NaN, p.Count).ToArray();
        double running = 0;
        for (int r = 0; r < order.Length; r++)
        {
            running = Math.Max(running, Math.Min(1, (order.Length - r) * p[order[r]]));
            adjusted[order[r]] = running;
        }
        return adjusted;
    }

    /// <summary>The verdict of a test at <paramref name="alpha"/>: supported or contradicted by the estimate's sign when p &lt; alpha, else inconclusive.</summary>
    public static ClaimVerdict VerdictOf(double estimate, double p, double alpha = 0.05) =>
        !(p < alpha) ? ClaimVerdict.Inconclusive : estimate > 0 ? ClaimVerdict.Supported : estimate < 0 ? ClaimVerdict.Contradicted : ClaimVerdict.Inconclusive;

    /// <summary>Cluster indices 0..C−1 for arbitrary keys (e.g. patient ids), in order of first appearance.</summary>
    public static int[] ClusterIds<T>(IReadOnlyList<T> keys) where T : notnull
    {
        var map = new Dictionary<T, int>();
        return keys.Select(key => map.TryGetValue(key, out var id) ? id : map[key] = map.Count).ToArray();
    }

    /// <summary>Balanced accuracy: the mean recall over the classes that occur in the labels (scikit-learn's <c>balanced_accuracy_score</c>).</summary>
    public static double BalancedAccuracy(ClassificationReport r)
    {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < r.Classes.Count; c++)
        {
            if (r.Support[c] == 0) continue;
            sum += r.Recall[c];
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    // Variance of the mean of x under sampling of whole clusters: C/(C−1) · Σ_c (Σ_{i∈c} (x_i − x̄))² / n².
    static double ClusterVarianceOfMean(double[] x, int[] ids, int c)
    {
        if (c < 2) return 0;
        double mean = x.Average();
        var sums = new double[c];
        for (int i = 0; i < x.Length; i++) sums[ids[i]] += x[i] - mean;
        double ss = sums.Sum(s => s * s);
        return (double)c / (c - 1) * ss / ((double)x.Length * x.Length);
    }

    static int[] Dense(int[] ids, out int count)
    {
        var dense = ClusterIds(ids);
        count = dense.Length == 0 ? 0 : dense.Max() + 1;
        return dense;
    }

    static double Variance(double[] v)
    {
        double m = v.Average();
        return v.Sum(x => (x - m) * (x - m)) / (v.Length - 1);
    }
}
