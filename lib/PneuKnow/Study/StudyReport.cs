using PneuKnow.Data;
using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Plots;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>Evaluates a study folder and writes its tables and figures.</summary>
public static class StudyReport
{
    /// <summary>
    /// The preset as the study in a folder ran it: the named preset with the stamp's backbones, runs, arms, conditions, seed
    /// and precision.
    /// </summary>
    /// <exception cref="ArgumentException">The stamp names a preset, backbone or arm this build does not know.</exception>
    public static StudyPreset PresetOf(StudyStamp stamp)
    {
        // Restrict with the stamp's runs sets every arm to them; the primary arms' count is then the stamp's own (null in a
        // stamp written before per-arm counts, whose study ran Runs everywhere), never the current preset's.
        var preset = StudyRunner.Restrict(StudyPreset.Get(stamp.Preset), stamp.Backbones, stamp.Runs, stamp.Arms) with { PrimaryRuns = stamp.PrimaryRuns };
        if (stamp.Conditions is { Count: > 0 } conditions) preset = preset with { Conditions = conditions };
        if (stamp.Seed is { } seed) preset = preset with { Seed = seed };
        if (stamp.Precision is { } precision) preset = preset with { Precision = precision };
        return preset;
    }

    /// <summary>Reads every finished run of the study folder and groups repeated runs.</summary>
    /// <param name="studyDir">The study folder.</param>
    /// <param name="dataRoot">Where its data folders are now, when its runs recorded another place (a study continued on another
    /// clone); null: where the runs recorded them.</param>
    /// <exception cref="InvalidDataException">No study stamp, or a unit of the stamp without run folders.</exception>
    public static StudyEvaluation Evaluate(string studyDir, string? dataRoot = null)
    {
        var stamp = StudyStamp.Read(studyDir);
        var preset = PresetOf(stamp);
        var split = StudyRunner.ReportedSplit(preset);
        var held = stamp.Units.ToHashSet(StringComparer.Ordinal);
        var cells = new List<StudyCell>();
        foreach (var unit in StudyGrid.Units(preset).Where(u => held.Contains(u.Key)))
        {
            foreach (var role in RolesOf(unit))
            {
                var roleDir = Experiment.RoleFolder(Path.Combine(studyDir, "runs", unit.Key), role);
                var folders = Directory.Exists(roleDir) || RunPack.RunNames(roleDir).Count > 0 ? RunFoldersOf(roleDir) : [];
                if (folders.Count == 0)
                    throw new InvalidDataException($"{roleDir}: the study stamp lists unit {unit.Key} but it has no {SnakeCase.Of(role)} run folders.");
                var runs = RunFolders.Load(folders, split, _ => $"{unit.Key}/{SnakeCase.Of(role)}");
                var group = RepeatedRuns.Summarize(runs).Single();
                cells.Add(new StudyCell(unit.Backbone, ModelLabel(unit, role), unit, role, folders, group));
            }
        }
        return new StudyEvaluation(studyDir, preset, split, cells) { DataRoot = dataRoot };
    }

    /// <summary>
    /// The <c>run_k</c> folders of one role, ordered by k as a number: run k of every model of a condition forms pair k, and
    /// the claims pair runs by position, so <c>run_10</c> must follow <c>run_9</c> (an ordinal sort puts it after
    /// <c>run_1</c>). The runs must be <c>run_0</c> … <c>run_{n−1}</c> without a gap, or run k would be paired with
    /// another pair's run.
    /// </summary>
    /// <exception cref="InvalidDataException">A folder named <c>run_</c> plus something other than a number, or a missing run k.</exception>
    public static IReadOnlyList<string> RunFoldersOf(string roleDir)
    {
        // A run is a folder, or packed in its unit's pack (RunPack), or both where only its checkpoints stayed in the folder.
        var present = (Directory.Exists(roleDir) ? Directory.GetDirectories(roleDir, RunFolder.NamePrefix + "*").Select(d => Path.GetFileName(d)!) : [])
            .Union(RunPack.RunNames(roleDir), StringComparer.Ordinal)
            .Select(name => Path.Combine(roleDir, name));
        var numbered = present.Select(d =>
        {
            var name = Path.GetFileName(d);
            return int.TryParse(name.AsSpan(RunFolder.NamePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var k)
                ? (Folder: d, K: k)
                : throw new InvalidDataException($"{d}: expected a run folder named run_<k> with k a number, found '{name}'.");
        }).OrderBy(x => x.K).ToList();
        for (int i = 0; i < numbered.Count; i++)
            if (numbered[i].K != i)
                throw new InvalidDataException(
                    $"{roleDir}: expected run folders run_0 … run_{numbered.Count - 1} without a gap (run k is pair k), found no run_{i} (next: {Path.GetFileName(numbered[i].Folder)}).");
        return numbered.Select(x => x.Folder).ToList();
    }

    /// <summary>The roles a unit trains: the baseline, or the teacher and then its student.</summary>
    public static IReadOnlyList<Role> RolesOf(StudyUnit unit) => unit.Kind == StudyUnitKind.Baseline ? [Role.Baseline] : [Role.Teacher, Role.Student];

    /// <summary>
    /// The column label of a unit's role, e.g. <c>HKD student (noroi)</c>: the one place a role becomes a label. Tables,
    /// figures and the <c>model</c> column of the per-image tables show it; nothing parses it back (code that needs the role
    /// or the kind of model asks the cell, <see cref="StudyCell.Role"/> and <see cref="StudyCell.Kind"/>).
    /// </summary>
    public static string ModelLabel(StudyUnit unit, Role role) => ModelLabel(role, unit.Variant);

    /// <summary>The label of <paramref name="role"/> in the arm <paramref name="variant"/> (the main arm's labels carry no suffix).</summary>
    public static string ModelLabel(Role role, StudyVariant variant)
    {
        var name = role switch
        {
            Role.Baseline => "baseline",
            Role.Teacher => variant.TeacherOnRaw ? "raw teacher" : "ROI teacher",
            _ => "HKD student",
        };
        return variant.Name == StudyVariant.Main.Name ? name : $"{name} ({variant.Name})";
    }

    /// <summary>
    /// The inverse of <see cref="ModelLabel(Role, StudyVariant)"/> for the role: the role a label names, whatever its arm (the
    /// suffix in parentheses). Only for labels read back from a per-image table file, whose rows carry no role of their own.
    /// </summary>
    /// <param name="label">A model label, e.g. <c>HKD student</c> or <c>raw teacher (noroi)</c>.</param>
    /// <param name="role">The role it names.</param>
    /// <returns>Whether the label is one <see cref="ModelLabel(Role, StudyVariant)"/> writes.</returns>
    public static bool TryRoleOfLabel(string label, out Role role)
    {
        int arm = label.IndexOf(" (", StringComparison.Ordinal);
        var name = arm >= 0 && label.EndsWith(')') ? label[..arm] : label;
        foreach (var candidate in Enum.GetValues<Role>())
            foreach (var onRaw in new[] { false, true })
                if (ModelLabel(candidate, StudyVariant.Main with { TeacherOnRaw = onRaw }) == name) { role = candidate; return true; }
        role = default;
        return false;
    }

    /// <summary>
    /// The kind of model a unit's role is in the figures: a teacher of ROIs is an oracle (<see cref="ModelKind.Teacher"/>) in
    /// any arm; the main arm's baseline and student are themselves; everything else (a teacher of raw images, the models of
    /// the other arms) is a control.
    /// </summary>
    public static ModelKind KindOf(StudyUnit unit, Role role) =>
        role == Role.Teacher ? (unit.Variant.TeacherOnRaw ? ModelKind.Control : ModelKind.Teacher)
        : unit.Variant.Name != StudyVariant.Main.Name ? ModelKind.Control
        : role == Role.Baseline ? ModelKind.Baseline : ModelKind.Student;

    /// <summary>
    /// Writes <c>tables/</c> (accuracy, class scores, teachers and their gate (<see cref="StudyTeachers"/>), published comparison; CSV and Markdown, plus
    /// <c>headline.md</c>) and <c>figures/</c> (accuracy with per-run points and 95 % CIs, accuracy vs ROI fraction, and per backbone training
    /// curves, confusion matrices and per-class F1, the teachers' recall per class, and the forest plot of <c>tables/claims.csv</c> where the study has one
    /// (<see cref="WriteClaimsFigure"/>); HTML with one shared plotly.min.js, plus a PNG where a Chromium is found) into the study folder. Returns the files written.
    /// <paramref name="times"/>, when given, receives the tables', the figures' and the Grad-CAM pictures' seconds as parts of the study's time.
    /// </summary>
    public static IReadOnlyList<string> Write(StudyEvaluation e, string? publishedMetricsPath = null, StudyTimes? times = null)
    {
        var tables = Path.Combine(e.StudyDir, "tables");
        var figures = Path.Combine(e.StudyDir, "figures");
        Directory.CreateDirectory(tables);
        Directory.CreateDirectory(figures);
        var files = new List<string>();
        void Table(DataFrame t, string name)
        {
            TableFormat.WriteCsv(t, Path.Combine(tables, name + ".csv"));
            TableFormat.WriteMarkdown(t, Path.Combine(tables, name + ".md"));
            files.Add(Path.Combine(tables, name + ".csv"));
            files.Add(Path.Combine(tables, name + ".md"));
        }
        // The tables, then the figures, then the Grad-CAM pictures, each timed as its part of the study (when asked).
        var tablesTimed = times?.Measure(StudyPhase.Tables);
        Table(e.AccuracyTable(), "accuracy");
        Table(e.ClassScoresTable(), "class_scores");
        var headline = Path.Combine(tables, "headline.md");
        AtomicFile.WriteAllText(headline, e.Headline());
        files.Add(headline);
        // Which teachers taught: eval-mode accuracy and healthy recall beside the paired baseline (issue 21).
        var teachers = StudyTeachers.Evaluate(e);
        files.AddRange(StudyTeachers.Write(teachers, tables, e.Split));

        publishedMetricsPath ??= Path.Combine(AppContext.BaseDirectory, "paper-reference", "published-metrics.csv");
        if (File.Exists(publishedMetricsPath))
        {
            Table(Comparison(e, PublishedMetrics.Read(publishedMetricsPath)), "comparison_with_published");
        }
        tablesTimed?.Dispose();
        var figuresTimed = times?.Measure(StudyPhase.Figures);

        Save(StudyFigures.Accuracy(e.Cells.Select(ModelRunsOf).ToList(), MajorityRate(e), $"Accuracy per model ({e.Split} split)",
                e.Cells.FirstOrDefault()?.Group.Classes.Count),
            Path.Combine(figures, "accuracy.html"), files);

        if (BudgetFigure(e) is { } budgetFigure)
            Save(budgetFigure, Path.Combine(figures, "accuracy_vs_roi_fraction.html"), files);

        if (teachers.Count > 0)
            Save(TeachersFigure(e, teachers), Path.Combine(figures, TeachersFigureStem + ".html"), files);
        // The claims are scored after the tables (WriteClaims, minutes of Grad-CAM); a study folder that has them gets its forest plot here too.
        var claimsCsv = Path.Combine(tables, StudyClaims.FileStem + ".csv");
        if (File.Exists(claimsCsv)) files.AddRange(WriteClaimsFigure(e, StudyClaims.Read(claimsCsv)));

        foreach (var backbone in e.Cells.Select(c => c.Label).Distinct())
        {
            var main = e.Cells.Where(c => c.Label == backbone && c.Unit.Variant.Name == StudyVariant.Main.Name && c.Role != Role.Teacher).ToList();
            if (main.Count == 0) continue;
            Save(StudyFigures.TrainingCurves(backbone, main.Select(c => (c.Model, c.Kind, TrainingLog.Read(c.MetricsLog))).ToList()),
                Path.Combine(figures, $"curves_{FileStem(backbone)}.html"), files, width: 1200, height: 720);
            var classes = main[0].Group.Classes;
            Save(StudyFigures.Confusions(main.Select(c => (c.Model, SummedConfusion(c.Group))).ToList(), classes,
                    $"{backbone}: confusion summed over {StudyEvaluation.RunCount(main)} run(s) ({e.Split} split)"),
                Path.Combine(figures, $"confusion_{FileStem(backbone)}.html"), files);
            Save(StudyFigures.ClassF1(main.Select(c => (c.Model, c.Kind, c.Group.Classes, (IReadOnlyList<IReadOnlyDictionary<string, double>>)c.Group.PerRun.Select(r => r.Values).ToList())).ToList(),
                    $"{backbone}: F1 per class ({e.Split} split)"),
                Path.Combine(figures, $"class_f1_{FileStem(backbone)}.html"), files);
        }
        figuresTimed?.Dispose();
        // Grad-CAM pictures of one pair per backbone × condition, where a pair still has its checkpoints (a committed study
        // keeps none: then the pictures its own run wrote stay).
        using var pictures = times?.Measure(StudyPhase.DecisionRegions);
        StudyDecisionRegionFigures.Write(e, figures, (chart, path) => Save(chart, path, files, scale: DecisionRegionFigure.PngScale, png: DecisionRegionFigure.Png));
        // Pages kept from an earlier write (the decision-region pictures of a study without checkpoints) load plotly.js
        // from where the new ones do, and a copy no page loads any more goes.
        FigureFile.UseSharedPlotlyJs(figures);
        return files;
    }

    /// <summary>What <see cref="CompactFigures"/> changed in a study's <c>figures/</c>.</summary>
    /// <param name="Pages">HTML pages pointed at the shared plotly.js.</param>
    /// <param name="PlotlyJsRemoved">Whether the folder's own <c>plotly.min.js</c> was removed.</param>
    /// <param name="Pngs">PNGs written anew (as palette PNGs).</param>
    /// <param name="BytesBefore">Bytes of the folder's files before.</param>
    /// <param name="BytesAfter">Bytes of the folder's files after.</param>
    public sealed record FiguresCompacted(IReadOnlyList<string> Pages, bool PlotlyJsRemoved, IReadOnlyList<string> Pngs, long BytesBefore, long BytesAfter);

    /// <summary>
    /// Brings the figures a study folder already holds to the form <see cref="Write"/> now gives them, without drawing them
    /// again (no runs read, no numbers touched): the pages load the shared plotly.js where one is current
    /// (<see cref="FigureFile.UseSharedPlotlyJs"/>), and each PNG stored as lossless RGB is stored as <see cref="FigureFile.Save"/>
    /// stores it now (<see cref="FigureFile.Browser.Encode"/>: the decision-region figures always with a palette, the others
    /// where the palette is faithful). The RGB PNGs hold exactly the pixels Chromium rendered, so the result is the bytes a new
    /// write of the same figure gives. A palette PNG is left as it is. For a committed study folder written by an earlier build.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The study folder has no <c>figures/</c>.</exception>
    public static FiguresCompacted CompactFigures(string studyDir)
    {
        var figures = Path.Combine(studyDir, "figures");
        if (!Directory.Exists(figures))
            throw new DirectoryNotFoundException($"{studyDir}: expected a study folder with figures/ (written by reproduce, merge or report), found no {figures}.");
        long Bytes() => Directory.EnumerateFiles(figures).Sum(f => new FileInfo(f).Length);
        long before = Bytes();
        var (pages, removed) = FigureFile.UseSharedPlotlyJs(figures);
        var pngs = new List<string>();
        foreach (var path in Directory.EnumerateFiles(figures, "*.png").Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(path);
            var info = SixLabors.ImageSharp.Image.Identify(bytes);
            if (info?.Metadata.GetFormatMetadata(SixLabors.ImageSharp.Formats.Png.PngFormat.Instance).ColorType == SixLabors.ImageSharp.Formats.Png.PngColorType.Palette) continue;
            var encoding = Path.GetFileName(path).StartsWith(StudyDecisionRegionFigures.PictureStem, StringComparison.Ordinal) ? DecisionRegionFigure.Png : PngEncoding.PaletteWhereFaithful;
            var encoded = FigureFile.Browser.Encode(bytes, encoding);
            if (encoded.AsSpan().SequenceEqual(bytes)) continue;
            AtomicFile.WriteStream(path, s => s.Write(encoded));
            pngs.Add(path);
        }
        return new FiguresCompacted(pages, removed, pngs, before, Bytes());
    }

    /// <summary>
    /// The budget curve of <c>figures/accuracy_vs_roi_fraction</c>: every HKD student's accuracy against the share of training
    /// images whose ROI its teacher saw, the baseline as the 0 % point (the student with no annotated image), the noroi
    /// students as reference lines; null where the study trains one annotation fraction only (no curve to draw).
    /// </summary>
    public static Plotly.NET.GenericChart? BudgetFigure(StudyEvaluation e)
    {
        var budget = e.Cells.Where(c => c.Role == Role.Student && !c.Unit.Variant.TeacherOnRaw)
            .Select(c => (c.Label, c.Unit.Variant.RoiFraction, c.Group["accuracy"])).ToList();
        if (budget.Select(b => b.RoiFraction).Distinct().Count() <= 1) return null;
        // The baseline is the student with no annotated image: the budget curve's 0 % point.
        budget.AddRange(e.Cells.Where(c => c.Role == Role.Baseline).Select(c => (c.Label, 0.0, c.Group["accuracy"])));
        var references = e.Cells.Where(c => c.Role == Role.Student && c.Unit.Variant.TeacherOnRaw)
            .Select(c => ($"{c.Label} {c.Model}", c.Group["accuracy"].Mean)).ToList();
        return Figures.AccuracyVsRoiFraction(budget, references, $"HKD student accuracy vs share of annotated training images ({e.Split} split)");
    }

    /// <summary>
    /// Tests the paper's claims on the study (<see cref="StudyClaims"/>): scores every pair's decision regions with Grad-CAM
    /// (<see cref="StudyDecisionRegions"/>; minutes on a CPU) and every model's shortcut reliance (<see cref="StudyShortcutReliance"/>),
    /// then writes <c>tables/decision_regions.csv</c>, <c>tables/decision_regions_zero_maps.csv</c>, <c>tables/occlusion.csv</c>, <c>tables/shortcut_reliance.csv</c>
    /// (phantom data only), <c>tables/claims.csv</c> and <c>tables/claims.md</c>. Returns the claim rows.
    /// </summary>
    public static IReadOnlyList<ClaimRow> WriteClaims(StudyEvaluation e, IProgress? progress = null)
    {
        var tables = Path.Combine(e.StudyDir, "tables");
        Directory.CreateDirectory(tables);
        var occlusion = new List<OcclusionRow>();
        var regions = StudyDecisionRegions.Score(e, progress, occlusion);
        StudyDecisionRegions.Write(regions, Path.Combine(tables, StudyDecisionRegions.FileName));
        StudyDecisionRegions.WriteOcclusion(occlusion, Path.Combine(tables, StudyDecisionRegions.OcclusionFileName));
        StudyDecisionRegions.WriteZeroMaps(regions, Path.Combine(tables, StudyDecisionRegions.ZeroMapsFileName));
        var reliance = StudyShortcutReliance.Load(e);
        if (reliance.Count > 0) StudyShortcutReliance.Write(StudyShortcutReliance.Rows(reliance), Path.Combine(tables, StudyShortcutReliance.FileName));
        var claims = StudyClaims.Evaluate(e, regions, reliance: reliance, occlusion: occlusion);
        StudyClaims.Write(claims, tables, e.Preset, StudyClaims.PlateauNote(e));
        WriteClaimsFigure(e, StudyClaims.Read(Path.Combine(tables, StudyClaims.FileStem + ".csv")));
        return claims;
    }

    /// <summary>The file stem of the teachers' recall figure under <c>figures/</c>.</summary>
    public const string TeachersFigureStem = "teachers_recall";

    /// <summary>
    /// Writes <c>figures/claims_forest.html</c> (and its PNG where a Chromium is found): the forest plot of
    /// <paramref name="claims"/>, read back from <c>tables/claims.csv</c> so that the figure shows what the table says.
    /// Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteClaimsFigure(StudyEvaluation e, IReadOnlyList<ClaimRow> claims)
    {
        var files = new List<string>();
        if (claims.Count == 0) return files;
        var figures = Path.Combine(e.StudyDir, "figures");
        Directory.CreateDirectory(figures);
        var power = e.Preset.HasNoPower ? " — no statistical power: a check that every stage runs" : "";
        Save(StudyFigures.ClaimsForest(StudyClaims.ForestRows(claims), $"The paper's claims tested on the {e.Preset.Name} preset (tables/claims.csv){power}", StudyClaims.IntervalNote(claims)),
            Path.Combine(figures, StudyClaims.FigureStem + ".html"), files);
        return files;
    }

    /// <summary>Every teacher run's eval-mode recall per class (the rows of tables/teachers.csv), failing teachers marked; arms named as the study's cells name them.</summary>
    public static Plotly.NET.GenericChart TeachersFigure(StudyEvaluation e, IReadOnlyList<TeacherRow> teachers) =>
        TeachersFigure(teachers, e.Cells.Where(c => c.Role == Role.Teacher).Select(c => c.Unit.Variant).DistinctBy(v => v.Name).ToList(), e.Split);

    /// <summary>
    /// The teachers' figure (<see cref="StudyFigures.TeacherRecallFigure"/>) of <paramref name="teachers"/>: a panel per
    /// condition · backbone (rows) and arm (columns, labelled by <see cref="ModelLabel(Role, StudyVariant)"/> of the
    /// variant in <paramref name="variants"/> that a row names, else by the row's variant name), the healthy class's gate
    /// line at <see cref="StudyTeachers.HealthyRecallGate"/>. Its size follows the arms and classes, not the number of runs.
    /// </summary>
    /// <exception cref="ArgumentException">No teachers.</exception>
    public static Plotly.NET.GenericChart TeachersFigure(IReadOnlyList<TeacherRow> teachers, IReadOnlyList<StudyVariant> variants, string split)
    {
        string Arm(TeacherRow t) => variants.FirstOrDefault(v => v.Name == t.Variant) is { } v ? ModelLabel(Role.Teacher, v) : t.Variant;
        var rows = teachers.Select(t => new TeacherRecall(string.Join(" · ", new[] { t.Condition, t.Backbone }.Where(x => x.Length > 0)), Arm(t), t.Run,
            t.ClassRecall, t.Accuracy, t.BaselineAccuracy, t.Gate)).ToList();
        var classes = teachers.SelectMany(t => t.ClassRecall.Keys).Distinct().ToList();
        return StudyFigures.TeacherRecallFigure(rows, classes, $"Teachers' eval-mode recall per class and accuracy, own input ({split} split; tables/teachers.csv)",
            FormattableString.Invariant($"healthy recall ≥ {StudyTeachers.HealthyRecallGate:0.0#} and accuracy ≥ the paired baseline's"),
            classes.FirstOrDefault(StudyTeachers.IsHealthy), StudyTeachers.HealthyRecallGate);
    }

    /// <summary>
    /// Ours beside the published numbers, matched by role. Backbones are matched by name where the
    /// study ran a paper backbone; otherwise against the published ResNet50 (the nearest published
    /// family), which the table names in its experiment column.
    /// </summary>
    public static DataFrame Comparison(StudyEvaluation e, PublishedMetrics published)
    {
        var entries = new List<ComparisonEntry>();
        foreach (var c in e.Cells.Where(c => c.Unit.Variant.Name is "do" or "noroi" || c.Unit.Variant.Name.StartsWith("roi", StringComparison.Ordinal)))
        {
            var theirs = PublishedMetrics.BackboneNames.ContainsKey(c.Backbone) ? c.Backbone : "resnet50";
            var suffix = c.Unit.Variant.Name == "do" ? "" : "_" + (c.Unit.Variant.Name.StartsWith("roi", StringComparison.Ordinal) ? c.Unit.Variant.Name[3..] + "roi" : c.Unit.Variant.Name);
            var experiment = PublishedMetrics.ExperimentName(theirs, distilled: c.Role != Role.Baseline, suffix);
            if (!published.Results.Any(r => r.Experiment == experiment && r.Role == c.Role)) continue;
            entries.Add(new ComparisonEntry(c.Group with { Group = $"{c.Label} {c.Model}" }, e.Split, e.Preset.Recipe == StudyRecipe.Authors ? "authors" : $"PneuKnow {e.Preset.Name} preset, phantom data", experiment, c.Role));
        }
        return PaperTables.Comparison(entries, published);
    }

    /// <summary>The part of a figure's file name that names a backbone (and condition) label: <c>cntk_resnet18 · clean</c> → <c>cntk_resnet18_clean</c>.</summary>
    public static string FileStem(string label) => label.Replace(" · ", "_", StringComparison.Ordinal);

    static ModelRuns ModelRunsOf(StudyCell c) => new(c.Label, c.Model, c.Kind,
        c.Group.PerRun.Select(r => r.Values["accuracy"]).ToArray(), c.Group.PerRun.Select(r => r.Values["macro_recall"]).ToArray());

    /// <summary>The accuracy of always answering the commonest class of the reported split (from the first run's supports).</summary>
    static double? MajorityRate(StudyEvaluation e)
    {
        var support = e.Cells.FirstOrDefault()?.Group.PerRun.FirstOrDefault()?.Report.Support;
        return support is null || support.Sum() == 0 ? null : (double)support.Max() / support.Sum();
    }

    static int[,] SummedConfusion(RunGroup g)
    {
        int k = g.Classes.Count;
        var summed = new int[k, k];
        foreach (var r in g.PerRun) for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) summed[i, j] += r.Report.Confusion[i, j];
        return summed;
    }

    static int browserWarned;

    // Without a size the figure is saved at its own layout size (FigureFile.LayoutSize), else at the default.
    static void Save(Plotly.NET.GenericChart chart, string path, List<string> files, int? width = null, int? height = null, double scale = FigureFile.PngScale, PngEncoding png = PngEncoding.PaletteWhereFaithful)
    {
        var saved = FigureFile.Save(chart, path, width, height, scale, png);
        files.AddRange(saved.Files);
        // One line per process, not one per figure: the fix (install a browser) is the same for all of them.
        if (saved.Warning is { } w && Interlocked.Exchange(ref browserWarned, 1) == 0) Console.Error.WriteLine(w);
    }
}
