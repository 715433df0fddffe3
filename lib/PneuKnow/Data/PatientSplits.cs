using PneuKnow.Runtime;

namespace PneuKnow.Data;

/// <summary>The split names used throughout: the authors' <c>train</c>/<c>valid</c> and a held-out <c>test</c>.</summary>
public static class SplitNames
{
    /// <summary>Training split.</summary>
    public const string Train = "train";
    /// <summary>Validation split (the authors' checkpoint selection and reported numbers).</summary>
    public const string Valid = "valid";
    /// <summary>Held-out test split (not in the authors' recipe).</summary>
    public const string Test = "test";
    /// <summary>All three, in order.</summary>
    public static readonly IReadOnlyList<string> All = [Train, Valid, Test];
}

/// <summary>Fractions of images per split; they must sum to 1.</summary>
/// <param name="Train">Training fraction.</param>
/// <param name="Valid">Validation fraction.</param>
/// <param name="Test">Test fraction (0 gives the authors' train/valid layout).</param>
public sealed record SplitFractions(double Train, double Valid, double Test)
{
    /// <summary>70/15/15 train/valid/test.</summary>
    public static readonly SplitFractions Default = new(0.70, 0.15, 0.15);

    /// <summary>The authors' layout: train/valid only, 80/20 (217 of 1082 images were validation).</summary>
    public static readonly SplitFractions Authors = new(0.80, 0.20, 0.0);

    /// <summary>Parses "0.7,0.15,0.15" or "0.8,0.2" (then no test split).</summary>
    public static SplitFractions Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[3];
        if (parts.Length is < 2 or > 3)
            throw new FormatException($"Split fractions: expected 'train,valid[,test]' such as 0.7,0.15,0.15, found '{text}'.");
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"Split fractions: expected a number at position {i + 1}, found '{parts[i]}' in '{text}'.");
        var f = new SplitFractions(values[0], values[1], values[2]);
        f.Validate();
        return f;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless every fraction is in [0,1] and they sum to 1.</summary>
    public void Validate()
    {
        if (Train < 0 || Valid < 0 || Test < 0 || Math.Abs(Train + Valid + Test - 1) > 1e-6 || Train <= 0)
            throw new ArgumentException($"Split fractions: expected non-negative train/valid/test fractions summing to 1 with train > 0, found {Train}/{Valid}/{Test}.");
    }

    /// <summary>The fraction of a split by name.</summary>
    public double Of(string split) => split switch
    {
        SplitNames.Train => Train, SplitNames.Valid => Valid, SplitNames.Test => Test,
        _ => throw new ArgumentException($"Unknown split '{split}': expected train, valid or test."),
    };
}

/// <summary>One patient found in more than one split.</summary>
/// <param name="PatientId">The patient.</param>
/// <param name="Splits">The splits holding the patient's images.</param>
/// <param name="Files">The patient's image files.</param>
public sealed record SplitLeak(string PatientId, IReadOnlyList<string> Splits, IReadOnlyList<string> Files);

/// <summary>
/// Patient-level, class-stratified, seeded split assignment and the leakage check. A patient's images always
/// share one split, so no patient is seen in training and evaluated again.
/// </summary>
public static class PatientSplits
{
    /// <summary>
    /// Assigns every patient to train/valid/test. Patients are grouped by their (majority) class, shuffled with
    /// <paramref name="seed"/>, and placed by where the middle of their images falls on the cumulative
    /// class count: per class the split image counts then miss the targets by at most half the largest
    /// patient's image count.
    /// </summary>
    /// <param name="items">(patient id, class code) per image.</param>
    /// <param name="fractions">Target fractions.</param>
    /// <param name="seed">Shuffle seed.</param>
    /// <returns>Split name per patient id.</returns>
    public static IReadOnlyDictionary<string, string> Assign(IEnumerable<(string PatientId, int Label)> items, SplitFractions fractions, ulong seed)
    {
        fractions.Validate();
        var patients = items.GroupBy(i => i.PatientId, StringComparer.Ordinal)
            .Select(g => (Id: g.Key, Count: g.Count(), Label: g.GroupBy(x => x.Label).OrderByDescending(x => x.Count()).ThenBy(x => x.Key).First().Key))
            .ToList();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in patients.GroupBy(p => p.Label).OrderBy(g => g.Key))
        {
            var list = group.OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
            SplitMix64.Derive(seed, 0x5B1175UL, (ulong)group.Key).Shuffle(list);
            double total = list.Sum(p => p.Count), cum = 0;
            // Test first, then valid, so the small held-out splits get the exact-as-possible share.
            double testEnd = total * fractions.Test, validEnd = total * (fractions.Test + fractions.Valid);
            foreach (var p in list)
            {
                double mid = cum + p.Count / 2.0;
                result[p.Id] = mid < testEnd ? SplitNames.Test : mid < validEnd ? SplitNames.Valid : SplitNames.Train;
                cum += p.Count;
            }
        }
        return result;
    }

    /// <summary>Patients whose images sit in more than one split (empty when there is no leakage).</summary>
    public static IReadOnlyList<SplitLeak> FindLeaks(IEnumerable<(string PatientId, string Split, string File)> items) =>
        items.GroupBy(i => i.PatientId, StringComparer.Ordinal)
            .Where(g => g.Select(i => i.Split).Distinct().Count() > 1)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SplitLeak(g.Key, g.Select(i => i.Split).Distinct().OrderBy(s => s).ToList(), g.Select(i => i.File).ToList()))
            .ToList();

    /// <summary>Patients of <paramref name="split"/> that also have images in another split.</summary>
    public static IReadOnlyList<SplitLeak> FindLeaks(IEnumerable<(string PatientId, string Split, string File)> items, string split) =>
        FindLeaks(items).Where(l => l.Splits.Contains(split)).ToList();

    /// <summary>Describes leaks in one message: patient, splits and files of each.</summary>
    public static string Describe(IReadOnlyList<SplitLeak> leaks) =>
        string.Join("; ", leaks.Select(l => $"patient '{l.PatientId}' is in {string.Join(" and ", l.Splits)} ({string.Join(", ", l.Files)})"));
}
