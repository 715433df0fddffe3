using System.Globalization;
using System.Text;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using PneuKnow.Runtime;

namespace PneuKnow.Study;

/// <summary>
/// One test of one of the paper's claims: a paired difference oriented so that a positive value is what the paper
/// predicts, its 95 % interval and the verdict that interval gives.
/// </summary>
/// <param name="Claim">accuracy, convergence, decision_regions or annotation.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Condition">Data condition (clean, shortcut; empty for a single-condition preset).</param>
/// <param name="Metric">What is compared, with its direction, e.g. <c>accuracy: HKD student − baseline</c>.</param>
/// <param name="Split">The split the numbers come from (test, or valid for the learning curves).</param>
/// <param name="Difference">Estimate and interval.</param>
public sealed record ClaimRow(string Claim, string Backbone, string Condition, string Metric, string Split, PairedDifference Difference)
{
    /// <summary>
    /// Where set, what the row says instead of its interval's verdict: <see cref="StudyClaims.FailedControl"/> for an
    /// attribution measure that failed its positive control in the same backbone and condition.
    /// </summary>
    public string? Gate { get; init; }

    /// <summary>supported, contradicted or inconclusive; or <see cref="Gate"/> where set.</summary>
    public string Verdict => Gate ?? Difference.Verdict.ToString().ToLowerInvariant();
}

/// <summary>
/// The paper's four claims, each tested on the study with paired runs (docs/study-design.md states the design before
/// any result): (1) accuracy — the HKD student beats the baseline; (2) convergence — it learns faster (validation
/// accuracy and loss averaged over epochs); (3) decision regions — its Grad-CAM puts more mass inside the expert's
/// mask, hits it more often with its maximum, and (shortcut condition) less on the planted confounder; (4) the gain
/// comes from the annotation — the student taught from ROIs beats the one taught by a teacher of raw images (noroi),
/// and the one whose teacher saw 30 % of the ROIs. Intervals: <see cref="PairedBootstrap"/> over pairs and test images.
/// </summary>
public static class StudyClaims
{
    /// <summary>The claims table's file stem under <c>tables/</c>.</summary>
    public const string FileStem = "claims";

    /// <summary>Every claim row the study can test, in claim, condition, backbone order.</summary>
    /// <param name="e">The evaluated study.</param>
    /// <param name="regions">Grad-CAM scores of every pair (<see cref="StudyDecisionRegions.Score"/>).</param>
    /// <param name="resamples">Bootstrap resamples per row.</param>
    /// <param name="reliance">Predictions and device flags for the behavioural shortcut-reliance row (<see cref="StudyShortcutReliance.Load"/>); null: none.</param>
    /// <param name="occlusion">The occlusion check of baseline and student (<see cref="StudyDecisionRegions.Score"/>); null: no occlusion row.</param>
    public static IReadOnlyList<ClaimRow> Evaluate(StudyEvaluation e, IReadOnlyList<DecisionRegionRow> regions, int resamples = PairedBootstrap.DefaultResamples,
        IReadOnlyList<ShortcutRelianceModel>? reliance = null, IReadOnlyList<OcclusionRow>? occlusion = null)
    {
        var rows = new List<ClaimRow>();
        var groups = e.Cells.GroupBy(c => (c.Unit.ConditionName, c.Backbone)).ToList();
        int seed = 0;
        foreach (var g in groups)
        {
            var baseline = Find(g, StudyVariant.Main.Name, "baseline");
            var student = Find(g, StudyVariant.Main.Name, "student");
            if (baseline is null || student is null) continue;
            var (labels, classes, b, s) = Aligned(baseline, student, e.Split);
            foreach (var (name, metric) in Metrics)
                rows.Add(new ClaimRow("accuracy", g.Key.Backbone, g.Key.ConditionName, $"{name}: HKD student − baseline", e.Split,
                    PairedBootstrap.OfPredictions(labels, s, b, classes, metric, resamples, seed++)));
        }
        foreach (var g in groups)
        {
            var baseline = Find(g, StudyVariant.Main.Name, "baseline");
            var student = Find(g, StudyVariant.Main.Name, "student");
            if (baseline is null || student is null) continue;
            int pairs = Math.Min(baseline.RunFolders.Count, student.RunFolders.Count);
            double[] Curve(StudyCell c, string quantity) => c.RunFolders.Take(pairs).Select(f => Mean(f, quantity)).ToArray();
            rows.Add(new ClaimRow("convergence", g.Key.Backbone, g.Key.ConditionName, "validation accuracy averaged over epochs: HKD student − baseline", "valid",
                PairedBootstrap.OfRuns(Curve(student, "val_acc"), Curve(baseline, "val_acc"), resamples, seed++)));
            rows.Add(new ClaimRow("convergence", g.Key.Backbone, g.Key.ConditionName, "validation loss averaged over epochs: baseline − HKD student", "valid",
                PairedBootstrap.OfRuns(Curve(baseline, "val_loss"), Curve(student, "val_loss"), resamples, seed++)));
        }
        foreach (var g in regions.GroupBy(r => (r.Condition, r.Backbone)))
        {
            var (s, b) = (ByRun(g, StudyEvaluation.HkdStudent), ByRun(g, StudyEvaluation.Baseline));
            if (s.Count == 0 || b.Count == 0) continue;
            int pairs = Math.Min(s.Count, b.Count);
            (s, b) = (s.Take(pairs).ToList(), b.Take(pairs).ToList());
            bool shortcut = g.Key.Condition == StudyCondition.Shortcut.Name;
            // The behavioural measure first: it needs no explanation method, so no control gates it.
            if (shortcut && RelianceRow(reliance, g.Key.Condition, g.Key.Backbone, e.Split, resamples, seed++) is { } behaviour) rows.Add(behaviour);
            // Positive controls: what any measure of "where the evidence lies" must show; where one fails, the
            // attribution rows of this backbone and condition measure nothing and say so instead of a verdict.
            var controls = new List<ClaimRow>();
            // A score undefined on every image (no scored image has a mask) has no interval: no row rather than an error.
            bool masks = b.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyInMask));
            var t = ByRun(g, "ROI teacher").Take(pairs).ToList();
            if (t.Count == pairs && masks)
                controls.Add(new ClaimRow(ControlClaim, g.Key.Backbone, g.Key.Condition, "control: Grad-CAM energy inside the expert mask, ROI oracle (teacher on its ROI input) − baseline; must be > 0", e.Split,
                    PairedBootstrap.OfScores(Scores(t, x => x.EnergyInMask), Scores(b, x => x.EnergyInMask), resamples, seed++)));
            var clean = ByRun(regions.Where(r => r.Condition == StudyCondition.Clean.Name && r.Backbone == g.Key.Backbone), StudyEvaluation.Baseline);
            if (shortcut && clean.Count > 0 && b.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyOnConfounder)))
                controls.Add(DeviceControl(b, clean, g.Key.Backbone, g.Key.Condition, e.Split, resamples, seed++));
            bool failed = controls.Any(c => c.Difference.Verdict != ClaimVerdict.Supported);
            var gate = failed ? FailedControl : null;
            if (masks)
            {
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "Grad-CAM (predicted class) energy inside the expert mask: HKD student − baseline", e.Split,
                    PairedBootstrap.OfScores(Scores(s, x => x.EnergyInMask), Scores(b, x => x.EnergyInMask), resamples, seed++)) { Gate = gate });
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "pointing game (predicted-class CAM maximum inside the mask): HKD student − baseline", e.Split,
                    PairedBootstrap.OfScores(Scores(s, x => x.PointingGame), Scores(b, x => x.PointingGame), resamples, seed++)) { Gate = gate });
            }
            if (s.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyOnConfounder)) && shortcut)
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "Grad-CAM (predicted class) energy on the planted confounder: baseline − HKD student", e.Split,
                    PairedBootstrap.OfScores(Scores(b, x => x.EnergyOnConfounder), Scores(s, x => x.EnergyOnConfounder), resamples, seed++)) { Gate = gate });
            // Occlusion changes the input and reads the output, so it needs no explanation method and no control gates it.
            var (os, ob) = (OcclusionByRun(occlusion, g.Key, StudyEvaluation.HkdStudent), OcclusionByRun(occlusion, g.Key, StudyEvaluation.Baseline));
            if (os.Count > 0 && ob.Count > 0 && Math.Min(os.Count, ob.Count) is var op)
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition,
                    "occlusion: drop in true-class probability hiding the expert region − hiding its mirror image: HKD student − baseline", e.Split,
                    PairedBootstrap.OfScores(os.Take(op).ToList(), ob.Take(op).ToList(), resamples, seed++)));
            rows.AddRange(controls);
        }
        foreach (var g in groups)
        {
            var student = Find(g, StudyVariant.Main.Name, "student");
            if (student is null) continue;
            foreach (var control in g.Where(c => c.Role == "student" && c.Unit.Variant.Name != StudyVariant.Main.Name))
            {
                var what = control.Unit.Variant.TeacherOnRaw
                    ? "HKD student − student of a teacher trained on raw images (noroi)"
                    : FormattableString.Invariant($"HKD student (100 % of ROIs) − HKD student ({control.Unit.Variant.RoiFraction:P0} of ROIs)");
                var (labels, classes, c, s) = Aligned(control, student, e.Split);
                foreach (var (name, metric) in Metrics.Take(2))
                    rows.Add(new ClaimRow("annotation", g.Key.Backbone, g.Key.ConditionName, $"{name}: {what}", e.Split,
                        PairedBootstrap.OfPredictions(labels, s, c, classes, metric, resamples, seed++)));
            }
        }
        return rows;
    }

    /// <summary>The classification metrics compared: accuracy (the paper's), balanced accuracy and macro-F1 (which see past the majority class).</summary>
    public static IReadOnlyList<(string Name, Func<ClassificationReport, double> Metric)> Metrics { get; } =
    [
        ("accuracy", r => r.Accuracy),
        ("balanced accuracy", PairedBootstrap.BalancedAccuracy),
        ("macro-F1", r => r.Macro.F1),
    ];

    static StudyCell? Find(IEnumerable<StudyCell> cells, string variant, string role) =>
        cells.FirstOrDefault(c => c.Unit.Variant.Name == variant && c.Role == role);

    // Both models' predicted codes per pair, aligned on the same images (by file name, in the first run's order).
    static (int[] Labels, IReadOnlyList<string> Classes, List<int[]> B, List<int[]> A) Aligned(StudyCell b, StudyCell a, string split)
    {
        int pairs = Math.Min(a.RunFolders.Count, b.RunFolders.Count);
        var pa = a.RunFolders.Take(pairs).Select(f => RunFolders.ReadPredictions(f, split)).ToList();
        var pb = b.RunFolders.Take(pairs).Select(f => RunFolders.ReadPredictions(f, split)).ToList();
        var order = pb[0].Rows.Select(r => r.FileName).ToArray();
        var labels = pb[0].Rows.Select(r => r.Label).ToArray();
        int[] Codes(Predictions p, string folder)
        {
            var byName = p.Rows.ToDictionary(r => r.FileName, r => r.Predicted, StringComparer.Ordinal);
            return order.Select(f => byName.TryGetValue(f, out var code) ? code
                : throw new InvalidDataException($"{folder}: predictions on the {split} split lack image {f}, which the paired run predicted; pairs must be tested on the same images.")).ToArray();
        }
        return (labels, pb[0].Classes, pb.Select((p, k) => Codes(p, b.RunFolders[k])).ToList(), pa.Select((p, k) => Codes(p, a.RunFolders[k])).ToList());
    }

    /// <summary>The verdict column of an attribution row whose measure failed a positive control in its backbone and condition.</summary>
    public const string FailedControl = "measure failed its control";

    /// <summary>The claim name of the positive-control rows.</summary>
    public const string ControlClaim = "decision_regions_control";

    static List<double[]> OcclusionByRun(IReadOnlyList<OcclusionRow>? rows, (string Condition, string Backbone) key, string model) =>
        (rows ?? []).Where(r => r.Condition == key.Condition && r.Backbone == key.Backbone && r.Model == model).GroupBy(r => r.Run).OrderBy(r => r.Key)
            .Select(r => r.OrderBy(x => x.FileName, StringComparer.Ordinal).Select(x => x.Faithfulness).ToArray()).ToList();

    static List<double[]> Scores(List<DecisionRegionRow[]> runs, Func<DecisionRegionRow, double> score) => runs.Select(r => r.Select(score).ToArray()).ToList();

    // Baseline − HKD student shortcut reliance on all test images of one backbone and condition, or null without device flags.
    static ClaimRow? RelianceRow(IReadOnlyList<ShortcutRelianceModel>? reliance, string condition, string backbone, string split, int resamples, int seed)
    {
        var b = reliance?.FirstOrDefault(m => m.Condition == condition && m.Backbone == backbone && m.Model == StudyEvaluation.Baseline);
        var s = reliance?.FirstOrDefault(m => m.Condition == condition && m.Backbone == backbone && m.Model == StudyEvaluation.HkdStudent);
        if (b is null || s is null || !b.Files.SequenceEqual(s.Files, StringComparer.Ordinal)) return null;
        // Reliance needs images with and without a device.
        if (b.HasDevice.All(d => d) || !b.HasDevice.Any(d => d)) return null;
        int pairs = Math.Min(b.PredictedConfounded.Count, s.PredictedConfounded.Count);
        return new ClaimRow("decision_regions", backbone, condition,
            "shortcut reliance (share predicted COVID-19 or fungal among images with a device − among those without), all test images: baseline − HKD student", split,
            ShortcutReliance.Paired(b.HasDevice, b.PredictedConfounded.Take(pairs).ToList(), s.PredictedConfounded.Take(pairs).ToList(), resamples, seed));
    }

    // The shortcut baseline must put more Grad-CAM energy on the device than the clean baseline (same backbone, pair k of each
    // condition). The phantoms of both conditions share their test images (same seed; only the train/valid device draw
    // depends on the shortcut), so images are paired when their names and device flags match; otherwise the per-run means
    // over each condition's device-carrying images are compared, pairs only, and the metric says so.
    static ClaimRow DeviceControl(List<DecisionRegionRow[]> shortcut, List<DecisionRegionRow[]> clean, string backbone, string condition, string split, int resamples, int seed)
    {
        int pairs = Math.Min(shortcut.Count, clean.Count);
        var (a, b) = (shortcut.Take(pairs).ToList(), clean.Take(pairs).ToList());
        bool sameImages = a.Zip(b).All(p => p.First.Select(x => (x.FileName, double.IsNaN(x.EnergyOnConfounder)))
            .SequenceEqual(p.Second.Select(x => (x.FileName, double.IsNaN(x.EnergyOnConfounder)))));
        const string what = "control: Grad-CAM energy on the planted confounder, shortcut baseline − clean baseline; must be > 0";
        if (sameImages)
            return new ClaimRow(ControlClaim, backbone, condition, what, split,
                PairedBootstrap.OfScores(Scores(a, x => x.EnergyOnConfounder), Scores(b, x => x.EnergyOnConfounder), resamples, seed));
        static double Mean(DecisionRegionRow[] run) => run.Select(x => x.EnergyOnConfounder).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();
        return new ClaimRow(ControlClaim, backbone, condition, what + " (test images differ between conditions: per-run means, pairs resampled only)", split,
            PairedBootstrap.OfRuns(a.Select(Mean).ToList(), b.Select(Mean).ToList(), resamples, seed));
    }

    static List<DecisionRegionRow[]> ByRun(IEnumerable<DecisionRegionRow> rows, string model) =>
        rows.Where(r => r.Model == model).GroupBy(r => r.Run).OrderBy(r => r.Key).Select(r => r.OrderBy(x => x.FileName, StringComparer.Ordinal).ToArray()).ToList();

    static double Mean(string runFolder, string quantity)
    {
        var log = TrainingLog.Read(Path.Combine(runFolder, "log.csv"));
        return log.Series(quantity).Single().Values.Average();
    }

    /// <summary>Writes <c>claims.csv</c> (the columns below) and <c>claims.md</c> into <paramref name="tablesDir"/>; returns the paths.</summary>
    /// <remarks>CSV columns: claim, backbone, condition, metric, split, estimate, ci_low, ci_high, n_runs, n_images, verdict.</remarks>
    public static IReadOnlyList<string> Write(IReadOnlyList<ClaimRow> rows, string tablesDir, StudyPreset preset)
    {
        Directory.CreateDirectory(tablesDir);
        var csv = new StringBuilder("claim,backbone,condition,metric,split,estimate,ci_low,ci_high,n_runs,n_images,verdict\n");
        foreach (var r in rows)
        {
            var d = r.Difference;
            csv.Append(CultureInfo.InvariantCulture,
                $"{r.Claim},{r.Backbone},{r.Condition},{Data.Csv.Quote(r.Metric)},{r.Split},{d.Estimate:0.######},{d.Lower:0.######},{d.Upper:0.######},{d.Pairs},{d.Images},{(preset.HasNoPower ? "no power (smoke)" : r.Verdict)}\n");
        }
        var csvPath = Path.Combine(tablesDir, FileStem + ".csv");
        AtomicFile.WriteAllText(csvPath, csv.ToString());
        var mdPath = Path.Combine(tablesDir, FileStem + ".md");
        AtomicFile.WriteAllText(mdPath, Markdown(rows, preset));
        return [csvPath, mdPath];
    }

    /// <summary>Reads a <c>claims.csv</c> written by <see cref="Write"/> (what the notebooks show).</summary>
    /// <exception cref="Data.DataException">A missing file, column or malformed number; the message names file, line and column.</exception>
    public static IReadOnlyList<ClaimRow> Read(string path)
    {
        var t = Data.Csv.Read(path);
        var c = new[] { "claim", "backbone", "condition", "metric", "split", "estimate", "ci_low", "ci_high", "n_runs", "n_images" }.Select(t.Require).ToArray();
        double D(string[] f, int i, int line) => double.TryParse(f[c[i]], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new Data.DataException(path, line, t.Header[c[i]], $"expected a number, found '{f[c[i]]}'.");
        int verdict = Array.IndexOf(t.Header.ToArray(), "verdict");
        return t.Rows.Select(r => new ClaimRow(r.Fields[c[0]], r.Fields[c[1]], r.Fields[c[2]], r.Fields[c[3]], r.Fields[c[4]],
            new PairedDifference(D(r.Fields, 5, r.Line), D(r.Fields, 6, r.Line), D(r.Fields, 7, r.Line), 0.95,
                (int)D(r.Fields, 8, r.Line), (int)D(r.Fields, 9, r.Line), 0, 0))
            { Gate = verdict >= 0 && r.Fields[verdict] == FailedControl ? FailedControl : null }).ToList();
    }

    /// <summary>Claim rows as a table (what the notebooks display; <c>TableFormat.ToHtml</c> renders it).</summary>
    public static Microsoft.Data.Analysis.DataFrame Table(IEnumerable<ClaimRow> rows)
    {
        var list = rows.ToList();
        return new Microsoft.Data.Analysis.DataFrame(
            new Microsoft.Data.Analysis.StringDataFrameColumn("claim", list.Select(r => r.Claim)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("condition", list.Select(r => r.Condition.Length == 0 ? "–" : r.Condition)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("backbone", list.Select(r => r.Backbone)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("compared (positive = as claimed)", list.Select(r => $"{r.Metric} ({r.Split})")),
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("estimate", list.Select(r => r.Difference.Estimate)),
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("ci_low", list.Select(r => r.Difference.Lower)),
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("ci_high", list.Select(r => r.Difference.Upper)),
            new Microsoft.Data.Analysis.Int32DataFrameColumn("runs", list.Select(r => r.Difference.Pairs)),
            new Microsoft.Data.Analysis.Int32DataFrameColumn("images", list.Select(r => r.Difference.Images)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("verdict", list.Select(r => r.Verdict)));
    }

    /// <summary>
    /// One sentence per claim computed from its rows: how many of them the interval supports, contradicts or leaves open.
    /// </summary>
    public static string Summary(IEnumerable<ClaimRow> rows, StudyPreset preset)
    {
        var sb = new StringBuilder();
        if (preset.HasNoPower) sb.Append("The smoke preset has no power: the verdicts below only show that every stage runs.\n");
        foreach (var g in rows.GroupBy(r => r.Claim))
        {
            int n = g.Count(), s = g.Count(r => r.Verdict == "supported"), c = g.Count(r => r.Verdict == "contradicted"), f = g.Count(r => r.Verdict == FailedControl);
            sb.Append(CultureInfo.InvariantCulture, $"{g.Key}: {n} comparison(s): {s} supported, {c} contradicted, {n - s - c - f} inconclusive");
            if (f > 0) sb.Append(CultureInfo.InvariantCulture, $", {f} without a verdict because the measure failed its positive control");
            var widest = g.Where(r => r.Difference.Images > 0).Select(r => r.Difference.HalfWidth).DefaultIfEmpty(double.NaN).Max();
            if (!double.IsNaN(widest)) sb.Append(CultureInfo.InvariantCulture, $" (widest 95 % interval ±{widest:0.000})");
            sb.Append(".\n");
        }
        return sb.ToString();
    }

    /// <summary>The claims of a study folder: <c>tables/claims.csv</c> when <c>reproduce</c> wrote it, else computed now (and written).</summary>
    public static IReadOnlyList<ClaimRow> Load(StudyEvaluation e, IProgress? progress = null)
    {
        var path = Path.Combine(e.StudyDir, "tables", FileStem + ".csv");
        return File.Exists(path) ? Read(path) : StudyReport.WriteClaims(e, progress);
    }

    /// <summary>The claims as a Markdown table with a note on how to read it.</summary>
    public static string Markdown(IReadOnlyList<ClaimRow> rows, StudyPreset preset)
    {
        var sb = new StringBuilder();
        if (preset.HasNoPower)
            sb.Append("**The smoke preset has no statistical power: its verdicts are not results, only a check that every stage runs.**\n\n");
        sb.Append("| claim | condition | backbone | what is compared (positive = as the paper claims) | estimate | 95 % CI | runs × images | verdict |\n");
        sb.Append("|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            var d = r.Difference;
            sb.Append(CultureInfo.InvariantCulture,
                $"| {r.Claim} | {(r.Condition.Length == 0 ? "–" : r.Condition)} | {r.Backbone} | {r.Metric} ({r.Split}) | {d.Estimate:+0.000;−0.000;0.000} | [{d.Lower:+0.000;−0.000;0.000}, {d.Upper:+0.000;−0.000;0.000}] | {d.Pairs} × {(d.Images == 0 ? "–" : d.Images.ToString(CultureInfo.InvariantCulture))} | {(preset.HasNoPower ? "no power" : r.Verdict)} |\n");
        }
        sb.Append("\nEach row is a paired difference: pair k of the two models shares its seed (initial weights, data order, dropout); ")
          .Append("the 95 % interval is a percentile bootstrap over pairs and test images (docs/study-design.md). ")
          .Append("supported: the interval lies above 0; contradicted: below 0; inconclusive: it contains 0.\n");
        sb.Append("\nRows of claim ").Append(ControlClaim).Append(" are positive controls of the Grad-CAM measures (the ROI oracle must put more energy in the mask ")
          .Append("than the baseline; the shortcut baseline more on the device than the clean one). ");
        var failed = rows.Where(r => r.Gate == FailedControl).Select(r => $"{r.Backbone} · {r.Condition}").Distinct().ToList();
        sb.Append(failed.Count == 0
            ? "Every control that was computed held.\n"
            : $"**A control failed in {string.Join(", ", failed)}: the Grad-CAM rows there say \"{FailedControl}\" instead of a verdict, because a measure that cannot see what the oracle or the shortcut model provably uses cannot tell whether the student's regions are more meaningful.** The behavioural shortcut-reliance row needs no explanation method and keeps its verdict.\n");
        return sb.ToString();
    }
}
