namespace PneuKnow.Evaluation;

/// <summary>
/// A receiver operating characteristic curve with scikit-learn 1.2's <c>roc_curve(drop_intermediate=True)</c>
/// points: one point per distinct score (descending), collinear intermediate points dropped, and a first
/// point (0, 0) at threshold <c>max score + 1</c> (scikit-learn ≥ 1.3 writes +∞ there instead).
/// </summary>
/// <param name="FalsePositiveRate">x coordinates, non-decreasing from 0 to 1.</param>
/// <param name="TruePositiveRate">y coordinates, non-decreasing from 0 to 1.</param>
/// <param name="Thresholds">Score thresholds, decreasing: a point counts scores ≥ its threshold as positive.</param>
public sealed record RocCurve(double[] FalsePositiveRate, double[] TruePositiveRate, double[] Thresholds)
{
    /// <summary>Area under the curve by the trapezoidal rule (scikit-learn's <c>auc</c>).</summary>
    public double Auc
    {
        get
        {
            double area = 0;
            for (int i = 1; i < FalsePositiveRate.Length; i++)
                area += (FalsePositiveRate[i] - FalsePositiveRate[i - 1]) * (TruePositiveRate[i] + TruePositiveRate[i - 1]) / 2;
            return area;
        }
    }

    /// <summary>The curve of scores <paramref name="score"/> for binary truth <paramref name="positive"/>.</summary>
    /// <exception cref="ArgumentException">Different lengths, no samples, a NaN score, or only one of the two outcomes present (the curve is then undefined).</exception>
    public static RocCurve Compute(IReadOnlyList<bool> positive, IReadOnlyList<double> score)
    {
        int n = positive.Count;
        if (score.Count != n) throw new ArgumentException($"Expected as many scores as outcomes, found {score.Count} scores and {n} outcomes.");
        if (n == 0) throw new ArgumentException("Expected at least one sample, found none.");
        int positives = positive.Count(p => p);
        if (positives == 0 || positives == n)
            throw new ArgumentException($"Expected both positive and negative samples, found {positives} positive of {n}: the ROC curve is undefined.");
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < n; i++)
            if (double.IsNaN(score[i])) throw new ArgumentException($"Sample {i}: expected a score, found NaN.");
        // Descending by score; ties are resolved below by keeping only the last index of each run of equal scores.
        Array.Sort(order, (a, b) => score[b].CompareTo(score[a]));

        var tps = new List<double>();
        var fps = new List<double>();
        var thresholds = new List<double>();
        int tp = 0;
        for (int i = 0; i < n; i++)
        {
            if (positive[order[i]]) tp++;
            if (i == n - 1 || score[order[i + 1]] != score[order[i]])
            {
                tps.Add(tp);
                fps.Add(i + 1 - tp);
                thresholds.Add(score[order[i]]);
            }
        }
        if (tps.Count > 2)
        {
            // Keep the end points and every point where the second difference of fps or tps is non-zero (a corner).
            var keep = new List<int> { 0 };
            for (int i = 1; i < tps.Count - 1; i++)
                if (fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0) keep.Add(i);
            keep.Add(tps.Count - 1);
            tps = keep.Select(i => tps[i]).ToList();
            fps = keep.Select(i => fps[i]).ToList();
            thresholds = keep.Select(i => thresholds[i]).ToList();
        }
        double totalP = tps[^1], totalN = fps[^1];
        var fpr = new double[tps.Count + 1];
        var tpr = new double[tps.Count + 1];
        var thr = new double[tps.Count + 1];
        thr[0] = thresholds[0] + 1;
        for (int i = 0; i < tps.Count; i++)
        {
            fpr[i + 1] = fps[i] / totalN;
            tpr[i + 1] = tps[i] / totalP;
            thr[i + 1] = thresholds[i];
        }
        return new RocCurve(fpr, tpr, thr);
    }
}
