namespace PneuKnow.Evaluation;

/// <summary>What a paired comparison says about a claim, decided by its 95 % interval alone.</summary>
public enum ClaimVerdict
{
    /// <summary>The interval lies above 0: the difference goes the way the claim says.</summary>
    Supported,
    /// <summary>The interval lies below 0: the difference goes against the claim.</summary>
    Contradicted,
    /// <summary>The interval contains 0: the data cannot tell.</summary>
    Inconclusive,
}

/// <summary>
/// A paired difference, oriented so that a positive value is what the claim predicts, with its percentile interval.
/// </summary>
/// <param name="Estimate">Mean over the pairs of the per-pair difference on all images.</param>
/// <param name="Lower">Lower percentile of the resampled mean difference.</param>
/// <param name="Upper">Upper percentile of the resampled mean difference.</param>
/// <param name="Level">Coverage of the interval, e.g. 0.95.</param>
/// <param name="Pairs">Pairs of runs (k).</param>
/// <param name="Images">Images each pair was compared on (0 when the difference is not a per-image quantity and only pairs are resampled).</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
/// <param name="Undefined">Resamples where the difference was NaN (left out of the percentiles).</param>
public sealed record PairedDifference(double Estimate, double Lower, double Upper, double Level, int Pairs, int Images, int Resamples, int Undefined)
{
    /// <summary>Supported when the interval excludes 0 from above, contradicted when from below, else inconclusive.</summary>
    /// <remarks>An undefined (NaN) interval is inconclusive.</remarks>
    public ClaimVerdict Verdict => Lower > 0 ? ClaimVerdict.Supported : Upper < 0 ? ClaimVerdict.Contradicted : ClaimVerdict.Inconclusive;

    /// <summary>Half the interval's width: the ± a reader can quote.</summary>
    public double HalfWidth => (Upper - Lower) / 2;
}

/// <summary>
/// A two-level percentile bootstrap for a difference between two models (A minus B) measured in k pairs of runs on
/// one shared set of n test images. Pair j of A and of B share their seed (initial weights, data order, augmentation
/// and dropout draws), so the difference is taken within each pair. Each resample draws k pairs with replacement
/// and, independently, n images with replacement; the same image draw applies to every drawn pair, because every
/// pair was tested on the same images. The statistic is the mean over the drawn pairs of the difference on the drawn
/// images. Resampling pairs carries the run-to-run (seed) variation, resampling images the test-set sampling
/// variation, including its correlation across pairs. With few pairs the pair level is coarse: with 3 pairs the 95 %
/// interval of the pair level alone is [min, max] of the three differences.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>Default number of resamples.</summary>
    public const int DefaultResamples = 4000;

    /// <summary>
    /// The interval of the mean paired difference. <paramref name="difference"/>(pair, images) returns A − B of that pair
    /// on the given image indices (with repeats); with <paramref name="images"/> = 0 only pairs are resampled and the
    /// function is called with an empty array.
    /// </summary>
    /// <param name="pairs">k ≥ 1.</param>
    /// <param name="images">n ≥ 0 shared images.</param>
    /// <param name="difference">The per-pair difference on an image draw.</param>
    /// <param name="resamples">Resamples (≥ 2).</param>
    /// <param name="seed">Seed of the draws (System.Random): the same seed gives the same interval.</param>
    /// <param name="level">Coverage in (0, 1).</param>
    /// <exception cref="ArgumentException">No pairs, fewer than 2 resamples, a level outside (0, 1), or NaN on every resample.</exception>
    public static PairedDifference Interval(int pairs, int images, Func<int, int[], double> difference,
        int resamples = DefaultResamples, int seed = 0, double level = 0.95)
    {
        if (pairs < 1) throw new ArgumentException($"Expected at least one pair of runs, found {pairs}.", nameof(pairs));
        if (images < 0) throw new ArgumentException($"Expected a non-negative image count, found {images}.", nameof(images));
        if (resamples < 2) throw new ArgumentException($"Expected at least 2 resamples, found {resamples}.", nameof(resamples));
        if (!(level > 0 && level < 1)) throw new ArgumentException($"Expected a level in (0, 1), found {level}.", nameof(level));
        var all = Enumerable.Range(0, images).ToArray();
        double estimate = Enumerable.Range(0, pairs).Average(j => difference(j, all));
        var rng = new Random(seed);
        var values = new List<double>(resamples);
        var draw = new int[images];
        var perPair = new double[pairs];
        for (int b = 0; b < resamples; b++)
        {
            for (int i = 0; i < images; i++) draw[i] = rng.Next(images);
            // Each distinct drawn pair is evaluated once per resample (the image draw is shared).
            Array.Fill(perPair, double.NaN);
            double sum = 0;
            for (int j = 0; j < pairs; j++)
            {
                int p = rng.Next(pairs);
                if (double.IsNaN(perPair[p])) perPair[p] = difference(p, draw);
                sum += perPair[p];
            }
            var mean = sum / pairs;
            if (!double.IsNaN(mean)) values.Add(mean);
        }
        if (values.Count == 0) throw new ArgumentException($"Expected a difference defined on at least one resample, found NaN on all {resamples}.", nameof(difference));
        values.Sort();
        return new PairedDifference(estimate, Bootstrap.Quantile(values, (1 - level) / 2), Bootstrap.Quantile(values, (1 + level) / 2),
            level, pairs, images, resamples, resamples - values.Count);
    }

    /// <summary>
    /// The paired difference of a classification metric: A's and B's predicted codes per pair (each pair's arrays aligned with
    /// <paramref name="labels"/>), the metric computed on each image draw from the true and predicted codes.
    /// </summary>
    /// <param name="labels">True codes of the shared images.</param>
    /// <param name="a">Per pair, model A's predicted codes.</param>
    /// <param name="b">Per pair, model B's predicted codes.</param>
    /// <param name="classes">Class labels (their count is K).</param>
    /// <param name="metric">The metric of a <see cref="ClassificationReport"/>, e.g. accuracy or <see cref="BalancedAccuracy"/>.</param>
    /// <param name="resamples">Resamples.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <exception cref="ArgumentException">Pairs of different counts, or arrays not aligned with the labels.</exception>
    public static PairedDifference OfPredictions(IReadOnlyList<int> labels, IReadOnlyList<int[]> a, IReadOnlyList<int[]> b, IReadOnlyList<string> classes,
        Func<ClassificationReport, double> metric, int resamples = DefaultResamples, int seed = 0)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        foreach (var run in a.Concat(b))
            if (run.Length != labels.Count)
                throw new ArgumentException($"Expected {labels.Count} predicted codes per run (one per shared image), found {run.Length}.");
        var y = labels.ToArray();
        return Interval(a.Count, y.Length, (p, draw) =>
        {
            var truth = new int[draw.Length];
            var pa = new int[draw.Length];
            var pb = new int[draw.Length];
            for (int i = 0; i < draw.Length; i++) (truth[i], pa[i], pb[i]) = (y[draw[i]], a[p][draw[i]], b[p][draw[i]]);
            return metric(ClassificationReport.Compute(truth, pa, classes)) - metric(ClassificationReport.Compute(truth, pb, classes));
        }, resamples, seed);
    }

    /// <summary>
    /// The paired difference of a per-image score (e.g. Grad-CAM energy inside the expert mask): per pair, A's and B's
    /// values on the shared images; an image where either is NaN (undefined) is left out of that pair's mean.
    /// </summary>
    /// <exception cref="ArgumentException">Pairs of different counts, or arrays of different lengths.</exception>
    public static PairedDifference OfScores(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b, int resamples = DefaultResamples, int seed = 0)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        int n = a.Count == 0 ? 0 : a[0].Length;
        foreach (var run in a.Concat(b))
            if (run.Length != n) throw new ArgumentException($"Expected {n} scores per run (one per shared image), found {run.Length}.");
        return Interval(a.Count, n, (p, draw) =>
        {
            double sum = 0;
            int count = 0;
            foreach (var i in draw)
            {
                double d = a[p][i] - b[p][i];
                if (double.IsNaN(d)) continue;
                sum += d;
                count++;
            }
            return count == 0 ? double.NaN : sum / count;
        }, resamples, seed);
    }

    /// <summary>
    /// The paired difference of one number per run (e.g. the mean validation accuracy over epochs): only the pairs are
    /// resampled, since the number is not a mean over separately stored images.
    /// </summary>
    /// <exception cref="ArgumentException">Different counts.</exception>
    public static PairedDifference OfRuns(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = DefaultResamples, int seed = 0)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        var d = Interval(a.Count, 0, (p, _) => a[p] - b[p], resamples, seed);
        // One pair says nothing about run-to-run variation: no interval (NaN), so no verdict either way.
        return a.Count < 2 ? d with { Lower = double.NaN, Upper = double.NaN } : d;
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
}
