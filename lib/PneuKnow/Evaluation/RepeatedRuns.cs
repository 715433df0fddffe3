using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>One run's predictions on one split, with the key of the group of repeated runs it belongs to.</summary>
/// <param name="Group">Grouping key chosen by the caller, e.g. <c>convnext_small/hkd</c>.</param>
/// <param name="Name">The run's own name (its folder name), unique within the group.</param>
/// <param name="Predictions">The run's predictions.</param>
public sealed record EvaluatedRun(string Group, string Name, Predictions Predictions);

/// <summary>The metrics of a group of repeated runs: each run's, and mean ± std per metric.</summary>
/// <param name="Group">The grouping key.</param>
/// <param name="Classes">Class labels shared by all runs.</param>
/// <param name="Runs">Run names in input order.</param>
/// <param name="PerRun">Metrics of each run, aligned with <paramref name="Runs"/>.</param>
/// <param name="Metrics">Mean ± std per metric name (see <see cref="RunMetrics.MetricNames"/>).</param>
public sealed record RunGroup(string Group, IReadOnlyList<string> Classes, IReadOnlyList<string> Runs,
    IReadOnlyList<RunMetrics> PerRun, IReadOnlyDictionary<string, Spread> Metrics)
{
    /// <summary>The spread of one metric.</summary>
    /// <exception cref="KeyNotFoundException">Unknown metric; the message lists the known ones.</exception>
    public Spread this[string metric] => Metrics.TryGetValue(metric, out var s) ? s
        : throw new KeyNotFoundException($"Group '{Group}': expected one of the metrics {string.Join(", ", Metrics.Keys)}, found '{metric}'.");
}

/// <summary>Groups runs by their key and summarises each group.</summary>
public static class RepeatedRuns
{
    /// <summary>
    /// Metrics per run and mean ± std per group, groups in order of first appearance.
    /// </summary>
    /// <param name="runs">Runs with their group keys.</param>
    /// <param name="ddof">0 (default, as the authors: population std) or 1 (sample std).</param>
    /// <exception cref="ArgumentException">No runs, duplicate run names in a group, or runs whose class lists differ (names both runs and lists).</exception>
    public static IReadOnlyList<RunGroup> Summarize(IEnumerable<EvaluatedRun> runs, int ddof = 0)
    {
        var list = runs.ToList();
        if (list.Count == 0) throw new ArgumentException("Expected at least one run, found none.", nameof(runs));
        var first = list[0];
        foreach (var r in list.Skip(1))
            if (!r.Predictions.Classes.SequenceEqual(first.Predictions.Classes))
                throw new ArgumentException(
                    $"Run '{r.Group}/{r.Name}': expected the classes of run '{first.Group}/{first.Name}' " +
                    $"[{string.Join(", ", first.Predictions.Classes)}], found [{string.Join(", ", r.Predictions.Classes)}].", nameof(runs));
        var groups = new List<RunGroup>();
        foreach (var g in list.GroupBy(r => r.Group))
        {
            var members = g.ToList();
            var duplicate = members.GroupBy(m => m.Name).FirstOrDefault(d => d.Count() > 1);
            if (duplicate is not null) throw new ArgumentException($"Group '{g.Key}': expected unique run names, found '{duplicate.Key}' {duplicate.Count()} times.", nameof(runs));
            var perRun = members.Select(m => RunMetrics.Of(m.Predictions)).ToList();
            var names = RunMetrics.MetricNames(first.Predictions.Classes);
            var spreads = names.ToDictionary(n => n, n => Spread.Of(perRun.Select(p => p.Values[n]).ToArray(), ddof));
            groups.Add(new RunGroup(g.Key, first.Predictions.Classes, members.Select(m => m.Name).ToArray(), perRun, spreads));
        }
        return groups;
    }
}
