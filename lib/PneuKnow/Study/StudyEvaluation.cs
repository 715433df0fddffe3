using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>One model of the study table: a group of repeated runs and where it sits.</summary>
/// <param name="Backbone">Backbone name.</param>
/// <param name="Model">Column label: baseline, ROI teacher, HKD student, HKD student (noroi), ...</param>
/// <param name="Unit">The study unit that trained it.</param>
/// <param name="Role">Baseline, teacher or student.</param>
/// <param name="RunFolders">Its run folders.</param>
/// <param name="Group">Its metrics over the repeated runs.</param>
public sealed record StudyCell(string Backbone, string Model, StudyUnit Unit, Role Role, IReadOnlyList<string> RunFolders, RunGroup Group)
{
    /// <summary>What the figures show it as (colour, order, legend): from its role and arm (<see cref="StudyReport.KindOf"/>).</summary>
    public ModelKind Kind => StudyReport.KindOf(Unit, Role);

    /// <summary>Whether the cell is the main arm's model in <paramref name="role"/> (the baseline, ROI teacher or HKD student the claims compare).</summary>
    public bool IsMain(Role role) => Role == role && Unit.Variant.Name == StudyVariant.Main.Name;

    /// <summary>The backbone with the data condition when the study has several (<c>cntk_resnet18 · shortcut</c>): what tables and figures call the row.</summary>
    public string Label => Unit.ConditionName.Length == 0 ? Backbone : $"{Backbone} · {Unit.ConditionName}";

    /// <summary>The role's side-by-side per-epoch log (the authors' metrics CSV: every run's columns).</summary>
    public string MetricsLog => Path.Combine(Path.GetDirectoryName(RunFolders[0])!, Experiment.MetricsLogName(Unit.Key, Role, Backbone));

    /// <summary>Loss curves in the authors' style (each run thin, mean thick): train loss, and for a student its CE and consistency parts, validation loss.</summary>
    public Plotly.NET.GenericChart LossFigure()
    {
        var log = TrainingLog.Read(MetricsLog);
        var series = new List<(string, IReadOnlyList<(string, double[])>)>();
        // Only a student's log splits its loss into cross-entropy and consistency parts.
        foreach (var q in new[] { "train_loss", "train_cls_loss", "train_cons_loss", "val_loss" }.Where(log.Has))
            series.Add((q, log.Series(q)));
        return Figures.LossCurves(log.Epochs, series, $"{Label} · {Model}: losses per epoch (each run thin, mean thick)");
    }
}

/// <summary>The evaluated study: every cell, on one split.</summary>
/// <param name="StudyDir">The study folder.</param>
/// <param name="Preset">The preset it ran.</param>
/// <param name="Split">The split the numbers come from.</param>
/// <param name="Cells">Cells in grid order.</param>
public sealed record StudyEvaluation(string StudyDir, StudyPreset Preset, string Split, IReadOnlyList<StudyCell> Cells)
{
    /// <summary>
    /// Where the study's data folders are now when its runs recorded another place (a study moved to another clone; see
    /// <see cref="RecordedData"/>); null: where the runs recorded them.
    /// </summary>
    public string? DataRoot { get; init; }

    /// <summary>Accuracy mean ± std per backbone and model.</summary>
    public DataFrame AccuracyTable() => PaperTables.Accuracy(Cells.Select(c => (c.Label, c.Model, c.Group)).ToList());

    /// <summary>Per class precision/recall/F1 of baseline and HKD student (main arm), per backbone.</summary>
    public DataFrame ClassScoresTable() => PaperTables.ClassScores(Cells
        .Where(c => c.Unit.Variant.Name == StudyVariant.Main.Name && c.Role != Role.Teacher)
        .Select(c => ($"{c.Label} {c.Model}", c.Group)).ToList());

    /// <summary>
    /// The headline: per backbone, accuracy of baseline, ROI teacher and HKD student (mean ± std), the
    /// student's gain over the baseline, and the controls, as Markdown.
    /// </summary>
    public string Headline()
    {
        var models = Cells.Select(c => c.Model).Distinct().ToList();
        var sb = new StringBuilder();
        sb.Append("| backbone | ").Append(string.Join(" | ", models)).Append(" | HKD − baseline |\n");
        sb.Append("|---|").Append(string.Concat(models.Select(_ => "---|"))).Append("---|\n");
        foreach (var backbone in Cells.Select(c => c.Label).Distinct())
        {
            Spread? Acc(string model) => Cells.FirstOrDefault(c => c.Label == backbone && c.Model == model)?.Group["accuracy"];
            Spread? Main(Role role) => Cells.FirstOrDefault(c => c.Label == backbone && c.IsMain(role))?.Group["accuracy"];
            sb.Append("| ").Append(backbone);
            foreach (var m in models) sb.Append(" | ").Append(Acc(m)?.Format(3) ?? "–");
            var gain = Main(Role.Student) is { } s && Main(Role.Baseline) is { } b ? (s.Mean - b.Mean).ToString("+0.000;−0.000", CultureInfo.InvariantCulture) : "–";
            sb.Append(" | ").Append(gain).Append(" |\n");
        }
        var runs = RunCount(Cells);
        // Cells differ in their counts when the primary arms run more pairs (StudyPreset.PrimaryRuns): the range, and where each count is.
        var per = Cells.Select(c => c.RunFolders.Count).Distinct().Count() > 1 ? " per cell (the primary backbones' main arm runs more pairs; each cell's count: tables/accuracy.md)" : "";
        sb.Append($"\nAccuracy, mean ± std over {runs} run(s){per}, on the {Split} split ({Describe(Preset)}).\n");
        return sb.ToString();
    }

    /// <summary>
    /// How many runs stand behind <paramref name="cells"/>: one count (<c>12</c>), or the range (<c>12–30</c>) when they differ,
    /// as they do between a primary backbone's main arm and the other arms of a preset with <see cref="StudyPreset.PrimaryRuns"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No cells.</exception>
    public static string RunCount(IEnumerable<StudyCell> cells)
    {
        var counts = cells.Select(c => c.RunFolders.Count).ToList();
        if (counts.Count == 0) throw new ArgumentException("Expected at least one cell to count runs of, found none.", nameof(cells));
        var (min, max) = (counts.Min(), counts.Max());
        return min == max ? min.ToString(CultureInfo.InvariantCulture) : FormattableString.Invariant($"{min}–{max}");
    }


    /// <summary>One sentence on where the numbers come from.</summary>
    public static string Describe(StudyPreset p) => p.Recipe == StudyRecipe.Authors
        ? "the authors' recipe: the validation split both selects checkpoints and reports, as in the paper"
        : "checkpoints selected on the validation split, numbers from the held-out test split";
}
