using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>A percentile bootstrap interval of a metric of one run.</summary>
/// <param name="Estimate">The metric on the original images.</param>
/// <param name="Lower">Lower percentile of the resampled metric.</param>
/// <param name="Upper">Upper percentile of the resampled metric.</param>
/// <param name="Level">Coverage, e.g. 0.95.</param>
/// <param name="Resamples">Resamples drawn.</param>
/// <param name="Undefined">Resamples where the metric was NaN (e.g. an AUC with a class drawn zero times), left out of the percentiles.</param>
/// <param name="Seed">Seed of the draw.</param>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Level, int Resamples, int Undefined, int Seed);

/// <summary>
/// Percentile bootstrap over images: draw n images with replacement <c>resamples</c> times (System.Random
/// seeded, so the same seed gives the same interval), evaluate the metric on each draw and take the
/// (1 − level)/2 and (1 + level)/2 quantiles with linear interpolation (numpy's default percentile).
/// </summary>
public static class Bootstrap
{
    /// <summary>Interval of <paramref name="metric"/> over resampled copies of <paramref name="predictions"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than 2 resamples, a level outside (0, 1), or every resample undefined.</exception>
    public static ConfidenceInterval Interval(Predictions predictions, Func<Predictions, double> metric,
        int resamples = 1000, int seed = 0, double level = 0.95)
    {
        if (resamples < 2) throw new ArgumentException($"Expected at least 2 resamples, found {resamples}.", nameof(resamples));
        if (!(level > 0 && level < 1)) throw new ArgumentException($"Expected a level in (0, 1), found {level}.", nameof(level));
        var rng = new Random(seed);
        int n = predictions.Rows.Count;
        var values = new List<double>(resamples);
        for (int b = 0; b < resamples; b++)
        {
            // A fresh array per draw: the metric may keep the Predictions it is given.
            var draw = new PredictionRow[n];
            for (int i = 0; i < n; i++) draw[i] = predictions.Rows[rng.Next(n)];
            var v = metric(predictions with { Rows = draw });
            if (!double.IsNaN(v)) values.Add(v);
        }
        if (values.Count == 0) throw new ArgumentException($"Expected a metric defined on at least one resample, found NaN on all {resamples}.", nameof(metric));
        values.Sort();
        return new ConfidenceInterval(metric(predictions), Quantile(values, (1 - level) / 2), Quantile(values, (1 + level) / 2),
            level, resamples, resamples - values.Count, seed);
    }

    /// <summary>Quantile <paramref name="q"/> of sorted values with linear interpolation between order statistics.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
