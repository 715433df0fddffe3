using System.Globalization;
using Microsoft.Data.Analysis;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Explain;
using PneuKnow.Plots;
using PneuKnow.Runtime;
using PneuKnow.Training;
using SixLabors.ImageSharp;

namespace PneuKnow.Study;

/// <summary>
/// The one entry point of the study's notebooks: <see cref="CheckPreset"/> is the preset check every chapter makes, and
/// <see cref="Open"/> gives chapters 02–05 the study they read, in one call:
/// <code>
/// var study = StudyNotebook.Open(preset, results, data, NotebookProgress.Line("study"));
/// Console.WriteLine(study.Summary);
/// display(HTML(TableFormat.ToHtml(study.ClaimsTable("accuracy"), digits: 3)));
/// </code>
/// Everything a chapter shows comes from here or from the engine's own tables (<see cref="StudyEvaluation"/>,
/// <see cref="StudyClaims"/>, <see cref="StudyReport.Comparison"/>, <see cref="PublishedMetrics"/>), so that no chapter
/// re-derives a comparison the engine makes and no number about the data or the results is typed into a notebook.
/// </summary>
public sealed class StudyNotebook
{
    readonly IProgress _progress;
    readonly Lazy<IReadOnlyList<ClaimRow>> _claims;
    readonly Lazy<PublishedMetrics> _published;

    StudyNotebook(StudyEvaluation evaluation, TorchRuntimeReport runtime, string dataRoot, bool trained, int units, TimeSpan elapsed, IProgress progress)
    {
        (Evaluation, Runtime, DataRoot, Trained, Units, Elapsed, _progress) = (evaluation, runtime, dataRoot, trained, units, elapsed, progress);
        _claims = new(() => StudyClaims.Load(Evaluation, _progress));
        _published = new(() => PublishedMetrics.Read(PublishedMetricsPath));
    }

    /// <summary>
    /// The preset named <paramref name="preset"/>: the check every chapter makes on its <c>preset</c> parameter before it
    /// does anything else.
    /// </summary>
    /// <exception cref="ArgumentException">Not one of <see cref="StudyPreset.Names"/>; the message lists them.</exception>
    public static StudyPreset CheckPreset(string preset) =>
        string.IsNullOrWhiteSpace(preset)
            ? throw new ArgumentException($"preset: expected one of {string.Join(", ", StudyPreset.Names)}, found an empty name.")
            : StudyPreset.Get(preset);

    /// <summary>
    /// The published numbers the engine ships beside itself (<c>paper-reference/published-metrics.csv</c> in the engine's
    /// build folder, copied there from <c>data/paper-reference/</c>): found from the engine's own location, so that a
    /// notebook reads them wherever it runs.
    /// </summary>
    public static string PublishedMetricsPath =>
        Path.Combine(Path.GetDirectoryName(typeof(PublishedMetrics).Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory,
            "paper-reference", "published-metrics.csv");

    /// <summary>
    /// Validates <paramref name="preset"/>, initialises torch, and runs or loads the study: a study folder whose stamp
    /// (<c>study.json</c>) holds every unit of the preset's grid is loaded as it is (nothing is trained or rescored, so a
    /// committed study without checkpoints opens too); any other folder is run by <see cref="StudyRunner.Run"/>, which
    /// trains what is missing and reuses every finished run. Then <see cref="StudyReport.Evaluate"/> reads the runs back.
    /// </summary>
    /// <param name="preset">A name of <see cref="StudyPreset.Names"/>.</param>
    /// <param name="results">The study folder; empty: <c>../results/&lt;preset&gt;</c> relative to the working directory (the notebook's
    /// folder), where <c>pneuknow reproduce</c> writes the study.</param>
    /// <param name="data">Where phantom data is generated and reused; empty: <c>../data/generated</c> relative to the working directory.</param>
    /// <param name="progress">Progress of training and scoring (in a notebook, <c>NotebookProgress.Line("study")</c>: one line); null: none.</param>
    /// <param name="device"><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (<see cref="TorchRuntime.Initialize"/>).</param>
    /// <exception cref="ArgumentException">An unknown preset, or a study folder that holds another preset's study.</exception>
    /// <exception cref="InvalidDataException">A malformed study folder (see <see cref="StudyReport.Evaluate"/>).</exception>
    public static StudyNotebook Open(string preset, string results = "", string data = "", IProgress? progress = null, string device = "auto")
    {
        var p = CheckPreset(preset);
        var runtime = TorchRuntime.Initialize(device);
        progress ??= SilentProgress.Instance;
        var studyDir = Path.GetFullPath(string.IsNullOrWhiteSpace(results) ? Path.Combine("..", "results", p.Name) : results);
        var dataRoot = Path.GetFullPath(string.IsNullOrWhiteSpace(data) ? Path.Combine("..", "data", "generated") : data);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (File.Exists(Path.Combine(studyDir, StudyStamp.FileName)))
        {
            var stamp = StudyStamp.Read(studyDir);
            if (!string.Equals(stamp.Preset, p.Name, StringComparison.Ordinal))
                throw new ArgumentException($"results: {studyDir} holds a study of preset '{stamp.Preset}', not '{p.Name}'; pass preset={stamp.Preset} or another results folder.");
            var finished = StudyReport.Evaluate(studyDir, dataRoot);
            if (StudyGrid.Units(finished.Preset).All(u => stamp.Units.Contains(u.Key)))
                return new StudyNotebook(finished, runtime, dataRoot, trained: false, stamp.Units.Count, clock.Elapsed, progress);
        }
        var run = StudyRunner.Run(p, new StudyOptions(OutputDir: studyDir, DataRoot: dataRoot), progress);
        return new StudyNotebook(StudyReport.Evaluate(studyDir, dataRoot), runtime, dataRoot, trained: true, run.Experiments.Count, clock.Elapsed, progress);
    }

    /// <summary>The evaluated study: every cell on the reported split.</summary>
    public StudyEvaluation Evaluation { get; }

    /// <summary>The preset as the study ran it (its stamp's backbones, runs, conditions and seed).</summary>
    public StudyPreset Preset => Evaluation.Preset;

    /// <summary>The study folder.</summary>
    public string StudyDir => Evaluation.StudyDir;

    /// <summary>Where the phantom data is (generated when it was missing).</summary>
    public string DataRoot { get; }

    /// <summary>What torch runs on.</summary>
    public TorchRuntimeReport Runtime { get; }

    /// <summary>True when <see cref="Open"/> ran <see cref="StudyRunner.Run"/> (training what was missing); false when it loaded a finished study.</summary>
    public bool Trained { get; }

    /// <summary>Units of the study (baseline and distillation units of every condition, backbone and arm).</summary>
    public int Units { get; }

    /// <summary>Time <see cref="Open"/> took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Two lines: the preset, the device, the study folder, how many units and runs, whether it was trained or loaded; and
    /// where the numbers come from (<see cref="StudyEvaluation.Describe"/>).
    /// </summary>
    public string Summary
    {
        get
        {
            var how = Trained
                ? FormattableString.Invariant($"trained or reused in {Elapsed.TotalSeconds:F1} s (finished runs are reused)")
                : "loaded as finished (nothing trained)";
            return FormattableString.Invariant(
                $"preset {Preset.Name} on {Runtime.DeviceDescription}: {Units} unit(s), {StudyEvaluation.RunCount(Evaluation.Cells)} run(s) per model, in {StudyDir}; {how}\n{Grid}\nnumbers below: {Evaluation.Split} split; {StudyEvaluation.Describe(Preset)}");
        }
    }

    /// <summary>
    /// The grid in one line: conditions × backbones × arms (each arm with the backbones and conditions it runs on where
    /// it is restricted), as the study ran it.
    /// </summary>
    public string Grid
    {
        get
        {
            string Arm(StudyVariant v)
            {
                var only = new[] { v.OnlyBackbones is { } b ? string.Join(", ", b) : null, v.OnlyConditions is { } c ? string.Join(", ", c) : null }.Where(x => x is not null);
                return only.Any() ? $"{v.Name} ({string.Join("; ", only)} only)" : v.Name;
            }
            return $"grid: conditions {string.Join(", ", Preset.Conditions.Select(c => c.Name))} × backbones {string.Join(", ", Preset.Backbones)} × arms {string.Join(", ", Preset.Variants.Select(Arm))}"
                + (Preset.Excluded.Count > 0 ? $", without {string.Join(", ", Preset.Excluded.Select(x => $"{x.Backbone} · {x.Condition}"))}" : "");
        }
    }

    /// <summary>The label of the cells a claim row is about (<see cref="StudyCell.Label"/>: backbone, with its condition where the study has several).</summary>
    public static string LabelOf(ClaimRow row) => row.Condition.Length == 0 ? row.Backbone : $"{row.Backbone} · {row.Condition}";

    /// <summary>The study's paired tests of the paper's claims (<see cref="StudyClaims.Load"/>: <c>tables/claims.csv</c>, or computed and written once).</summary>
    public IReadOnlyList<ClaimRow> Claims => _claims.Value;

    /// <summary>The published numbers (<see cref="PublishedMetricsPath"/>).</summary>
    public PublishedMetrics Published => _published.Value;

    /// <summary>The claim rows of the named claims (<c>accuracy</c>, <c>convergence</c>, <c>decision_regions</c>, <see cref="StudyClaims.ControlClaim"/>, <c>annotation</c>), in the table's order.</summary>
    public IReadOnlyList<ClaimRow> ClaimsOf(params string[] claims) => Claims.Where(r => claims.Contains(r.Claim)).ToList();

    /// <summary>The rows of <see cref="ClaimsOf"/> as the table the notebooks display (<see cref="StudyClaims.Table"/>).</summary>
    public DataFrame ClaimsTable(params string[] claims) => StudyClaims.Table(ClaimsOf(claims));

    /// <summary>One sentence per claim over the rows of <see cref="ClaimsOf"/> (<see cref="StudyClaims.Summary"/>); says so when there are none.</summary>
    public string ClaimsSummary(params string[] claims) => ClaimsOf(claims) is { Count: > 0 } rows
        ? StudyClaims.Summary(rows, Preset)
        : $"preset {Preset.Name} has no row of {string.Join(" or ", claims)}: it trains no arm that tests it.\n";

    /// <summary>
    /// The rows that answer "is the HKD student more accurate than its baseline": test accuracy, student − baseline, one per
    /// backbone and condition (the primary family and the secondary backbones).
    /// </summary>
    public IReadOnlyList<ClaimRow> AccuracyRows() =>
        Claims.Where(r => r.Claim == StudyClaims.PrimaryClaim && r.Metric.StartsWith(StudyClaims.Metrics[0].Name + ":", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// One claim row in words, for the sentences that close the chapters: where (backbone · condition), what is compared,
    /// the estimate with its 95 % interval (or why there is none), the pairs and images behind it, and the verdict, or, for a
    /// preset without power, that it has none.
    /// </summary>
    public string Verdict(ClaimRow row)
    {
        var d = row.Difference;
        var where = LabelOf(row);
        var interval = double.IsNaN(d.Lower) || double.IsNaN(d.Upper)
            ? "no interval"
            : FormattableString.Invariant($"{d.Level * 100:0} % CI {Signed(d.Lower)} to {Signed(d.Upper)}");
        var basis = d.Images > 0 ? FormattableString.Invariant($"{d.Pairs} pair(s) × {d.Images} image(s)") : FormattableString.Invariant($"{d.Pairs} pair(s)");
        var holm = row.Primary && !double.IsNaN(row.PAdjusted) ? FormattableString.Invariant($", p (Holm) {row.PAdjusted:0.000}, primary") : "";
        var verdict = Preset.HasNoPower ? $"no verdict (preset {Preset.Name} has no statistical power)" : row.Verdict;
        return string.Create(CultureInfo.InvariantCulture, $"{where}: {row.Metric} {Signed(d.Estimate)} ({interval}; {basis}{holm}), {verdict}");
    }

    /// <summary>A difference with its sign (<c>+0.012</c>, <c>−0.030</c>), three decimals, invariant culture; NaN as "not estimable".</summary>
    public static string Signed(double value) =>
        double.IsNaN(value) ? "not estimable" : value.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture);

    /// <summary>The backbone labels of the study (backbone, with its condition where the study has several), in grid order.</summary>
    public IReadOnlyList<string> Labels => Evaluation.Cells.Select(c => c.Label).Distinct().ToList();

    /// <summary>The main arm's baseline and HKD student of <paramref name="label"/>, in that order (what the loss, F1 and confusion figures compare).</summary>
    /// <exception cref="ArgumentException">A label of no main-arm baseline and student.</exception>
    public IReadOnlyList<StudyCell> Compared(string label)
    {
        var (baseline, student) = (MainCell(label, Role.Baseline), MainCell(label, Role.Student));
        return baseline is not null && student is not null ? [baseline, student] : throw new ArgumentException(
            $"label: expected one of {string.Join(", ", Labels)} with a main-arm baseline and HKD student, found '{label}'.", nameof(label));
    }

    /// <summary>The loss curves of the main arm's baseline and HKD student of <paramref name="label"/> (<see cref="StudyCell.LossFigure"/>).</summary>
    public IReadOnlyList<Plotly.NET.GenericChart> LossFigures(string label) => Compared(label).Select(c => c.LossFigure()).ToList();

    /// <summary>Per-class F1 of the main arm's baseline and HKD student of <paramref name="label"/>, as <see cref="StudyReport.Write"/> draws it.</summary>
    public Plotly.NET.GenericChart ClassF1Figure(string label) =>
        StudyFigures.ClassF1(Compared(label).Select(c => (c.Model, c.Kind, c.Group.Classes, (IReadOnlyList<IReadOnlyDictionary<string, double>>)c.Group.PerRun.Select(r => r.Values).ToList())).ToList(),
            $"{label}: F1 per class ({Evaluation.Split} split)");

    /// <summary>The budget curve <see cref="StudyReport.Write"/> draws (<see cref="StudyReport.BudgetFigure"/>), or null where the preset trains one annotation fraction only.</summary>
    public Plotly.NET.GenericChart? BudgetFigure() => StudyReport.BudgetFigure(Evaluation);

    /// <summary>
    /// The models of claim 4, per backbone label: the baseline (no annotation), every HKD student with the share of training
    /// images whose ROI its teacher saw, and the student of a teacher of raw images (noroi); test accuracy mean ± std over runs.
    /// </summary>
    public DataFrame AnnotationTable()
    {
        var cells = Evaluation.Cells.Where(c => c.Role == Role.Baseline || c.Role == Role.Student)
            .OrderBy(c => Labels.ToList().IndexOf(c.Label)).ThenBy(c => c.Role == Role.Baseline ? 0 : c.Unit.Variant.TeacherOnRaw ? 2 : 1)
            .ThenBy(c => c.Unit.Variant.RoiFraction).ToList();
        string Teacher(StudyCell c) => c.Role == Role.Baseline ? "none" : c.Unit.Variant.TeacherOnRaw ? "raw images" : "ROIs";
        return new DataFrame(
            new StringDataFrameColumn("backbone", cells.Select(c => c.Label)),
            new StringDataFrameColumn("model", cells.Select(c => c.Model)),
            new StringDataFrameColumn("teacher taught on", cells.Select(Teacher)),
            new DoubleDataFrameColumn("share of training images with a ROI", cells.Select(c => c.Role == Role.Baseline || c.Unit.Variant.TeacherOnRaw ? 0.0 : c.Unit.Variant.RoiFraction)),
            new DoubleDataFrameColumn("accuracy mean", cells.Select(c => c.Group["accuracy"].Mean)),
            new DoubleDataFrameColumn("accuracy std", cells.Select(c => c.Group["accuracy"].Std)),
            new Int32DataFrameColumn("runs", cells.Select(c => c.RunFolders.Count)));
    }

    /// <summary>The annotation fractions the study's HKD students were taught with (1 = every ROI), ascending.</summary>
    public IReadOnlyList<double> RoiFractions =>
        Evaluation.Cells.Where(c => c.Role == Role.Student && !c.Unit.Variant.TeacherOnRaw).Select(c => c.Unit.Variant.RoiFraction).Distinct().Order().ToList();

    /// <summary>Whether the study trains the noroi control (a student of a teacher of raw images).</summary>
    public bool HasNoRoiControl => Evaluation.Cells.Any(c => c.Role == Role.Student && c.Unit.Variant.TeacherOnRaw);

    /// <summary>
    /// Accuracy of ours beside the published, one row per model the engine matches (<see cref="StudyReport.Comparison"/>,
    /// cell by cell, so each row names our backbone, condition and model beside the published experiment it is matched with).
    /// </summary>
    public DataFrame ComparisonAccuracy()
    {
        var rows = new List<(StudyCell Cell, string Experiment, double OursMean, double OursStd, int Runs, double PubMean, double PubStd)>();
        foreach (var c in Evaluation.Cells)
        {
            var t = StudyReport.Comparison(Evaluation with { Cells = [c] }, Published);
            for (long r = 0; r < t.Rows.Count; r++)
                if ((string)t["metric"][r] == "accuracy")
                    rows.Add((c, (string)t["experiment"][r], (double)t["ours mean"][r], (double)t["ours std"][r], (int)t["ours runs"][r], (double)t["published mean"][r], (double)t["published std"][r]));
        }
        return new DataFrame(
            new StringDataFrameColumn("condition", rows.Select(x => x.Cell.Unit.ConditionName.Length == 0 ? "–" : x.Cell.Unit.ConditionName)),
            new StringDataFrameColumn("backbone", rows.Select(x => x.Cell.Backbone)),
            new StringDataFrameColumn("model", rows.Select(x => x.Cell.Model)),
            new DoubleDataFrameColumn("ours mean", rows.Select(x => x.OursMean)),
            new DoubleDataFrameColumn("ours std", rows.Select(x => x.OursStd)),
            new Int32DataFrameColumn("ours runs", rows.Select(x => x.Runs)),
            new StringDataFrameColumn("published experiment", rows.Select(x => x.Experiment)),
            new DoubleDataFrameColumn("published mean", rows.Select(x => x.PubMean)),
            new DoubleDataFrameColumn("published std", rows.Select(x => x.PubStd)),
            new DoubleDataFrameColumn("ours − published", rows.Select(x => x.OursMean - x.PubMean)));
    }

    /// <summary>
    /// The published main arm: per published backbone, baseline and HKD student accuracy (mean ± std over the authors' runs)
    /// and the difference of the means, with the split they were measured on.
    /// </summary>
    public DataFrame PublishedMainArm()
    {
        var main = Published.Results.Where(r => r.Table == StudyVariant.Main.Name).ToList();
        var backbones = main.Select(r => r.Backbone).Distinct().ToList();
        PublishedResult? Of(string backbone, Role role) => main.FirstOrDefault(r => r.Backbone == backbone && r.Role == role);
        var pairs = backbones.Select(b => (Backbone: b, Baseline: Of(b, Role.Baseline), Student: Of(b, Role.Student))).Where(x => x.Baseline is not null && x.Student is not null).ToList();
        return new DataFrame(
            new StringDataFrameColumn("published backbone", pairs.Select(x => x.Backbone)),
            new DoubleDataFrameColumn("baseline mean", pairs.Select(x => x.Baseline!.Metrics["accuracy"].Mean)),
            new DoubleDataFrameColumn("baseline std", pairs.Select(x => x.Baseline!.Metrics["accuracy"].Std)),
            new DoubleDataFrameColumn("HKD student mean", pairs.Select(x => x.Student!.Metrics["accuracy"].Mean)),
            new DoubleDataFrameColumn("HKD student std", pairs.Select(x => x.Student!.Metrics["accuracy"].Std)),
            new DoubleDataFrameColumn("HKD − baseline", pairs.Select(x => x.Student!.Metrics["accuracy"].Mean - x.Baseline!.Metrics["accuracy"].Mean)),
            new StringDataFrameColumn("split", pairs.Select(x => x.Student!.Split)));
    }

    /// <summary>
    /// The published annotation budget: for each published backbone with ROI-fraction arms, the baseline (no annotation),
    /// the HKD students whose teacher saw a share of the ROIs, the one that saw all of them, and the student of a teacher of
    /// raw images (noroi); accuracy mean ± std over the authors' runs.
    /// </summary>
    public DataFrame PublishedBudget()
    {
        var results = Published.Results;
        var rows = new List<(string Backbone, string Experiment, string Teacher, double Share, Spread Accuracy)>();
        foreach (var backbone in results.Where(r => r.Table == "roi").Select(r => r.Backbone).Distinct())
        {
            PublishedResult? Find(string table, Role role, Func<string, bool>? experiment = null) =>
                results.FirstOrDefault(r => r.Table == table && r.Backbone == backbone && r.Role == role && (experiment?.Invoke(r.Experiment) ?? true));
            if (Find(StudyVariant.Main.Name, Role.Baseline) is { } b) rows.Add((backbone, b.Experiment, "none", 0, b.Metrics["accuracy"]));
            foreach (var s in results.Where(r => r.Table == "roi" && r.Backbone == backbone && r.Role == Role.Student))
                if (RoiShareOf(s.Experiment) is { } share) rows.Add((backbone, s.Experiment, "ROIs", share, s.Metrics["accuracy"]));
            if (Find(StudyVariant.Main.Name, Role.Student) is { } full) rows.Add((backbone, full.Experiment, "ROIs", 1, full.Metrics["accuracy"]));
            if (Find(StudyVariant.NoRoi.Name, Role.Student) is { } noroi) rows.Add((backbone, noroi.Experiment, "raw images", 0, noroi.Metrics["accuracy"]));
        }
        return new DataFrame(
            new StringDataFrameColumn("published backbone", rows.Select(x => x.Backbone)),
            new StringDataFrameColumn("experiment", rows.Select(x => x.Experiment)),
            new StringDataFrameColumn("teacher taught on", rows.Select(x => x.Teacher)),
            new DoubleDataFrameColumn("share of training images with a ROI", rows.Select(x => x.Share)),
            new DoubleDataFrameColumn("accuracy mean", rows.Select(x => x.Accuracy.Mean)),
            new DoubleDataFrameColumn("accuracy std", rows.Select(x => x.Accuracy.Std)),
            new StringDataFrameColumn("split", rows.Select(x => results.First(r => r.Experiment == x.Experiment).Split)));
    }

    // "ConvNeXt_small_KD_30roi" -> 0.3
    static double? RoiShareOf(string experiment)
    {
        var suffix = experiment[(experiment.LastIndexOf('_') + 1)..];
        return suffix.EndsWith("roi", StringComparison.Ordinal) && int.TryParse(suffix[..^3], NumberStyles.None, CultureInfo.InvariantCulture, out var percent)
            ? percent / 100.0 : null;
    }

    /// <summary>
    /// The published HKD − baseline accuracy difference that our main arm of <paramref name="label"/> is compared with: the
    /// experiments <see cref="StudyReport.Comparison"/> matches our baseline and student with, and the difference of their
    /// published means; null where it matches none.
    /// </summary>
    public (string Baseline, string Student, double Difference, string Split)? PublishedGain(string label)
    {
        var compared = Compared(label);
        (string Experiment, double Mean)? Match(StudyCell c)
        {
            var t = StudyReport.Comparison(Evaluation with { Cells = [c] }, Published);
            for (long r = 0; r < t.Rows.Count; r++)
                if ((string)t["metric"][r] == "accuracy") return ((string)t["experiment"][r], (double)t["published mean"][r]);
            return null;
        }
        if (Match(compared[0]) is not { } b || Match(compared[1]) is not { } s) return null;
        var split = Published.Results.First(r => r.Experiment == s.Experiment).Split;
        return (b.Experiment, s.Experiment, s.Mean - b.Mean, split);
    }

    /// <summary>
    /// Every pair's Grad-CAM scores as the claims use them: <c>tables/decision_regions.csv</c> where the study has it (what
    /// <c>reproduce</c> wrote), else each run's scores (<see cref="StudyDecisionRegions.Score"/>: cached in its run folder, or
    /// computed from its checkpoint).
    /// </summary>
    public IReadOnlyList<DecisionRegionRow> DecisionRegionRows()
    {
        var table = Path.Combine(StudyDir, "tables", StudyDecisionRegions.FileName);
        return File.Exists(table) || File.Exists(table + ".gz")
            ? StudyDecisionRegions.ReadRows(table)
            : StudyDecisionRegions.Score(Evaluation, _progress);
    }

    /// <summary>
    /// The mean Grad-CAM scores of <see cref="DecisionRegionRows"/> per condition, backbone and model, over every pair and
    /// scored image (predicted class; an all-zero map scores 0 and is counted): images scored per pair, pairs, mean energy
    /// inside the expert mask and pointing game (images with a mask), energy on the planted confounder (images that carry
    /// one), and the share of all-zero maps. A description of the models; the paired comparisons are <see cref="ClaimsOf"/>.
    /// </summary>
    public DataFrame DecisionRegionTable()
    {
        var groups = DecisionRegionRows().GroupBy(r => (r.Condition, r.Backbone, r.Model)).ToList();
        static double Mean(IEnumerable<double> values) => values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();
        return new DataFrame(
            new StringDataFrameColumn("condition", groups.Select(g => g.Key.Condition.Length == 0 ? "–" : g.Key.Condition)),
            new StringDataFrameColumn("backbone", groups.Select(g => g.Key.Backbone)),
            new StringDataFrameColumn("model", groups.Select(g => g.Key.Model)),
            new Int32DataFrameColumn("pairs", groups.Select(g => g.Select(r => r.Run).Distinct().Count())),
            new Int32DataFrameColumn("images per pair", groups.Select(g => g.GroupBy(r => r.Run).Max(r => r.Count()))),
            new DoubleDataFrameColumn("energy inside the mask", groups.Select(g => Mean(g.Select(r => r.EnergyInMask)))),
            new DoubleDataFrameColumn("pointing game", groups.Select(g => Mean(g.Select(r => r.PointingGame)))),
            new DoubleDataFrameColumn("energy on the confounder", groups.Select(g => Mean(g.Select(r => r.EnergyOnConfounder)))),
            new DoubleDataFrameColumn("share of all-zero maps", groups.Select(g => g.Average(r => r.CamAllZero ? 1.0 : 0.0))));
    }

    /// <summary>
    /// The decision-region figures of every backbone × condition (<see cref="StudyDecisionRegionFigures.Build"/>): Grad-CAM
    /// pictures of the lowest pair that keeps its three checkpoints, rows chosen by the stated rule, and the paired scores beside
    /// them; for a label without checkpoints (a committed study keeps none) the figure carries only its note, and
    /// <see cref="SavedDecisionRegionPng"/> gives the picture the study's own run saved.
    /// </summary>
    public IReadOnlyList<StudyDecisionRegionFigures.Figure> DecisionRegionFigures() => StudyDecisionRegionFigures.Build(Evaluation);

    /// <summary>The PNG of <paramref name="label"/>'s decision-region pictures saved under <c>figures/</c>, or null where there is none.</summary>
    public byte[]? SavedDecisionRegionPng(string label)
    {
        var path = Path.Combine(StudyDir, "figures", StudyDecisionRegionFigures.PictureStem + StudyReport.FileStem(label) + ".png");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>
    /// Whether pair <paramref name="run"/> of <paramref name="label"/>'s main arm still has the checkpoints (<c>best.pt</c>) of its
    /// baseline, teacher and student, which the decision-region pictures load (a committed study keeps none).
    /// </summary>
    public bool HasCheckpoints(string label, int run = 0) =>
        Compared(label).Append(MainCell(label, Role.Teacher)).All(c => c is not null && run < c.RunFolders.Count && File.Exists(new RunFolder(c.RunFolders[run]).BestModel));

    /// <summary>
    /// Every preset's sizes, from the engine (<see cref="StudyPreset"/>): data (images, generated side, split fractions),
    /// network input, conditions, backbones, arms, runs, epochs and the split the numbers are reported on.
    /// </summary>
    public static DataFrame PresetTable()
    {
        var presets = StudyPreset.Names.Select(StudyPreset.Get).ToList();
        string Splits(StudyPreset p)
        {
            var s = StudyRunner.PhantomFor(p, p.Conditions[0]).Splits;
            return string.Create(CultureInfo.InvariantCulture, $"{s.Train:0.##} / {s.Valid:0.##} / {s.Test:0.##}");
        }
        string Runs(StudyPreset p) => p.PrimaryRuns is { } n && n != p.Runs
            ? string.Create(CultureInfo.InvariantCulture, $"{n} (primary arms), {p.Runs} (others)")
            : p.Runs.ToString(CultureInfo.InvariantCulture);
        return new DataFrame(
            new StringDataFrameColumn("preset", presets.Select(p => p.Name)),
            new Int32DataFrameColumn("phantom images", presets.Select(p => p.Data.Images)),
            new Int32DataFrameColumn("generated side (px)", presets.Select(p => p.Data.ImageSize)),
            new Int32DataFrameColumn("network input (px)", presets.Select(p => p.Resolution)),
            new StringDataFrameColumn("train / valid / test", presets.Select(Splits)),
            new StringDataFrameColumn("conditions", presets.Select(p => string.Join(", ", p.Conditions.Select(c => c.Name)))),
            new StringDataFrameColumn("backbones", presets.Select(p => string.Join(", ", p.Backbones))),
            new StringDataFrameColumn("arms", presets.Select(p => string.Join(", ", p.Variants.Select(v => v.Name)))),
            new StringDataFrameColumn("runs per model", presets.Select(Runs)),
            new Int32DataFrameColumn("epochs", presets.Select(p => p.Epochs)),
            new StringDataFrameColumn("reported split", presets.Select(StudyRunner.ReportedSplit)));
    }

    /// <summary>
    /// The zoo table (<see cref="Models.BackboneZoo.Describe"/>'s rows) as a table a notebook displays: backbone, parameters,
    /// feature-map shape at <paramref name="size"/> px, forward GFLOPs per image, and whether ImageNet weights are on this machine.
    /// </summary>
    public static DataFrame ZooTable(IReadOnlyList<Models.ZooEntry> zoo, int size) => new(
        new StringDataFrameColumn("backbone", zoo.Select(z => z.Architecture)),
        new Int64DataFrameColumn("parameters", zoo.Select(z => z.Complexity.Parameters)),
        new StringDataFrameColumn($"feature map at {size} px", zoo.Select(z => string.Join("×", z.Complexity.FeatureShape))),
        new DoubleDataFrameColumn("forward GFLOPs", zoo.Select(z => z.Complexity.ForwardGFlops)),
        new StringDataFrameColumn("ImageNet weights here", zoo.Select(z => z.PretrainedSource is null ? "no" : "yes")));

    StudyCell? MainCell(string label, Role role) => Evaluation.Cells.FirstOrDefault(c => c.Label == label && c.IsMain(role));
}
