using System.Globalization;
using System.Text;
using PneuKnow.Data.Phantom;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>
/// One teacher run of the study, scored from its saved predictions on the reported split (the teacher is tested on
/// its own evaluation input: the ROI images, or the full images for the noroi control), beside its pair.
/// </summary>
/// <param name="Condition">Data condition (empty for a single-condition study).</param>
/// <param name="Backbone">Backbone name.</param>
/// <param name="Variant">The arm: do (main), noroi, roi30, ...</param>
/// <param name="Run">Pair k (the run folder <c>run_k</c>).</param>
/// <param name="Images">Images scored.</param>
/// <param name="Accuracy">Eval-mode accuracy of the teacher.</param>
/// <param name="HealthyRecall">Recall of the healthy class (NB, or a class named healthy/normal); NaN when the study has none.</param>
/// <param name="ClassRecall">Recall of every class, by class name (NaN for a class absent from the split).</param>
/// <param name="BaselineAccuracy">Accuracy of the paired baseline run (same condition, backbone, k), or null when there is none.</param>
/// <param name="StudentAccuracy">Accuracy of this teacher's student run k, or null when there is none.</param>
/// <param name="Gate">Empty when the teacher passes; otherwise why not (<c>healthy_recall</c>, <c>below_baseline</c>, both joined by <c>;</c>).</param>
public sealed record TeacherRow(
    string Condition, string Backbone, string Variant, int Run, int Images, double Accuracy, double HealthyRecall,
    IReadOnlyDictionary<string, double> ClassRecall, double? BaselineAccuracy, double? StudentAccuracy, string Gate)
{
    /// <summary>Whether the teacher is fit to teach: healthy recall at least <see cref="StudyTeachers.HealthyRecallGate"/> and accuracy at least the paired baseline's.</summary>
    public bool PassesGate => Gate.Length == 0;

    /// <summary>The paired student's accuracy minus the paired baseline's, or null without both.</summary>
    public double? StudentGain => StudentAccuracy - BaselineAccuracy;
}

/// <summary>
/// <c>tables/teachers.csv</c> and <c>.md</c>: every teacher run's eval-mode accuracy, healthy and per-class recall,
/// the paired baseline's accuracy, and a gate. Issue 21 found teachers that answered one disease class for every
/// healthy (black) ROI in eval mode; a student distilled from such a teacher learns a wrong constant target for
/// every healthy image, so the study shows which teachers taught and how teacher quality relates to the student's gain.
/// </summary>
public static class StudyTeachers
{
    /// <summary>The lowest healthy recall that passes the gate.</summary>
    public const double HealthyRecallGate = 0.9;

    /// <summary>The file stem of the table under <c>tables/</c>.</summary>
    public const string FileName = "teachers";

    /// <summary>Whether a class label names the healthy class: the phantom's NB, or one called healthy or normal.</summary>
    public static bool IsHealthy(string label) =>
        label == PhantomFindings.Healthy || label.Equals("healthy", StringComparison.OrdinalIgnoreCase) || label.Equals("normal", StringComparison.OrdinalIgnoreCase);

    /// <summary>The teacher rows of an evaluated study.</summary>
    public static IReadOnlyList<TeacherRow> Evaluate(StudyEvaluation e) =>
        Evaluate(e.Cells.Select(c => (c.Unit, c.Role, c.RunFolders)).ToList(), e.Split);

    /// <summary>
    /// The teacher rows from the run folders of each unit's roles,
    /// read from <c>predictions_{split}.csv</c> (or its <c>.gz</c> copy). Pairs are matched by condition, backbone and run folder name.
    /// </summary>
    /// <exception cref="InvalidDataException">A teacher run folder without the split's predictions file (names the file), or with both a plain and a compressed one.</exception>
    public static IReadOnlyList<TeacherRow> Evaluate(IReadOnlyList<(StudyUnit Unit, Role Role, IReadOnlyList<string> RunFolders)> roles, string split)
    {
        static string Run(string folder) => Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar, '/'));
        double? AccuracyOf(string folder)
        {
            var path = new RunFolder(folder).Predictions(split);
            if (!Predictions.Exists(path)) return null;
            var p = Predictions.Read(path);
            return p.Rows.Count == 0 ? null : p.Rows.Count(r => r.Label == r.Predicted) / (double)p.Rows.Count;
        }
        var rows = new List<TeacherRow>();
        foreach (var (unit, _, folders) in roles.Where(r => r.Role == Role.Teacher))
        {
            var baseline = roles.FirstOrDefault(r => r.Role == Role.Baseline && r.Unit.Backbone == unit.Backbone && r.Unit.ConditionName == unit.ConditionName);
            var student = roles.FirstOrDefault(r => r.Role == Role.Student && r.Unit == unit);
            foreach (var folder in folders)
            {
                var run = Run(folder);
                var path = new RunFolder(folder).Predictions(split);
                if (!Predictions.Exists(path))
                    throw new InvalidDataException($"{path}: expected the teacher's predictions on the {split} split, found no file (nor its {Data.Csv.GzipSuffix} copy).");
                var p = Predictions.Read(path);
                if (p.Rows.Count == 0) throw new InvalidDataException($"{path}: expected predictions, found no rows.");
                var recall = new Dictionary<string, double>();
                for (int k = 0; k < p.Classes.Count; k++)
                {
                    int support = p.Rows.Count(r => r.Label == k);
                    recall[p.Classes[k]] = support == 0 ? double.NaN : p.Rows.Count(r => r.Label == k && r.Predicted == k) / (double)support;
                }
                var healthy = p.Classes.FirstOrDefault(IsHealthy);
                double healthyRecall = healthy is null ? double.NaN : recall[healthy];
                double accuracy = p.Rows.Count(r => r.Label == r.Predicted) / (double)p.Rows.Count;
                var pairedBaseline = baseline.RunFolders?.FirstOrDefault(f => Run(f) == run) is { } b ? AccuracyOf(b) : null;
                var pairedStudent = student.RunFolders?.FirstOrDefault(f => Run(f) == run) is { } s ? AccuracyOf(s) : null;
                var reasons = new List<string>();
                // NaN (no healthy class, or none in the split) fails the comparison: such a teacher is not gated on it.
                if (healthyRecall < HealthyRecallGate) reasons.Add("healthy_recall");
                if (pairedBaseline is { } ba && accuracy < ba) reasons.Add("below_baseline");
                int k0 = run.StartsWith(RunFolder.NamePrefix, StringComparison.Ordinal) && int.TryParse(run[RunFolder.NamePrefix.Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kk) ? kk : -1;
                rows.Add(new TeacherRow(unit.ConditionName, unit.Backbone, unit.Variant.Name, k0, p.Rows.Count, accuracy, healthyRecall,
                    recall, pairedBaseline, pairedStudent, string.Join(';', reasons)));
            }
        }
        return rows;
    }

    /// <summary>Pearson's correlation of two equally long series; NaN for fewer than 3 pairs or a constant series.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Pearson: expected series of equal length, found {x.Count} and {y.Count}.");
        int n = x.Count;
        if (n < 3) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's rank correlation (Pearson's of average ranks, ties shared); NaN as <see cref="Pearson"/>.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            for (int t = i; t <= j; t++) ranks[order[t]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return ranks;
    }

    static string F(double? v) => v is { } d && !double.IsNaN(d) ? d.ToString("0.0000", CultureInfo.InvariantCulture) : "";

    /// <summary>Writes <c>teachers.csv</c> and <c>teachers.md</c> into <paramref name="tablesDir"/>; returns the two paths.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<TeacherRow> rows, string tablesDir, string split)
    {
        Directory.CreateDirectory(tablesDir);
        var classes = rows.SelectMany(r => r.ClassRecall.Keys).Distinct().ToList();
        var csv = new Data.CsvWriter(["condition", "backbone", "variant", "run", "images", "accuracy", "healthy_recall", .. classes.Select(c => $"recall_{c}"),
            "baseline_accuracy", "student_accuracy", "student_gain", "passes_gate", "gate"]);
        foreach (var r in rows)
            csv.Row([r.Condition, r.Backbone, r.Variant, r.Run.ToString(CultureInfo.InvariantCulture), r.Images.ToString(CultureInfo.InvariantCulture), F(r.Accuracy), F(r.HealthyRecall),
                .. classes.Select(c => F(r.ClassRecall.TryGetValue(c, out var v) ? v : null)),
                F(r.BaselineAccuracy), F(r.StudentAccuracy), F(r.StudentGain), r.PassesGate ? "true" : "false", r.Gate]);
        var md = new StringBuilder();
        md.Append("| condition | backbone | arm | run | teacher accuracy | healthy recall | baseline accuracy | student − baseline | gate |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
            md.Append(CultureInfo.InvariantCulture,
                $"| {(r.Condition.Length == 0 ? "–" : r.Condition)} | {r.Backbone} | {r.Variant} | {r.Run} | {F(r.Accuracy)} | {F(r.HealthyRecall)} | {F(r.BaselineAccuracy)} | {F(r.StudentGain)} | {(r.PassesGate ? "passes" : "fails: " + r.Gate)} |\n");
        int failed = rows.Count(r => !r.PassesGate);
        md.Append(CultureInfo.InvariantCulture,
            $"\nTeachers scored in eval mode on their own evaluation input (ROI images; full images for noroi), {split} split. " +
            $"Gate: healthy recall ≥ {HealthyRecallGate:0.0#} and accuracy ≥ the paired baseline's; {failed} of {rows.Count} teacher run(s) fail it.\n");
        var pairs = rows.Where(r => r.StudentGain is not null).ToList();
        var acc = pairs.Select(r => r.Accuracy).ToList();
        var gain = pairs.Select(r => r.StudentGain!.Value).ToList();
        md.Append(string.Create(CultureInfo.InvariantCulture,
            $"\nTeacher accuracy vs the student's paired gain over the baseline, over n = {pairs.Count} pair(s): " +
            $"Pearson r = {FormatR(Pearson(acc, gain))}, Spearman ρ = {FormatR(Spearman(acc, gain))}"))
          .Append(pairs.Count < 3 ? " (fewer than 3 pairs: not computed)" : "").Append(".\n");
        var csvPath = Path.Combine(tablesDir, FileName + ".csv");
        var mdPath = Path.Combine(tablesDir, FileName + ".md");
        csv.Save(csvPath);
        AtomicFile.WriteAllText(mdPath, md.ToString());
        return [csvPath, mdPath];
    }

    static string FormatR(double r) => double.IsNaN(r) ? "–" : r.ToString("+0.000;−0.000", CultureInfo.InvariantCulture);
}
