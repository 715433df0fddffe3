namespace PneuKnow.Evaluation;

/// <summary>
/// Student's t distribution with ν degrees of freedom (ν &gt; 0, not necessarily an integer, as a Satterthwaite
/// approximation gives): the cumulative distribution function and its inverse, the two numbers an interval and a
/// p-value need. Written here rather than taken from a numerics package so that the engine has no dependency for
/// two functions; the tests compare both with scipy.stats.t.
/// </summary>
public static class StudentT
{
    /// <summary>P(T ≤ <paramref name="t"/>) for T ~ t(<paramref name="df"/>); the normal CDF when df is infinite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">df not positive, or NaN.</exception>
    public static double Cdf(double t, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "Expected positive degrees of freedom.");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        if (double.IsPositiveInfinity(df)) return NormalCdf(t);
        // P(|T| > |t|) = I_x(ν/2, 1/2) with x = ν / (ν + t²).
        double x = df / (df + t * t);
        double tail = 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The <paramref name="p"/>-quantile of t(<paramref name="df"/>), found by bisection on <see cref="Cdf"/> to 1e-12.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside (0, 1), or df not positive.</exception>
    public static double Quantile(double p, double df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Expected a probability in (0, 1).");
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "Expected positive degrees of freedom.");
        if (p == 0.5) return 0;
        if (p < 0.5) return -Quantile(1 - p, df);
        // The upper bound doubles until it brackets p (t(ν=1) at 1 − 1e-12 is about 3e11).
        double lo = 0, hi = 1;
        while (Cdf(hi, df) < p) { lo = hi; hi *= 2; }
        for (int i = 0; i < 200 && hi - lo > 1e-12 * Math.Max(1, hi); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>Two-sided p-value of a t statistic: P(|T| ≥ |t|).</summary>
    public static double TwoSidedP(double t, double df) => double.IsNaN(t) ? double.NaN : Math.Min(1, 2 * Cdf(-Math.Abs(t), df));

    /// <summary>
    /// The <paramref name="p"/>-quantile of √w·T + √(1 − w)·Z, with T ~ t(<paramref name="df"/>) and Z ~ N(0, 1) independent:
    /// the Behrens–Fisher (fiducial) critical value of a difference whose standard error has a part estimated with df
    /// degrees of freedom (share w of the variance) and a part known almost exactly (share 1 − w). w = 1 gives the t
    /// quantile, w = 0 the normal one. Computed once per df on a grid of 401 shares (each by bisection on the numerically
    /// integrated CDF) and interpolated linearly; the tests compare it with scipy's quadrature.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside (0, 1), df not a positive integer, or w outside [0, 1].</exception>
    public static double SumQuantile(double p, int df, double w)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Expected a probability in (0, 1).");
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "Expected at least one degree of freedom.");
        if (!(w >= 0 && w <= 1)) throw new ArgumentOutOfRangeException(nameof(w), w, "Expected a variance share in [0, 1].");
        if (p < 0.5) return -SumQuantile(1 - p, df, w);
        var table = SumTables.GetOrAdd((p, df), key => Enumerable.Range(0, SumGrid + 1).Select(i => SumQuantileExact(key.P, key.Df, (double)i / SumGrid)).ToArray());
        double x = w * SumGrid;
        int lo = Math.Min((int)x, SumGrid - 1);
        return table[lo] + (x - lo) * (table[lo + 1] - table[lo]);
    }

    const int SumGrid = 400;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(double P, int Df), double[]> SumTables = new();

    /// <summary>P(√w·T + √(1 − w)·Z ≤ <paramref name="x"/>) for T ~ t(<paramref name="df"/>), Z ~ N(0, 1) (see <see cref="SumQuantile"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">df not a positive integer, or w outside [0, 1].</exception>
    public static double SumCdf(double x, int df, double w)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "Expected at least one degree of freedom.");
        if (!(w >= 0 && w <= 1)) throw new ArgumentOutOfRangeException(nameof(w), w, "Expected a variance share in [0, 1].");
        if (double.IsNaN(x)) return double.NaN;
        if (w >= 1) return Cdf(x, df);
        if (w <= 0) return NormalCdf(x);
        return SumIntegrand.Of(df).Cdf(x, Math.Sqrt(w), Math.Sqrt(1 - w));
    }

    // P(√w T + √(1−w) Z ≤ x) = ∫ f_T(t) Φ((x − a t)/b) dt, integrated by Simpson's rule over t = sinh(s), s ∈ [−14, 14]
    // (beyond |t| = 6e5 lies under 1e-6 of even a Cauchy's mass). The nodes and weights depend on df only.
    sealed class SumIntegrand
    {
        const int Steps = 4000;
        const double Range = 14;
        readonly double[] ts = new double[Steps + 1];
        readonly double[] weights = new double[Steps + 1];
        static readonly System.Collections.Concurrent.ConcurrentDictionary<int, SumIntegrand> Cache = new();

        public static SumIntegrand Of(int df) => Cache.GetOrAdd(df, d => new SumIntegrand(d));

        SumIntegrand(int df)
        {
            double h = 2 * Range / Steps;
            double logNorm = LogGamma((df + 1) / 2.0) - LogGamma(df / 2.0) - 0.5 * Math.Log(df * Math.PI);
            for (int i = 0; i <= Steps; i++)
            {
                double s = -Range + i * h, t = Math.Sinh(s);
                double density = Math.Exp(logNorm - (df + 1) / 2.0 * Math.Log(1 + t * t / df)) * Math.Cosh(s);
                double simpson = i == 0 || i == Steps ? 1 : i % 2 == 1 ? 4 : 2;
                (ts[i], weights[i]) = (t, density * simpson * h / 3);
            }
        }

        public double Cdf(double x, double a, double b)
        {
            double sum = 0;
            for (int i = 0; i <= Steps; i++) sum += weights[i] * NormalCdf((x - a * ts[i]) / b);
            return Math.Clamp(sum, 0, 1);
        }
    }

    static double SumQuantileExact(double p, int df, double w)
    {
        if (w >= 1) return Quantile(p, df);
        if (w <= 0) return Math.Sqrt(2) * -InverseErfc(2 * p);
        var f = SumIntegrand.Of(df);
        double a = Math.Sqrt(w), b = Math.Sqrt(1 - w);
        double lo = 0, hi = Quantile(p, df) + 1;
        for (int i = 0; i < 60; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (f.Cdf(mid, a, b) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    // The normal quantile through erfc, by bisection (only used at the grid's end, once per table).
    static double InverseErfc(double y)
    {
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Erfc(mid) > y) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    // erfc by its continued fraction for large |x| and the series of erf otherwise (both to double precision).
    static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 2)
        {
            double sum = x, term = x, x2 = x * x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Lentz's method on erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
        double f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double a = n / 2.0;
            d = x + a * d; d = d == 0 ? 1e-300 : 1 / d;
            c = x + a / c; if (c == 0) c = 1e-300;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz).</summary>
    internal static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
        if (x > (a + 1) / (a + b + 2)) return 1 - RegularizedIncompleteBeta(b, a, 1 - x);
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
        double h = d;
        for (int m = 1; m <= 10000; m++)
        {
            int m2 = 2 * m;
            double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + num * d; d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            h *= d * c;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + num * d; d = Math.Abs(d) < tiny ? 1 / tiny : 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return Math.Exp(lnFront) * h / a;
    }

    // Lanczos approximation (g = 7, 9 coefficients), accurate to about 1e-15 for positive arguments.
    static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    internal static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
