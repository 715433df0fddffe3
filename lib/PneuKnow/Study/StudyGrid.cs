namespace PneuKnow.Study;

/// <summary>Which network a study job trains.</summary>
public enum StudyRole
{
    /// <summary>Cross-entropy on raw images.</summary>
    Baseline,
    /// <summary>Cross-entropy on ROI images (or raw images in the noroi control).</summary>
    Teacher,
    /// <summary>HKD: raw images, consistency with the teacher's features of the ROI.</summary>
    Student,
}

/// <summary>One training job of the grid.</summary>
/// <param name="Backbone">Backbone name.</param>
/// <param name="Variant">The arm.</param>
/// <param name="Role">Baseline, teacher or student.</param>
/// <param name="Run">Repeated-run number, 1-based.</param>
public sealed record StudyJob(string Backbone, StudyVariant Variant, StudyRole Role, int Run)
{
    /// <summary>Folder of this job's run, relative to the study's output folder.</summary>
    public string RunPath => Path.Combine("runs", Backbone, Variant.Name, Role.ToString().ToLowerInvariant(), $"run{Run}");
}

/// <summary>
/// A self-contained unit of work: a baseline alone, or a teacher followed by the student it
/// teaches. Shards are made of whole units so a student never waits on another shard's teacher.
/// </summary>
/// <param name="Key">Stable name, e.g. <c>cntk_resnet18/do/kd/run2</c>.</param>
/// <param name="Jobs">Jobs in the order they must run.</param>
public sealed record StudyUnit(string Key, IReadOnlyList<StudyJob> Jobs);

/// <summary>The i-th of n deterministic parts of a study grid.</summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards.</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>The whole grid.</summary>
    public static ShardSpec All => new(0, 1);

    /// <summary>Parses <c>i/n</c> with 0 ≤ i &lt; n.</summary>
    /// <exception cref="ArgumentException">Anything else; the message shows the expected form.</exception>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var i) || !int.TryParse(parts[1], out var n))
            throw new ArgumentException($"shard: expected i/n (for example 0/4), found '{text}'.");
        if (n <= 0 || i < 0 || i >= n)
            throw new ArgumentException($"shard: expected 0 <= i < n in i/n, found i={i}, n={n} in '{text}'.");
        return new ShardSpec(i, n);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>Expands a preset into its units of work and splits them into shards.</summary>
public static class StudyGrid
{
    /// <summary>
    /// Every unit of the preset in a fixed order: backbone, then arm, then run; within a cell the
    /// baseline unit before the distillation unit.
    /// </summary>
    public static IReadOnlyList<StudyUnit> Units(StudyPreset preset)
    {
        var units = new List<StudyUnit>();
        foreach (var backbone in preset.Backbones)
        foreach (var variant in preset.Variants)
        for (int run = 1; run <= preset.Runs; run++)
        {
            if (variant.WithBaseline)
                units.Add(new StudyUnit($"{backbone}/{variant.Name}/baseline/run{run}",
                    [new StudyJob(backbone, variant, StudyRole.Baseline, run)]));
            units.Add(new StudyUnit($"{backbone}/{variant.Name}/kd/run{run}",
            [
                new StudyJob(backbone, variant, StudyRole.Teacher, run),
                new StudyJob(backbone, variant, StudyRole.Student, run),
            ]));
        }
        return units;
    }

    /// <summary>
    /// The units of shard <paramref name="shard"/>: round-robin over the fixed order, so shards
    /// are balanced across backbones and disjoint, and together cover the grid.
    /// </summary>
    public static IReadOnlyList<StudyUnit> Shard(IReadOnlyList<StudyUnit> units, ShardSpec shard) =>
        units.Where((_, k) => k % shard.Count == shard.Index).ToList();
}
