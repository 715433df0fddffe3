namespace PneuKnow.Evaluation;

/// <summary>
/// Mean and standard deviation of one metric over repeated runs. The standard deviation is the
/// population one (numpy's default <c>np.std</c>, ddof = 0) unless asked otherwise: the published
/// numbers use it — e.g. ResNet50 HKD student viral precision 0.05 ± 0.1 over 5 runs is exactly one run
/// at 0.25 and four at 0 with ddof = 0 (ddof = 1 would give ± 0.112).
/// </summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Standard deviation with <paramref name="Ddof"/> delta degrees of freedom.</param>
/// <param name="Runs">Number of values.</param>
/// <param name="Ddof">0 = population (as the authors), 1 = sample standard deviation.</param>
public sealed record Spread(double Mean, double Std, int Runs, int Ddof)
{
    /// <summary>
    /// Mean and standard deviation of <paramref name="values"/>; a NaN value makes both NaN, and the
    /// standard deviation is NaN when there are no more values than <paramref name="ddof"/> (one run, ddof = 1).
    /// </summary>
    /// <exception cref="ArgumentException">No values, or ddof other than 0 or 1.</exception>
    public static Spread Of(IReadOnlyList<double> values, int ddof = 0)
    {
        if (ddof is not (0 or 1)) throw new ArgumentException($"Expected ddof 0 or 1, found {ddof}.", nameof(ddof));
        if (values.Count == 0) throw new ArgumentException("Expected at least one value, found none.", nameof(values));
        double mean = values.Average();
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return new Spread(mean, values.Count > ddof ? Math.Sqrt(ss / (values.Count - ddof)) : double.NaN, values.Count, ddof);
    }

    /// <summary>"0.7853 ± 0.0037" with <paramref name="digits"/> decimals; "n/a" for an undefined mean or standard deviation.</summary>
    public string Format(int digits = 4)
    {
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F" + digits, System.Globalization.CultureInfo.InvariantCulture);
        return double.IsNaN(Mean) ? "n/a" : $"{F(Mean)} ± {F(Std)}";
    }
}
