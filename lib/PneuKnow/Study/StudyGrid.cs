namespace PneuKnow.Study;

/// <summary>What a unit of the study trains.</summary>
public enum StudyUnitKind
{
    /// <summary>Baselines: cross-entropy on raw images, one per repeated run.</summary>
    Baseline,
    /// <summary>Distillation: per repeated run a teacher (ROI images, or raw in the noroi control), then the HKD student it teaches.</summary>
    Distillation,
}

/// <summary>
/// A self-contained unit of work: one experiment (all repeated runs of a baseline, or of a
/// teacher and the student it teaches) for one data condition, backbone and arm. Shards are made of whole units,
/// so a student never waits on another shard's teacher.
/// </summary>
/// <param name="Backbone">Backbone name.</param>
/// <param name="Variant">The arm.</param>
/// <param name="Kind">Baseline or distillation.</param>
/// <param name="Condition">The data condition when the preset has several (it is then part of the key); null when it has one.</param>
public sealed record StudyUnit(string Backbone, StudyVariant Variant, StudyUnitKind Kind, StudyCondition? Condition = null)
{
    /// <summary>
    /// Stable name, also the experiment's folder name, in the authors' style: <c>convnext_small_do_kd</c>, or with the
    /// condition after the backbone: <c>resnet18_shortcut_do_kd</c>.
    /// </summary>
    public string Key => $"{Backbone}_{(Condition is null ? "" : Condition.Name + "_")}{Variant.Name}_{(Kind == StudyUnitKind.Baseline ? "baseline" : "kd")}";

    /// <summary>The condition's name, or empty for a single-condition preset.</summary>
    public string ConditionName => Condition?.Name ?? "";
}

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
    /// <summary>Every unit of the preset in a fixed order: condition, backbone, then arm; the baseline before the distillation unit.</summary>
    public static IReadOnlyList<StudyUnit> Units(StudyPreset preset)
    {
        var units = new List<StudyUnit>();
        bool named = preset.Conditions.Count > 1;
        foreach (var condition in preset.Conditions)
        foreach (var backbone in preset.Backbones.Where(b => !preset.Excluded.Contains((b, condition.Name))))
        foreach (var variant in preset.Variants.Where(v => v.AppliesTo(backbone, condition)))
        {
            var c = named ? condition : null;
            if (variant.WithBaseline) units.Add(new StudyUnit(backbone, variant, StudyUnitKind.Baseline, c));
            units.Add(new StudyUnit(backbone, variant, StudyUnitKind.Distillation, c));
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
