using Microsoft.Data.Analysis;
using PneuKnow.Distillation;
using PneuKnow.Runtime;

namespace PneuKnow.Evaluation;

/// <summary>Our side of one line of the comparison with the published numbers.</summary>
/// <param name="Ours">Our repeated runs.</param>
/// <param name="OurSplit">Which images our numbers are measured on, e.g. "held-out test split (patient-level)".</param>
/// <param name="OurRecipe">How our models were trained, e.g. "paper recipe, quick preset, 3 runs".</param>
/// <param name="PublishedExperiment">The authors' experiment name (see <see cref="PublishedMetrics.ExperimentName"/>).</param>
/// <param name="PublishedRole">The role of the published row.</param>
public sealed record ComparisonEntry(RunGroup Ours, string OurSplit, string OurRecipe, string PublishedExperiment, Role PublishedRole);

/// <summary>
/// The paper's tables from summarised runs, as DataFrames with numeric <c>"&lt;x&gt; mean"</c> /
/// <c>"&lt;x&gt; std"</c> column pairs (write with <see cref="TableFormat"/> as CSV or Markdown).
/// </summary>
public static class PaperTables
{
    /// <summary>
    /// Classes × precision/recall/F1 for each model side by side (the paper's per-class table, e.g.
    /// baseline vs HKD student): one row per class, columns <c>"&lt;model&gt; precision mean"</c>, ... .
    /// </summary>
    /// <exception cref="ArgumentException">No models, or models with different class lists.</exception>
    public static DataFrame ClassScores(IReadOnlyList<(string Model, RunGroup Group)> models)
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        var classes = models[0].Group.Classes;
        foreach (var (model, group) in models)
            if (!group.Classes.SequenceEqual(classes))
                throw new ArgumentException($"Model '{model}': expected classes [{string.Join(", ", classes)}] like '{models[0].Model}', found [{string.Join(", ", group.Classes)}].", nameof(models));
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("class", classes) };
        foreach (var (model, group) in models)
            foreach (var score in new[] { "precision", "recall", "f1" })
            {
                columns.Add(new DoubleDataFrameColumn($"{model} {score} mean", classes.Select(c => group[$"{c}_{score}"].Mean)));
                columns.Add(new DoubleDataFrameColumn($"{model} {score} std", classes.Select(c => group[$"{c}_{score}"].Std)));
            }
        return new DataFrame(columns);
    }

    /// <summary>
    /// Accuracy mean ± std per backbone (rows, in order of first appearance) and variant (columns, e.g.
    /// baseline / teacher / HKD / noroi), with the number of runs behind each cell.
    /// </summary>
    /// <exception cref="ArgumentException">No cells, or the same backbone and variant twice.</exception>
    public static DataFrame Accuracy(IReadOnlyList<(string Backbone, string Variant, RunGroup Group)> cells)
    {
        if (cells.Count == 0) throw new ArgumentException("Expected at least one cell, found none.", nameof(cells));
        var duplicate = cells.GroupBy(c => (c.Backbone, c.Variant)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Expected one group per backbone and variant, found {duplicate.Count()} for '{duplicate.Key.Backbone}' / '{duplicate.Key.Variant}'.", nameof(cells));
        var backbones = cells.Select(c => c.Backbone).Distinct().ToArray();
        var variants = cells.Select(c => c.Variant).Distinct().ToArray();
        var columns = new List<DataFrameColumn> { new StringDataFrameColumn("backbone", backbones) };
        foreach (var v in variants)
        {
            Spread? Cell(string b) => cells.FirstOrDefault(c => c.Backbone == b && c.Variant == v).Group?["accuracy"];
            columns.Add(new DoubleDataFrameColumn($"{v} mean", backbones.Select(b => Cell(b)?.Mean ?? double.NaN)));
            columns.Add(new DoubleDataFrameColumn($"{v} std", backbones.Select(b => Cell(b)?.Std ?? double.NaN)));
            columns.Add(new Int32DataFrameColumn($"{v} runs", backbones.Select(b => Cell(b)?.Runs ?? 0)));
        }
        return new DataFrame(columns);
    }

    /// <summary>
    /// Our numbers beside the published ones, one row per entry and metric (accuracy, then per class precision,
    /// recall, F1), each side stating its split and recipe.
    /// </summary>
    /// <param name="entries">What to compare.</param>
    /// <param name="published">The published numbers.</param>
    /// <param name="classNames">Our class code → the authors' class name; <see cref="PublishedMetrics.ClassNames"/> by default.</param>
    /// <exception cref="ArgumentException">A class of ours without an authors' name.</exception>
    /// <exception cref="KeyNotFoundException">An entry naming an experiment/role that was not published.</exception>
    public static DataFrame Comparison(IReadOnlyList<ComparisonEntry> entries, PublishedMetrics published,
        IReadOnlyDictionary<string, string>? classNames = null)
    {
        classNames ??= PublishedMetrics.ClassNames;
        var experiment = new List<string>(); var role = new List<string>(); var metric = new List<string>();
        var oursMean = new List<double>(); var oursStd = new List<double>(); var oursRuns = new List<int>();
        var oursSplit = new List<string>(); var oursRecipe = new List<string>();
        var pubMean = new List<double>(); var pubStd = new List<double>(); var pubSplit = new List<string>(); var pubRecipe = new List<string>();
        var source = new List<string>();
        foreach (var e in entries)
        {
            var pub = published.Find(e.PublishedExperiment, e.PublishedRole);
            var pairs = new List<(string Ours, string Theirs)> { ("accuracy", "accuracy") };
            foreach (var c in e.Ours.Classes)
            {
                if (!classNames.TryGetValue(c, out var theirs))
                    throw new ArgumentException($"Group '{e.Ours.Group}': expected classes with a published name ({string.Join(", ", classNames.Keys)}), found '{c}'.", nameof(classNames));
                foreach (var s in new[] { "precision", "recall", "f1" }) pairs.Add(($"{c}_{s}", $"{theirs}_{s}"));
            }
            foreach (var (ours, theirs) in pairs)
            {
                if (!pub.Metrics.TryGetValue(theirs, out var p))
                    throw new KeyNotFoundException($"{published.Source}: experiment '{pub.Experiment}' ({SnakeCase.Of(pub.Role)}) has no column '{theirs}_mean'.");
                var o = e.Ours[ours];
                experiment.Add(pub.Experiment); role.Add(SnakeCase.Of(pub.Role)); metric.Add(ours);
                oursMean.Add(o.Mean); oursStd.Add(o.Std); oursRuns.Add(o.Runs); oursSplit.Add(e.OurSplit); oursRecipe.Add(e.OurRecipe);
                pubMean.Add(p.Mean); pubStd.Add(p.Std); pubSplit.Add(pub.Split); pubRecipe.Add(pub.Recipe);
                source.Add($"{PublishedMetrics.Citation}; {Path.GetFileName(published.Source)} group '{pub.Table}'");
            }
        }
        return new DataFrame(
            new StringDataFrameColumn("experiment", experiment), new StringDataFrameColumn("role", role), new StringDataFrameColumn("metric", metric),
            new DoubleDataFrameColumn("ours mean", oursMean), new DoubleDataFrameColumn("ours std", oursStd), new Int32DataFrameColumn("ours runs", oursRuns),
            new DoubleDataFrameColumn("published mean", pubMean), new DoubleDataFrameColumn("published std", pubStd),
            new DoubleDataFrameColumn("difference", oursMean.Zip(pubMean, (a, b) => a - b)),
            new StringDataFrameColumn("ours split", oursSplit), new StringDataFrameColumn("ours recipe", oursRecipe),
            new StringDataFrameColumn("published split", pubSplit), new StringDataFrameColumn("published recipe", pubRecipe),
            new StringDataFrameColumn("published source", source));
    }
}
