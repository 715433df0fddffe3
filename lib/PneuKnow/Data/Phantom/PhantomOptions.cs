namespace PneuKnow.Data.Phantom;

/// <summary>What the ROI/mask of a healthy image holds.</summary>
public enum HealthyRoi
{
    /// <summary>Nothing annotated: an all-black ROI and an empty mask (the authors' convention for healthy lungs).</summary>
    Empty,
    /// <summary>Both lung fields, for studies where the annotator outlines the lungs of normal images.</summary>
    Lungs,
}

/// <summary>
/// Options of the annotated chest-radiograph phantom (see data/README.md for what each knob models).
/// The defaults give the study's size and estimated class balance: 1082 images, 256 px.
/// </summary>
public sealed record PhantomOptions
{
    /// <summary>The study's estimated class counts of its 1082 images (docs/design.md#recipe), keyed by the authors' labels.</summary>
    public static readonly IReadOnlyDictionary<string, int> StudyClassCounts = new Dictionary<string, int>
    {
        ["B"] = 95, ["C"] = 115, ["NB"] = 653, ["P"] = 145, ["V"] = 74,
    };

    /// <summary>Number of images; class counts are the <see cref="ClassShares"/> (or the study's balance) scaled to it.</summary>
    public int Images { get; init; } = 1082;

    /// <summary>Side of the square images in pixels (at least 32).</summary>
    public int Size { get; init; } = 256;

    /// <summary>Seed of everything drawn; the same seed gives byte-identical output.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Relative class frequencies keyed by the authors' labels B (bacterial), C (COVID-19), NB (healthy),
    /// P (fungal), V (viral); null means the study's estimated balance. Classes absent here are not generated.
    /// </summary>
    public IReadOnlyDictionary<string, double>? ClassShares { get; init; }

    /// <summary>
    /// Multiplies the density contrast of every finding: 1 is the default (findings visible but subtle, like
    /// mild-to-moderate disease), 0.5 makes them faint, 2 obvious. Models disease severity and reader difficulty.
    /// </summary>
    public double Conspicuity { get; init; } = 1.0;

    /// <summary>
    /// Share (0..1) of atypical/ambiguous cases: their own pattern is weakened and mixed with another class's
    /// pattern (healthy: a faint, unannotated disease-like opacity). Models the overlap of radiological patterns.
    /// </summary>
    public double AtypicalShare { get; init; } = 0.15;

    /// <summary>
    /// Strength (0..1) of a shortcut confounder outside the lungs: ECG electrodes with leads and a radiopaque
    /// side marker, drawn on shoulders/abdomen/corners. In train and valid its presence probability is
    /// 0.5 ± 0.5·strength (more likely for COVID-19 and fungal, the hospitalised classes; less for the others);
    /// in test it is 0.5 for every class, so a model that learned the shortcut loses accuracy there.
    /// 0 removes the correlation (devices still appear, independent of class).
    /// </summary>
    public double ShortcutStrength { get; init; } = 0.25;

    /// <summary>Share of patients with more than one image (2 to 4 follow-up images with a new pose and exposure).</summary>
    public double MultiImagePatientShare { get; init; } = 0.2;

    /// <summary>Train/valid/test fractions of images, assigned per patient and stratified by class.</summary>
    public SplitFractions Splits { get; init; } = SplitFractions.Default;

    /// <summary>What healthy images annotate.</summary>
    public HealthyRoi HealthyRoi { get; init; } = HealthyRoi.Empty;

    /// <summary>Parallel image renderers (output does not depend on it); 0 means all cores.</summary>
    public int Threads { get; init; }

    /// <summary>The class shares in effect, keyed by label in sorted (code) order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> EffectiveShares()
    {
        var shares = ClassShares ?? StudyClassCounts.ToDictionary(kv => kv.Key, kv => (double)kv.Value);
        return shares.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the option, the expected range and the value.</summary>
    public void Validate()
    {
        if (Images < 1) throw new ArgumentException($"PhantomOptions.Images: expected at least 1, found {Images}.");
        if (Size < 32 || Size > 4096) throw new ArgumentException($"PhantomOptions.Size: expected 32..4096 pixels, found {Size}.");
        if (Conspicuity < 0 || Conspicuity > 10) throw new ArgumentException($"PhantomOptions.Conspicuity: expected 0..10, found {Conspicuity}.");
        if (AtypicalShare is < 0 or > 1) throw new ArgumentException($"PhantomOptions.AtypicalShare: expected 0..1, found {AtypicalShare}.");
        if (ShortcutStrength is < 0 or > 1) throw new ArgumentException($"PhantomOptions.ShortcutStrength: expected 0..1, found {ShortcutStrength}.");
        if (MultiImagePatientShare is < 0 or > 1) throw new ArgumentException($"PhantomOptions.MultiImagePatientShare: expected 0..1, found {MultiImagePatientShare}.");
        var shares = EffectiveShares();
        foreach (var kv in shares)
        {
            if (!PhantomFindings.KnownLabels.Contains(kv.Key))
                throw new ArgumentException($"PhantomOptions.ClassShares: expected labels among {string.Join(", ", PhantomFindings.KnownLabels)}, found '{kv.Key}'.");
            if (kv.Value < 0 || double.IsNaN(kv.Value)) throw new ArgumentException($"PhantomOptions.ClassShares['{kv.Key}']: expected a non-negative share, found {kv.Value}.");
        }
        if (shares.Sum(kv => kv.Value) <= 0) throw new ArgumentException("PhantomOptions.ClassShares: expected at least one positive share, found none.");
        Splits.Validate();
    }

    /// <summary>Image counts per label (largest-remainder rounding of the shares to <see cref="Images"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, int>> ClassCounts()
    {
        var shares = EffectiveShares();
        double total = shares.Sum(kv => kv.Value);
        var exact = shares.Select(kv => kv.Value / total * Images).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        int left = Images - counts.Sum();
        foreach (var i in Enumerable.Range(0, exact.Length).OrderByDescending(i => exact[i] - counts[i]).ThenBy(i => i).Take(left)) counts[i]++;
        return shares.Select((kv, i) => new KeyValuePair<string, int>(kv.Key, counts[i])).ToList();
    }
}
