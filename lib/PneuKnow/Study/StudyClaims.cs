using System.Globalization;
using System.Text;
using static System.FormattableString;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>
/// One test of one of the paper's claims: a paired difference oriented so that a positive value is what the paper
/// predicts, its 95 % interval, its p-value and the verdict.
/// </summary>
/// <param name="Claim">accuracy, convergence, decision_regions or annotation.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Condition">Data condition (clean, shortcut; empty for a single-condition preset).</param>
/// <param name="Metric">What is compared, with its direction, e.g. <c>accuracy: HKD student − baseline</c>.</param>
/// <param name="Split">The split the numbers come from (test, or valid for the learning curves).</param>
/// <param name="Difference">Estimate, interval and p-value.</param>
public sealed record ClaimRow(string Claim, string Backbone, string Condition, string Metric, string Split, PairedDifference Difference)
{
    /// <summary>Whether the row belongs to the pre-stated primary family (docs/study-design.md), whose p-values are Holm-adjusted together.</summary>
    public bool Primary { get; init; }

    /// <summary>The p-value after Holm's adjustment over the primary family (NaN for secondary rows).</summary>
    public double PAdjusted { get; init; } = double.NaN;

    /// <summary>Replaces the verdict when the row cannot be read as evidence (e.g. <c>measure failed its control</c>); null otherwise.</summary>
    public string? VerdictOverride { get; init; }

    /// <summary>
    /// supported, contradicted or inconclusive: for a primary row from the Holm-adjusted p (supported or contradicted by
    /// the sign when it is below 0.05), for a secondary row from its unadjusted 95 % interval; or <see cref="VerdictOverride"/>.
    /// </summary>
    public string Verdict => VerdictOverride ?? (Primary
        ? PairedInterval.VerdictOf(Difference.Estimate, PAdjusted)
        : Difference.Verdict).ToString().ToLowerInvariant();
}

/// <summary>
/// The paper's four claims, each tested on the study with paired runs (docs/study-design.md states the design and the
/// primary endpoints before any result): (1) accuracy — the HKD student beats the baseline (the primary family: test
/// accuracy per backbone and condition); (2) convergence — it learns faster (epochs to a validation-accuracy
/// threshold, area under the validation-accuracy curve); (3) decision regions — its Grad-CAM puts more mass inside the
/// expert's mask, hits it more often with its maximum, and (shortcut condition) less on the planted confounder; (4) the
/// gain comes from the annotation — the student taught from ROIs beats the one taught by a teacher of raw images
/// (noroi), and the ones whose teacher saw fewer ROIs. Intervals and p-values: <see cref="PairedInterval"/>.
/// </summary>
public static class StudyClaims
{
    /// <summary>The claims table's file stem under <c>tables/</c>.</summary>
    public const string FileStem = "claims";

    /// <summary>The claim whose rows form the primary family (their metric is <see cref="PairedMetric.Accuracy"/>).</summary>
    public const string PrimaryClaim = "accuracy";

    /// <summary>
    /// The validation-accuracy threshold of the convergence rows, as a share of the pair's best validation accuracy (the
    /// higher of the two models' best epochs): a run reaches it in the first epoch whose validation accuracy is at least
    /// this share; a run that never does counts as epochs + 1.
    /// </summary>
    public const double ConvergenceShare = 0.95;

    /// <summary>Every claim row the study can test, in claim, condition, backbone order, with the primary family Holm-adjusted.</summary>
    /// <param name="e">The evaluated study.</param>
    /// <param name="regions">Grad-CAM scores of every pair (<see cref="StudyDecisionRegions.Score"/>).</param>
    /// <param name="resamples">Patient-cluster bootstrap resamples for the rows that need them.</param>
    /// <param name="reliance">Predictions and device flags for the behavioural shortcut-reliance row (<see cref="StudyShortcutReliance.Load"/>); null: none.</param>
    /// <param name="occlusion">The occlusion check of baseline and student (<see cref="StudyDecisionRegions.Score"/>); null: no occlusion row.</param>
    public static IReadOnlyList<ClaimRow> Evaluate(StudyEvaluation e, IReadOnlyList<DecisionRegionRow> regions, int resamples = PairedInterval.DefaultResamples,
        IReadOnlyList<ShortcutRelianceModel>? reliance = null, IReadOnlyList<OcclusionRow>? occlusion = null)
    {
        var rows = new List<ClaimRow>();
        var groups = e.Cells.GroupBy(c => (c.Unit.ConditionName, c.Backbone)).ToList();
        // The test images' patients, read once per condition and backbone from the manifest the runs trained on.
        var patientsOf = groups.Select(g => (g.Key, First: g.FirstOrDefault()))
            .Where(x => x.First is not null)
            .ToDictionary(x => x.Key, x => Patients(x.First!.RunFolders[0], e.DataRoot));
        int seed = 0;
        foreach (var g in groups)
        {
            var baseline = MainCell(g, Role.Baseline);
            var student = MainCell(g, Role.Student);
            if (baseline is null || student is null) continue;
            var (labels, clusters, classes, b, s) = Aligned(baseline, student, e.Split, patientsOf[g.Key]);
            foreach (var (name, metric) in Metrics)
                rows.Add(new ClaimRow(PrimaryClaim, g.Key.Backbone, g.Key.ConditionName, $"{name}: HKD student − baseline", e.Split,
                    PairedInterval.OfPredictions(labels, clusters, s, b, classes, metric, resamples, seed++)) { Primary = metric == PairedMetric.Accuracy && e.Preset.IsPrimary(g.Key.Backbone) });
        }
        foreach (var g in groups)
        {
            var baseline = MainCell(g, Role.Baseline);
            var student = MainCell(g, Role.Student);
            if (baseline is null || student is null) continue;
            int pairs = Math.Min(baseline.RunFolders.Count, student.RunFolders.Count);
            var sCurves = student.RunFolders.Take(pairs).Select(f => Curve(f, "val_acc")).ToList();
            var bCurves = baseline.RunFolders.Take(pairs).Select(f => Curve(f, "val_acc")).ToList();
            var sEpochs = new double[pairs];
            var bEpochs = new double[pairs];
            for (int k = 0; k < pairs; k++)
            {
                double threshold = ConvergenceShare * Math.Max(sCurves[k].Max(), bCurves[k].Max());
                (sEpochs[k], bEpochs[k]) = (EpochsTo(sCurves[k], threshold), EpochsTo(bCurves[k], threshold));
            }
            rows.Add(new ClaimRow("convergence", g.Key.Backbone, g.Key.ConditionName,
                FormattableString.Invariant($"epochs to {ConvergenceShare:P0} of the pair's best validation accuracy: baseline − HKD student"), "valid",
                PairedInterval.OfRuns(bEpochs, sEpochs)));
            rows.Add(new ClaimRow("convergence", g.Key.Backbone, g.Key.ConditionName, "area under the validation-accuracy curve (mean over epochs): HKD student − baseline", "valid",
                PairedInterval.OfRuns(sCurves.Select(c => c.Average()).ToArray(), bCurves.Select(c => c.Average()).ToArray())));
        }
        foreach (var g in regions.GroupBy(r => (r.Condition, r.Backbone)))
        {
            var (s, b) = (ByRun(g, Role.Student), ByRun(g, Role.Baseline));
            if (s.Count == 0 || b.Count == 0) continue;
            // Scores handed in without the study's cells (no manifest to read patients from): every image is its own patient.
            var patients = patientsOf.TryGetValue(g.Key, out var known) ? known
                : g.Select(x => x.FileName).Concat((reliance ?? []).SelectMany(m => m.Files)).Concat((occlusion ?? []).Select(o => o.FileName))
                    .Distinct().ToDictionary(f => f, f => f, StringComparer.Ordinal);
            int pairs = Math.Min(s.Count, b.Count);
            (s, b) = (s.Take(pairs).ToList(), b.Take(pairs).ToList());
            int[] ClustersOf(DecisionRegionRow[] run) => PairedInterval.ClusterIds(run.Select(x => PatientOf(patients, x.FileName)).ToArray());
            var clusters = ClustersOf(b[0]);
            bool shortcut = g.Key.Condition == StudyCondition.Shortcut.Name;
            // The behavioural measure first: it needs no explanation method, so no control gates it.
            if (shortcut && RelianceRow(reliance, patients, g.Key.Condition, g.Key.Backbone, e.Split, resamples, seed++) is { } behaviour) rows.Add(behaviour);
            // Positive controls: what any measure of "where the evidence lies" must show; where one fails, the
            // attribution rows of this backbone and condition measure nothing and say so instead of a verdict.
            var controls = new List<ClaimRow>();
            // A score undefined on every image (no scored image has a mask) has no interval: no row rather than an error.
            bool masks = b.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyInMask));
            var t = ByRun(g, Role.Teacher).Take(pairs).ToList();
            if (t.Count == pairs && masks)
                controls.Add(new ClaimRow(ControlClaim, g.Key.Backbone, g.Key.Condition, "control: Grad-CAM energy inside the expert mask, ROI oracle (teacher on its ROI input) − baseline; must be > 0", e.Split,
                    PairedInterval.OfImageScores(Scores(t, x => x.EnergyInMask), Scores(b, x => x.EnergyInMask), clusters)));
            var clean = ByRun(regions.Where(r => r.Condition == StudyCondition.Clean.Name && r.Backbone == g.Key.Backbone), Role.Baseline);
            if (shortcut && clean.Count > 0 && b.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyOnConfounder)))
                controls.Add(DeviceControl(b, clean, clusters, g.Key.Backbone, g.Key.Condition, e.Split));
            bool failed = controls.Any(c => c.Difference.Verdict != ClaimVerdict.Supported);
            var gate = failed ? FailedControl : null;
            if (masks)
            {
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "Grad-CAM (predicted class) energy inside the expert mask: HKD student − baseline", e.Split,
                    PairedInterval.OfImageScores(Scores(s, x => x.EnergyInMask), Scores(b, x => x.EnergyInMask), clusters)) { VerdictOverride = gate });
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "pointing game (predicted-class CAM maximum inside the mask): HKD student − baseline", e.Split,
                    PairedInterval.OfImageScores(Scores(s, x => x.PointingGame), Scores(b, x => x.PointingGame), clusters)) { VerdictOverride = gate });
            }
            if (s.SelectMany(r => r).Any(x => !double.IsNaN(x.EnergyOnConfounder)) && shortcut)
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition, "Grad-CAM (predicted class) energy on the planted confounder: baseline − HKD student", e.Split,
                    PairedInterval.OfImageScores(Scores(b, x => x.EnergyOnConfounder), Scores(s, x => x.EnergyOnConfounder), clusters)) { VerdictOverride = gate });
            // Occlusion changes the input and reads the output, so it needs no explanation method and no control gates it.
            var (os, ob) = (OcclusionByRun(occlusion, g.Key, Role.Student), OcclusionByRun(occlusion, g.Key, Role.Baseline));
            if (os.Count > 0 && ob.Count > 0 && Math.Min(os.Count, ob.Count) is var op)
                rows.Add(new ClaimRow("decision_regions", g.Key.Backbone, g.Key.Condition,
                    "occlusion: drop in true-class probability hiding the expert region − hiding its mirror image: HKD student − baseline", e.Split,
                    PairedInterval.OfImageScores(os.Take(op).Select(r => r.Values).ToList(), ob.Take(op).Select(r => r.Values).ToList(),
                        PairedInterval.ClusterIds(ob[0].Files.Select(f => PatientOf(patients, f)).ToArray()))));
            rows.AddRange(controls);
        }
        foreach (var g in groups)
        {
            var student = MainCell(g, Role.Student);
            if (student is null) continue;
            foreach (var control in g.Where(c => c.Role == Role.Student && c.Unit.Variant.Name != StudyVariant.Main.Name))
            {
                var what = control.Unit.Variant.TeacherOnRaw
                    ? "HKD student − student of a teacher trained on raw images (noroi)"
                    : FormattableString.Invariant($"HKD student (100 % of ROIs) − HKD student ({control.Unit.Variant.RoiFraction:P0} of ROIs)");
                var (labels, clusters, classes, c, s) = Aligned(control, student, e.Split, patientsOf[g.Key]);
                foreach (var (name, metric) in Metrics.Take(2))
                    rows.Add(new ClaimRow("annotation", g.Key.Backbone, g.Key.ConditionName, $"{name}: {what}", e.Split,
                        PairedInterval.OfPredictions(labels, clusters, s, c, classes, metric, resamples, seed++)));
            }
        }
        return AdjustPrimary(rows);
    }

    /// <summary>Holm's adjustment over the rows marked primary; the others keep NaN.</summary>
    public static IReadOnlyList<ClaimRow> AdjustPrimary(IReadOnlyList<ClaimRow> rows)
    {
        var primary = rows.Select((r, i) => (r, i)).Where(x => x.r.Primary).ToList();
        var adjusted = PairedInterval.Holm(primary.Select(x => x.r.Difference.P).ToArray());
        var result = rows.ToArray();
        for (int j = 0; j < primary.Count; j++) result[primary[j].i] = primary[j].r with { PAdjusted = adjusted[j] };
        return result;
    }

    /// <summary>The classification metrics compared: accuracy (the paper's, and the primary endpoint), balanced accuracy and macro-F1 (which see past the majority class).</summary>
    public static IReadOnlyList<(string Name, PairedMetric Metric)> Metrics { get; } =
    [
        ("accuracy", PairedMetric.Accuracy),
        ("balanced accuracy", PairedMetric.BalancedAccuracy),
        ("macro-F1", PairedMetric.MacroF1),
    ];

    static StudyCell? MainCell(IEnumerable<StudyCell> cells, Role role) => cells.FirstOrDefault(c => c.IsMain(role));


    // Both models' predicted codes per pair, aligned on the same images (by file name, in the first run's order), with the
    // patient of each image (the test set's clusters).
    static (int[] Labels, int[] Clusters, IReadOnlyList<string> Classes, List<int[]> B, List<int[]> A) Aligned(StudyCell b, StudyCell a, string split,
        IReadOnlyDictionary<string, string> patients)
    {
        int pairs = Math.Min(a.RunFolders.Count, b.RunFolders.Count);
        var pa = a.RunFolders.Take(pairs).Select(f => RunFolders.ReadPredictions(f, split)).ToList();
        var pb = b.RunFolders.Take(pairs).Select(f => RunFolders.ReadPredictions(f, split)).ToList();
        var order = pb[0].Rows.Select(r => r.FileName).ToArray();
        var labels = pb[0].Rows.Select(r => r.Label).ToArray();
        var clusters = PairedInterval.ClusterIds(order.Select(f => PatientOf(patients, f)).ToArray());
        int[] Codes(Predictions p, string folder)
        {
            var byName = p.Rows.ToDictionary(r => r.FileName, r => r.Predicted, StringComparer.Ordinal);
            return order.Select(f => byName.TryGetValue(f, out var code) ? code
                : throw new InvalidDataException($"{folder}: predictions on the {split} split lack image {f}, which the paired run predicted; pairs must be tested on the same images.")).ToArray();
        }
        return (labels, clusters, pb[0].Classes, pb.Select((p, k) => Codes(p, b.RunFolders[k])).ToList(), pa.Select((p, k) => Codes(p, a.RunFolders[k])).ToList());
    }

    /// <summary>
    /// File name → patient id of the manifest a run trained on (its run.json's <c>config.metadata_file</c>); images of one
    /// patient are one cluster of the test set. A manifest without <c>patient_id</c> makes every image its own patient, as
    /// the manifest reader does.
    /// </summary>
    /// <param name="runFolder">A run folder.</param>
    /// <param name="dataRoot">Where the data folders are now, for a study moved to another clone (<see cref="RecordedData"/>).</param>
    /// <exception cref="InvalidDataException">run.json names no manifest, or the manifest is missing (the data must be present to compute intervals).</exception>
    public static IReadOnlyDictionary<string, string> Patients(string runFolder, string? dataRoot = null) =>
        ReadPatients(RecordedData.ManifestOf(runFolder, dataRoot, "the intervals resample test images by patient"));

    static IReadOnlyDictionary<string, string> ReadPatients(string manifest)
    {
        var t = Data.Csv.Read(manifest);
        int file = t.Require("file_name"), patient = t.IndexOf("patient_id");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in t.Rows)
            map[r.Fields[file]] = patient >= 0 ? r.Fields[patient] : Path.GetFileNameWithoutExtension(r.Fields[file]);
        return map;
    }

    static string PatientOf(IReadOnlyDictionary<string, string> patients, string file) =>
        patients.TryGetValue(file, out var p) ? p : throw new InvalidDataException($"test image {file}: expected it in the study's manifest (for its patient), found no row.");

    /// <summary>The verdict column of an attribution row whose measure failed a positive control in its backbone and condition.</summary>
    public const string FailedControl = "measure failed its control";

    /// <summary>The claim name of the positive-control rows.</summary>
    public const string ControlClaim = "decision_regions_control";

    // Per run of one model, its occlusion scores in file-name order (the same images for every run and model).
    static List<(string[] Files, double[] Values)> OcclusionByRun(IReadOnlyList<OcclusionRow>? rows, (string Condition, string Backbone) key, Role role) =>
        (rows ?? []).Where(r => r.Condition == key.Condition && r.Backbone == key.Backbone && r.Role == role).GroupBy(r => r.Run).OrderBy(r => r.Key)
            .Select(r => r.OrderBy(x => x.FileName, StringComparer.Ordinal).ToArray())
            .Select(r => (r.Select(x => x.FileName).ToArray(), r.Select(x => x.Faithfulness).ToArray())).ToList();

    static List<double[]> Scores(List<DecisionRegionRow[]> runs, Func<DecisionRegionRow, double> score) => runs.Select(r => r.Select(score).ToArray()).ToList();

    // Baseline − HKD student shortcut reliance on all test images of one backbone and condition, or null without device flags.
    static ClaimRow? RelianceRow(IReadOnlyList<ShortcutRelianceModel>? reliance, IReadOnlyDictionary<string, string> patients, string condition, string backbone,
        string split, int resamples, int seed)
    {
        var b = reliance?.FirstOrDefault(m => m.Condition == condition && m.Backbone == backbone && m.MainArm && m.Role == Role.Baseline);
        var s = reliance?.FirstOrDefault(m => m.Condition == condition && m.Backbone == backbone && m.MainArm && m.Role == Role.Student);
        if (b is null || s is null || !b.Files.SequenceEqual(s.Files, StringComparer.Ordinal)) return null;
        // Reliance needs images with and without a device.
        if (b.HasDevice.All(d => d) || !b.HasDevice.Any(d => d)) return null;
        int pairs = Math.Min(b.PredictedConfounded.Count, s.PredictedConfounded.Count);
        var clusters = PairedInterval.ClusterIds(b.Files.Select(f => PatientOf(patients, f)).ToArray());
        return new ClaimRow("decision_regions", backbone, condition,
            "shortcut reliance (share predicted COVID-19 or fungal among images with a device − among those without), all test images: baseline − HKD student", split,
            ShortcutReliance.Paired(b.HasDevice, clusters, b.PredictedConfounded.Take(pairs).ToList(), s.PredictedConfounded.Take(pairs).ToList(), resamples, seed));
    }

    // The shortcut baseline must put more Grad-CAM energy on the device than the clean baseline (same backbone, pair k of each
    // condition). The phantoms of both conditions share their test images (same seed; only the train/valid device draw
    // depends on the shortcut), so images are paired when their names and device flags match; otherwise the per-run means
    // over each condition's device-carrying images are compared, pairs only, and the metric says so.
    static ClaimRow DeviceControl(List<DecisionRegionRow[]> shortcut, List<DecisionRegionRow[]> clean, int[] clusters, string backbone, string condition, string split)
    {
        int pairs = Math.Min(shortcut.Count, clean.Count);
        var (a, b) = (shortcut.Take(pairs).ToList(), clean.Take(pairs).ToList());
        bool sameImages = a.Zip(b).All(p => p.First.Select(x => (x.FileName, double.IsNaN(x.EnergyOnConfounder)))
            .SequenceEqual(p.Second.Select(x => (x.FileName, double.IsNaN(x.EnergyOnConfounder)))));
        const string what = "control: Grad-CAM energy on the planted confounder, shortcut baseline − clean baseline; must be > 0";
        if (sameImages)
            return new ClaimRow(ControlClaim, backbone, condition, what, split,
                PairedInterval.OfImageScores(Scores(a, x => x.EnergyOnConfounder), Scores(b, x => x.EnergyOnConfounder), clusters));
        static double Mean(DecisionRegionRow[] run) => run.Select(x => x.EnergyOnConfounder).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();
        return new ClaimRow(ControlClaim, backbone, condition, what + " (test images differ between conditions: per-run means, pairs only)", split,
            PairedInterval.OfRuns(a.Select(Mean).ToList(), b.Select(Mean).ToList()));
    }

    static List<DecisionRegionRow[]> ByRun(IEnumerable<DecisionRegionRow> rows, Role role) =>
        rows.Where(r => r.Role == role).GroupBy(r => r.Run).OrderBy(r => r.Key).Select(r => r.OrderBy(x => x.FileName, StringComparer.Ordinal).ToArray()).ToList();

    static double[] Curve(string runFolder, string quantity) =>
        TrainingLog.Read(new RunFolder(runFolder).Log).Series(quantity).Single().Values.ToArray();

    static double EpochsTo(double[] curve, double threshold)
    {
        for (int e = 0; e < curve.Length; e++)
            if (curve[e] >= threshold - 1e-12) return e + 1;
        return curve.Length + 1;
    }

    /// <summary>The columns of <c>claims.csv</c>, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["claim", "backbone", "condition", "metric", "split", "estimate", "ci_low", "ci_high", "n_runs", "n_images", "n_clusters", "df", "p", "p_adjusted", "primary", "interval_method", "verdict"];

    /// <summary>
    /// How many baseline and student runs selected a checkpoint before their last epoch (lowest validation loss), of how
    /// many: a run whose best epoch is its last had not reached a plateau.
    /// </summary>
    public static (int BeforeLast, int Runs) Plateau(StudyEvaluation e)
    {
        int before = 0, runs = 0;
        foreach (var cell in e.Cells.Where(c => c.Role != Role.Teacher))
            foreach (var folder in cell.RunFolders)
            {
                var loss = Curve(folder, "val_loss");
                int best = Array.IndexOf(loss, loss.Min());
                runs++;
                if (best < loss.Length - 1) before++;
            }
        return (before, runs);
    }

    /// <summary>The sentence on <see cref="Plateau"/> that claims.md carries under its table.</summary>
    public static string PlateauNote(StudyEvaluation e)
    {
        var (before, runs) = Plateau(e);
        return FormattableString.Invariant(
            $"Plateau: {before} of {runs} baseline and student runs selected a checkpoint (lowest validation loss) before their last epoch; the convergence rows measure speed along the fixed budget (docs/study-design.md).");
    }

    /// <summary>Writes <c>claims.csv</c> (<see cref="Columns"/>) and <c>claims.md</c> into <paramref name="tablesDir"/>; returns the paths.</summary>
    /// <param name="rows">The claim rows.</param>
    /// <param name="tablesDir">The study's tables folder.</param>
    /// <param name="preset">The preset (a preset without power says so instead of verdicts).</param>
    /// <param name="note">A paragraph appended to claims.md (e.g. <see cref="PlateauNote"/>), or null.</param>
    public static IReadOnlyList<string> Write(IReadOnlyList<ClaimRow> rows, string tablesDir, StudyPreset preset, string? note = null)
    {
        Directory.CreateDirectory(tablesDir);
        var csv = new Data.CsvWriter(Columns);
        foreach (var r in rows)
        {
            var d = r.Difference;
            csv.Row(r.Claim, r.Backbone, r.Condition, r.Metric, r.Split, N(d.Estimate), N(d.Lower), N(d.Upper),
                Invariant($"{d.Pairs}"), Invariant($"{d.Images}"), Invariant($"{d.Clusters}"), N(d.DegreesOfFreedom, "0.##"), N(d.P, "0.######"), N(r.PAdjusted, "0.######"),
                r.Primary ? "true" : "false", d.Method, preset.HasNoPower ? "no power (smoke)" : r.Verdict);
        }
        var csvPath = Path.Combine(tablesDir, FileStem + ".csv");
        csv.Save(csvPath);
        var mdPath = Path.Combine(tablesDir, FileStem + ".md");
        AtomicFile.WriteAllText(mdPath, Markdown(rows, preset) + (note is null ? "" : "\n" + note + "\n"));
        return [csvPath, mdPath];
    }

    // An undefined number (no interval with one pair, no adjusted p for a secondary row) is an empty field.
    static string N(double v, string format = "0.######") => double.IsNaN(v) ? "" : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Reads a <c>claims.csv</c> written by <see cref="Write"/> (what the notebooks show).</summary>
    /// <exception cref="Data.DataException">A missing file, column or malformed number; the message names file, line and column.</exception>
    public static IReadOnlyList<ClaimRow> Read(string path)
    {
        var t = Data.Csv.Read(path);
        var c = Columns.Select(t.Require).ToArray();
        double D(string[] f, int i, int line) => f[c[i]].Length == 0 ? double.NaN
            : double.TryParse(f[c[i]], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new Data.DataException(path, line, t.Header[c[i]], $"expected a number or an empty field, found '{f[c[i]]}'.");
        int I(string[] f, int i, int line) => int.TryParse(f[c[i]], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new Data.DataException(path, line, t.Header[c[i]], $"expected an integer, found '{f[c[i]]}'.");
        return t.Rows.Select(r =>
        {
            var f = r.Fields;
            var verdict = f[c[16]];
            bool primary = f[c[14]] switch
            {
                "true" => true,
                "false" => false,
                var x => throw new Data.DataException(path, r.Line, "primary", $"expected true or false, found '{x}'."),
            };
            var row = new ClaimRow(f[c[0]], f[c[1]], f[c[2]], f[c[3]], f[c[4]],
                new PairedDifference(D(f, 5, r.Line), D(f, 6, r.Line), D(f, 7, r.Line), 0.95, I(f, 8, r.Line), I(f, 9, r.Line), D(f, 12, r.Line), D(f, 11, r.Line))
                { Clusters = I(f, 10, r.Line), Method = f[c[15]] })
            { Primary = primary, PAdjusted = D(f, 13, r.Line) };
            // A verdict the numbers do not give (a failed control, a preset without power) is kept as written.
            return row.Verdict == verdict ? row : row with { VerdictOverride = verdict };
        }).ToList();
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
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("p", list.Select(r => r.Difference.P)),
            new Microsoft.Data.Analysis.DoubleDataFrameColumn("p (Holm)", list.Select(r => r.PAdjusted)),
            new Microsoft.Data.Analysis.StringDataFrameColumn("primary", list.Select(r => r.Primary ? "primary" : "secondary")),
            new Microsoft.Data.Analysis.StringDataFrameColumn("verdict", list.Select(r => r.Verdict)));
    }

    /// <summary>
    /// One sentence per claim computed from its rows: how many of them are supported, contradicted or left open, the widest
    /// interval, and for the primary family its verdicts after Holm's adjustment.
    /// </summary>
    public static string Summary(IEnumerable<ClaimRow> rows, StudyPreset preset)
    {
        var sb = new StringBuilder();
        if (preset.HasNoPower) sb.Append("The smoke preset has no power: the verdicts below only show that every stage runs.\n");
        foreach (var g in rows.GroupBy(r => r.Claim))
        {
            int n = g.Count(), s = g.Count(r => r.Verdict == "supported"), c = g.Count(r => r.Verdict == "contradicted");
            int other = g.Count(r => r.Verdict is not ("supported" or "contradicted" or "inconclusive"));
            int primary = g.Count(r => r.Primary);
            sb.Append(CultureInfo.InvariantCulture, $"{g.Key}: {n} comparison(s){(primary > 0 ? $" ({primary} primary, Holm-adjusted)" : "")}: {s} supported, {c} contradicted, {n - s - c - other} inconclusive");
            if (other > 0) sb.Append(CultureInfo.InvariantCulture, $", {other} without a verdict ({string.Join("; ", g.Select(r => r.Verdict).Where(v => v is not ("supported" or "contradicted" or "inconclusive")).Distinct())})");
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

    /// <summary>The file stem of the forest plot of <c>claims.csv</c> under <c>figures/</c>.</summary>
    public const string FigureStem = "claims_forest";

    /// <summary>
    /// The claim rows as forest-plot rows (<see cref="StudyFigures.ClaimsForest"/>), in their order: one panel per claim,
    /// and the epoch counts of the convergence claim in a panel of their own, since their unit is epochs where every
    /// other row is a difference of shares or probabilities.
    /// </summary>
    public static IReadOnlyList<ForestRow> ForestRows(IEnumerable<ClaimRow> rows) => rows.Select(r =>
    {
        bool epochs = r.Metric.StartsWith("epochs", StringComparison.Ordinal);
        var where = r.Condition.Length == 0 ? r.Backbone : $"{r.Backbone} · {r.Condition}";
        return new ForestRow(ClaimTitle(r.Claim) + (epochs ? " (epochs)" : ""), epochs ? "paired difference in epochs" : "paired difference",
            $"{r.Metric} — {where} ({r.Split})", r.Difference.Estimate, r.Difference.Lower, r.Difference.Upper, r.Primary, r.Verdict);
    }).ToList();

    /// <summary>The heading of a claim in figures: which of the paper's claims it tests, in words.</summary>
    public static string ClaimTitle(string claim) => claim switch
    {
        PrimaryClaim => "Claim 1 · the HKD student is more accurate than its baseline",
        "convergence" => "Claim 2 · the HKD student learns faster",
        "decision_regions" => "Claim 3 · its decision regions are more meaningful",
        ControlClaim => "Claim 3 · positive controls of the Grad-CAM measures (must be > 0)",
        "annotation" => "Claim 4 · the gain comes from the annotation",
        _ => claim,
    };

    /// <summary>How the intervals of <paramref name="rows"/> were computed, in words, for a figure's subtitle.</summary>
    public static string IntervalNote(IEnumerable<ClaimRow> rows)
    {
        var methods = rows.Select(r => r.Difference.Method).Distinct().Select(m => m == PairedInterval.Method
            ? "paired t over the pairs of runs with the patient-clustered test-set variance added"
            : m).ToList();
        return string.Join("; ", methods) + "; primary rows decided by Holm-adjusted p, the others by their interval";
    }

    /// <summary>The claims as a Markdown table with a note on how to read it.</summary>
    public static string Markdown(IReadOnlyList<ClaimRow> rows, StudyPreset preset)
    {
        var sb = new StringBuilder();
        if (preset.HasNoPower)
            sb.Append("**The smoke preset has no statistical power: its verdicts are not results, only a check that every stage runs.**\n\n");
        sb.Append("| claim | condition | backbone | what is compared (positive = as the paper claims) | estimate | 95 % CI | p | p (Holm) | runs × images | verdict |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
        {
            var d = r.Difference;
            string P(double p) => double.IsNaN(p) ? "–" : p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);
            string X(double v) => double.IsNaN(v) ? "–" : v.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture);
            sb.Append(CultureInfo.InvariantCulture,
                $"| {r.Claim}{(r.Primary ? " **(primary)**" : "")} | {(r.Condition.Length == 0 ? "–" : r.Condition)} | {r.Backbone} | {r.Metric} ({r.Split}) | {X(d.Estimate)} | [{X(d.Lower)}, {X(d.Upper)}] | {P(d.P)} | {P(r.PAdjusted)} | {d.Pairs} × {(d.Images == 0 ? "–" : d.Images.ToString(CultureInfo.InvariantCulture))} | {(preset.HasNoPower ? "no power" : r.Verdict)} |\n");
        }
        sb.Append("\nEach row is a paired difference: pair k of the two models shares its seed (initial weights, data order, dropout). ")
          .Append("The 95 % interval and p are a paired t over the pairs with the patient-clustered test-set variance added (Behrens–Fisher critical value; docs/study-design.md). ")
          .Append("Primary rows (test accuracy, student − baseline, per backbone and condition) are decided by p after Holm's adjustment over the primary family: supported or contradicted when it is below 0.05. ")
          .Append("Secondary rows are decided by their unadjusted interval: supported above 0, contradicted below 0, inconclusive when it contains 0.\n");
        sb.Append("\nRows of claim ").Append(ControlClaim).Append(" are positive controls of the Grad-CAM measures (the ROI oracle must put more energy in the mask ")
          .Append("than the baseline; the shortcut baseline more on the device than the clean one). ");
        var failed = rows.Where(r => r.VerdictOverride == FailedControl).Select(r => r.Condition.Length == 0 ? r.Backbone : $"{r.Backbone} · {r.Condition}").Distinct().ToList();
        sb.Append(failed.Count == 0
            ? "Every control that was computed held.\n"
            : $"**A control failed in {string.Join(", ", failed)}: the Grad-CAM rows there say \"{FailedControl}\" instead of a verdict, because a measure that cannot see what the oracle or the shortcut model provably uses cannot tell whether the student's regions are more meaningful.** The behavioural shortcut-reliance and occlusion rows need no explanation method and keep their verdicts.\n");
        return sb.ToString();
    }
}
