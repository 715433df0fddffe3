using Microsoft.Data.Analysis;
using PneuKnow.Evaluation;

namespace PneuKnow.Plots;

/// <summary>What <see cref="EvaluationReport.Write"/> produced.</summary>
/// <param name="Files">Paths written.</param>
/// <param name="Warnings">Things not produced, with the reason.</param>
public sealed record EvaluationOutput(IReadOnlyList<string> Files, IReadOnlyList<string> Warnings);

/// <summary>Writes the evaluation of groups of repeated runs into a folder: tables (CSV + Markdown) and figures (HTML).</summary>
/// <remarks>
/// In Plots rather than Evaluation because it saves figures: Plots draws from Evaluation's numbers, so an
/// Evaluation type that saved figures would make the two folders depend on each other.
/// </remarks>
public static class EvaluationReport
{
    /// <summary>
    /// Writes <c>metrics_per_run.csv</c>, <c>summary.csv/.md</c> (mean ± std per group and metric),
    /// <c>class_scores.csv/.md</c> (groups side by side), <c>bootstrap.csv</c> (95 % intervals of accuracy and
    /// macro F1 per run), and per group <c>roc_&lt;group&gt;.html</c> (its first run) and
    /// <c>confusion_&lt;group&gt;.html</c> (summed over its runs), plus <c>class_f1.html</c>.
    /// </summary>
    /// <param name="groups">Summarised groups.</param>
    /// <param name="runs">The runs behind them (for the bootstrap).</param>
    /// <param name="folder">Output folder.</param>
    /// <param name="resamples">Bootstrap resamples.</param>
    /// <param name="seed">Bootstrap seed.</param>
    public static EvaluationOutput Write(IReadOnlyList<RunGroup> groups, IReadOnlyList<EvaluatedRun> runs, string folder, int resamples = 1000, int seed = 0)
    {
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        string Out(string name) { var p = Path.Combine(folder, name); files.Add(p); return p; }
        string? warning = null;
        void Figure(Plotly.NET.GenericChart chart, string name)
        {
            var saved = FigureFile.Save(chart, Path.Combine(folder, name));
            files.AddRange(saved.Files);
            warning ??= saved.Warning;
        }
        var names = RunMetrics.MetricNames(groups[0].Classes);

        var perRun = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("group", groups.SelectMany(g => g.Runs.Select(_ => g.Group))),
            new StringDataFrameColumn("run", groups.SelectMany(g => g.Runs)),
        };
        perRun.AddRange(names.Select(n => new DoubleDataFrameColumn(n, groups.SelectMany(g => g.PerRun.Select(r => r.Values[n])))));
        TableFormat.WriteCsv(new DataFrame(perRun), Out("metrics_per_run.csv"));

        var summary = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("group", groups.Select(g => g.Group)),
            new Int32DataFrameColumn("runs", groups.Select(g => g.Runs.Count)),
        };
        foreach (var n in names)
        {
            summary.Add(new DoubleDataFrameColumn($"{n} mean", groups.Select(g => g[n].Mean)));
            summary.Add(new DoubleDataFrameColumn($"{n} std", groups.Select(g => g[n].Std)));
        }
        var summaryTable = new DataFrame(summary);
        TableFormat.WriteCsv(summaryTable, Out("summary.csv"));
        TableFormat.WriteMarkdown(summaryTable, Out("summary.md"));

        var classTable = PaperTables.ClassScores(groups.Select(g => (g.Group, g)).ToArray());
        TableFormat.WriteCsv(classTable, Out("class_scores.csv"));
        TableFormat.WriteMarkdown(classTable, Out("class_scores.md"));

        var intervals = runs.Select(r => (r, Accuracy: Bootstrap.Interval(r.Predictions, p => ClassificationReport.Of(p).Accuracy, resamples, seed),
            MacroF1: Bootstrap.Interval(r.Predictions, p => ClassificationReport.Of(p).Macro.F1, resamples, seed))).ToArray();
        TableFormat.WriteCsv(new DataFrame(
            new StringDataFrameColumn("group", intervals.Select(i => i.r.Group)), new StringDataFrameColumn("run", intervals.Select(i => i.r.Name)),
            new DoubleDataFrameColumn("accuracy", intervals.Select(i => i.Accuracy.Estimate)),
            new DoubleDataFrameColumn("accuracy ci low", intervals.Select(i => i.Accuracy.Lower)), new DoubleDataFrameColumn("accuracy ci high", intervals.Select(i => i.Accuracy.Upper)),
            new DoubleDataFrameColumn("macro_f1", intervals.Select(i => i.MacroF1.Estimate)),
            new DoubleDataFrameColumn("macro_f1 ci low", intervals.Select(i => i.MacroF1.Lower)), new DoubleDataFrameColumn("macro_f1 ci high", intervals.Select(i => i.MacroF1.Upper)),
            new Int32DataFrameColumn("resamples", intervals.Select(_ => resamples)), new Int32DataFrameColumn("seed", intervals.Select(_ => seed))), Out("bootstrap.csv"));

        foreach (var g in groups)
        {
            var safe = string.Concat(g.Group.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
            Figure(Figures.Roc(g.PerRun[0].Roc, $"ROC of {g.Group} / {g.Runs[0]}"), $"roc_{safe}.html");
            var k = g.Classes.Count;
            var summed = new int[k, k];
            foreach (var r in g.PerRun) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) summed[i, j] += r.Report.Confusion[i, j];
            Figure(Figures.Confusion(g.PerRun[0].Report with { Confusion = summed }, title: $"Confusion of {g.Group} (summed over {g.Runs.Count} runs)"), $"confusion_{safe}.html");
        }
        Figure(Figures.ClassF1(groups.Select(g => (g.Group, g)).ToArray()), "class_f1.html");
        return new EvaluationOutput(files, warning is null ? [] : [warning]);
    }
}
