namespace PneuKnow.Explain;

/// <summary>
/// How well one CAM agrees with the expert's mask. Every score is NaN where it is undefined: an empty
/// mask (e.g. a healthy image without annotated regions), or a constant CAM (no energy, no arg-max,
/// nothing to normalise).
/// </summary>
/// <param name="Index">Image index.</param>
/// <param name="EnergyPointingGame">CAM mass inside the mask ÷ total CAM mass.</param>
/// <param name="PointingGame">1 if the CAM's maximum (first in row-major order) lies inside the mask, else 0.</param>
/// <param name="IouAtHalf">IoU of {min-max-normalised CAM ≥ 0.5} with the mask.</param>
/// <param name="IouAtOtsu">IoU of {8-bit quantised normalised CAM &gt; Otsu threshold} with the mask.</param>
public sealed record ImageRegionScores(int Index, double EnergyPointingGame, double PointingGame, double IouAtHalf, double IouAtOtsu);

/// <summary>Mean and standard deviation (ddof 0) of one score over the images where it is defined.</summary>
/// <param name="Mean">Mean over defined images.</param>
/// <param name="Std">Population standard deviation over defined images.</param>
/// <param name="Images">Images where the score is defined.</param>
/// <param name="Undefined">Images where it is NaN (empty mask or constant CAM), left out.</param>
public sealed record ScoreSummary(double Mean, double Std, int Images, int Undefined);

/// <summary>The scores of one model over a set of images.</summary>
/// <param name="EnergyPointingGame">Summary of <see cref="ImageRegionScores.EnergyPointingGame"/>.</param>
/// <param name="PointingGame">Summary of <see cref="ImageRegionScores.PointingGame"/> (the hit rate).</param>
/// <param name="IouAtHalf">Summary of <see cref="ImageRegionScores.IouAtHalf"/>.</param>
/// <param name="IouAtOtsu">Summary of <see cref="ImageRegionScores.IouAtOtsu"/>.</param>
public sealed record DecisionRegionSummary(ScoreSummary EnergyPointingGame, ScoreSummary PointingGame, ScoreSummary IouAtHalf, ScoreSummary IouAtOtsu);

/// <summary>Decision regions scored against expert masks: pure functions over row-major planes.</summary>
public static class DecisionRegions
{
    /// <summary>All four scores of <paramref name="cam"/> against <paramref name="mask"/> (inside = non-zero).</summary>
    /// <exception cref="ArgumentException">Sizes differ, or a negative or NaN CAM value.</exception>
    public static ImageRegionScores Score(CamMap cam, byte[] mask) =>
        new(cam.Index, EnergyPointingGame(cam.Values, mask), PointingGame(cam.Values, mask),
            IntersectionOverUnion(cam.Values, mask, 0.5), IntersectionOverUnionAtOtsu(cam.Values, mask));

    /// <summary>Fraction of the CAM's total mass that lies inside the mask.</summary>
    public static double EnergyPointingGame(float[] cam, byte[] mask)
    {
        Check(cam, mask);
        double inside = 0, total = 0;
        for (int i = 0; i < cam.Length; i++)
        {
            total += cam[i];
            if (mask[i] != 0) inside += cam[i];
        }
        return total == 0 || !mask.Any(m => m != 0) ? double.NaN : inside / total;
    }

    /// <summary>
    /// Fraction of the CAM's mass inside the region, with an all-zero CAM scored 0 (it puts no evidence there) rather
    /// than left out: whether a map is all zero depends on the model, so dropping it would make the set of scored images
    /// depend on the outcome. NaN only when the region is empty (a property of the image, the same for every model).
    /// </summary>
    public static double EnergyOrZero(float[] cam, byte[] region)
    {
        Check(cam, region);
        if (!region.Any(m => m != 0)) return double.NaN;
        return IsAllZero(cam) ? 0 : EnergyPointingGame(cam, region);
    }

    /// <summary>The pointing game with a constant CAM scored 0 (no maximum, so no hit); NaN only for an empty region.</summary>
    public static double PointingGameOrZero(float[] cam, byte[] region)
    {
        Check(cam, region);
        if (!region.Any(m => m != 0)) return double.NaN;
        return IsConstant(cam) ? 0 : PointingGame(cam, region);
    }

    /// <summary>Whether every value of the CAM is 0 (Grad-CAM's ReLU removed all of it).</summary>
    public static bool IsAllZero(float[] cam) => Array.TrueForAll(cam, v => v == 0);

    /// <summary>1 when the CAM's maximum (the first one in row-major order) is inside the mask, else 0.</summary>
    public static double PointingGame(float[] cam, byte[] mask)
    {
        Check(cam, mask);
        if (!mask.Any(m => m != 0) || IsConstant(cam)) return double.NaN;
        int best = 0;
        for (int i = 1; i < cam.Length; i++) if (cam[i] > cam[best]) best = i;
        return mask[best] != 0 ? 1 : 0;
    }

    /// <summary>IoU of the mask with the pixels whose min-max-normalised CAM is ≥ <paramref name="threshold"/>.</summary>
    public static double IntersectionOverUnion(float[] cam, byte[] mask, double threshold)
    {
        Check(cam, mask);
        var normalised = MinMaxNormalise(cam);
        if (normalised is null || !mask.Any(m => m != 0)) return double.NaN;
        return Iou(normalised.Select(v => v >= threshold).ToArray(), mask);
    }

    /// <summary>
    /// IoU of the mask with the pixels whose normalised CAM, quantised to 0..255 (rounded), exceeds the Otsu
    /// threshold of those 8-bit values (OpenCV's <c>THRESH_BINARY | THRESH_OTSU</c>).
    /// </summary>
    public static double IntersectionOverUnionAtOtsu(float[] cam, byte[] mask)
    {
        Check(cam, mask);
        var normalised = MinMaxNormalise(cam);
        if (normalised is null || !mask.Any(m => m != 0)) return double.NaN;
        var levels = normalised.Select(v => (byte)Math.Round(v * 255, MidpointRounding.AwayFromZero)).ToArray();
        int t = OtsuThreshold(levels);
        return Iou(levels.Select(v => v > t).ToArray(), mask);
    }

    /// <summary>
    /// Otsu's threshold of 8-bit values: the level t maximising the between-class variance of {≤ t} and {&gt; t},
    /// the first such level on ties, as OpenCV computes it.
    /// </summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static int OtsuThreshold(IReadOnlyList<byte> values)
    {
        if (values.Count == 0) throw new ArgumentException("Expected at least one value, found none.", nameof(values));
        var histogram = new double[256];
        foreach (var v in values) histogram[v]++;
        double n = values.Count, mu = 0;
        for (int i = 0; i < 256; i++) mu += i * histogram[i] / n;
        double q1 = 0, mu1 = 0, best = 0;
        int threshold = 0;
        const double epsilon = 1.1920928955078125e-07;   // FLT_EPSILON, OpenCV's guard against empty classes
        for (int i = 0; i < 256; i++)
        {
            double p = histogram[i] / n;
            mu1 *= q1;
            q1 += p;
            double q2 = 1 - q1;
            if (Math.Min(q1, q2) < epsilon || Math.Max(q1, q2) > 1 - epsilon) continue;
            mu1 = (mu1 + i * p) / q1;
            double mu2 = (mu - q1 * mu1) / q2;
            double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
            if (sigma > best) { best = sigma; threshold = i; }
        }
        return threshold;
    }

    /// <summary>(v − min) / (max − min); null when the CAM is constant.</summary>
    public static double[]? MinMaxNormalise(float[] cam)
    {
        float min = cam.Min(), max = cam.Max();
        if (max == min) return null;
        return cam.Select(v => (double)(v - min) / (max - min)).ToArray();
    }

    /// <summary>Mean ± std (ddof 0) of each score over the images where it is defined.</summary>
    /// <exception cref="ArgumentException">No images.</exception>
    public static DecisionRegionSummary Summarize(IReadOnlyCollection<ImageRegionScores> scores)
    {
        if (scores.Count == 0) throw new ArgumentException("Expected scores of at least one image, found none.", nameof(scores));
        static ScoreSummary Of(IEnumerable<double> values)
        {
            var all = values.ToArray();
            var defined = all.Where(v => !double.IsNaN(v)).ToArray();
            if (defined.Length == 0) return new ScoreSummary(double.NaN, double.NaN, 0, all.Length);
            double mean = defined.Average();
            return new ScoreSummary(mean, Math.Sqrt(defined.Sum(v => (v - mean) * (v - mean)) / defined.Length), defined.Length, all.Length - defined.Length);
        }
        return new DecisionRegionSummary(Of(scores.Select(s => s.EnergyPointingGame)), Of(scores.Select(s => s.PointingGame)),
            Of(scores.Select(s => s.IouAtHalf)), Of(scores.Select(s => s.IouAtOtsu)));
    }

    private static double Iou(bool[] predicted, byte[] mask)
    {
        int intersection = 0, union = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            bool m = mask[i] != 0;
            if (m && predicted[i]) intersection++;
            if (m || predicted[i]) union++;
        }
        return (double)intersection / union;
    }

    private static bool IsConstant(float[] cam) => cam.Min() == cam.Max();

    private static void Check(float[] cam, byte[] mask)
    {
        if (cam.Length != mask.Length) throw new ArgumentException($"Expected a CAM and a mask of the same size, found {cam.Length} and {mask.Length} pixels.");
        if (cam.Length == 0) throw new ArgumentException("Expected a non-empty CAM, found 0 pixels.");
        for (int i = 0; i < cam.Length; i++)
            if (!(cam[i] >= 0)) throw new ArgumentException($"Pixel {i}: expected a non-negative CAM value, found {cam[i]}.");
    }
}

/// <summary>Decision-region scores of several models side by side.</summary>
public static class DecisionRegionTable
{
    /// <summary>
    /// One row per model (e.g. <c>convnext_small baseline</c>, <c>convnext_small HKD</c>), columns
    /// <c>"&lt;score&gt; mean"</c>/<c>"&lt;score&gt; std"</c> and the number of images scored and undefined.
    /// </summary>
    public static Microsoft.Data.Analysis.DataFrame Of(IReadOnlyList<(string Model, DecisionRegionSummary Summary)> models)
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        var columns = new List<Microsoft.Data.Analysis.DataFrameColumn> { new Microsoft.Data.Analysis.StringDataFrameColumn("model", models.Select(m => m.Model)) };
        foreach (var (name, pick) in new (string, Func<DecisionRegionSummary, ScoreSummary>)[]
                 {
                     ("energy pointing game", s => s.EnergyPointingGame), ("pointing game", s => s.PointingGame),
                     ("IoU at 0.5", s => s.IouAtHalf), ("IoU at Otsu", s => s.IouAtOtsu),
                 })
        {
            columns.Add(new Microsoft.Data.Analysis.DoubleDataFrameColumn($"{name} mean", models.Select(m => pick(m.Summary).Mean)));
            columns.Add(new Microsoft.Data.Analysis.DoubleDataFrameColumn($"{name} std", models.Select(m => pick(m.Summary).Std)));
        }
        columns.Add(new Microsoft.Data.Analysis.Int32DataFrameColumn("images", models.Select(m => m.Summary.EnergyPointingGame.Images)));
        columns.Add(new Microsoft.Data.Analysis.Int32DataFrameColumn("undefined", models.Select(m => m.Summary.EnergyPointingGame.Undefined)));
        return new Microsoft.Data.Analysis.DataFrame(columns);
    }
}
