using System.Globalization;
using System.Text;
using PneuKnow.Distillation;
using PneuKnow.Plots;
using PneuKnow.Study;
using PneuKnow.Tests.Plots;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// The projected <c>du -sb</c> of a study folder once its preset has finished and its runs are packed, from the part of it
/// committed so far (issue 24: results/reference/study under 10,000,000 bytes). Measured, not estimated: each unit of the
/// preset is packed (<see cref="StudyPack.Pack"/>, on a copy) from the first of its committed runs, or of a committed unit
/// of the same kind, at the unit's own run count; and the teachers' figure, drawn for the preset's teacher runs
/// (<see cref="TeachersFigure"/>). Estimated: the other tables and figures, from a finished reference folder of the same
/// design (the quick reference) scaled by what each file's rows are (<see cref="TableScale"/>), and the decision-region
/// figures, which the quick reference does not hold (<see cref="DecisionRegionFigureBytes"/>).
/// </summary>
internal sealed record StudySizeProjection(IReadOnlyList<(string Item, long Bytes, string How)> Items)
{
    /// <summary>The projected <c>du -sb</c>.</summary>
    public long Total => Items.Sum(i => i.Bytes);

    /// <summary>
    /// Bytes of one backbone × condition's decision-region figures, which the quick reference does not hold, from the smoke
    /// study's measurement (docs/study-design.md, "The decision-region figures are written small"): the picture's PNG
    /// 230,874 bytes taken 1.5 times (350,000: the same layout, sharper 112-px tiles), its HTML 91,057 with its 69,954 bytes of
    /// tiles taken three times (231,000), and the paired-scores figure of 400 scored images instead of 40 (120,000).
    /// </summary>
    public const long DecisionRegionFigureBytes = 700_000;

    /// <summary>The rows a reference folder's table or figure scales with.</summary>
    public enum Rows { Fixed, Cells, ScoredRuns, TeacherRuns, Runs }

    /// <summary>
    /// What a file of <c>tables/</c> or <c>figures/</c> holds a row (or a picture row) of: a scored main-arm run
    /// (<c>decision_regions</c>, <c>occlusion</c>, the zero-map table), a teacher run (<c>teachers</c>; its figure is drawn,
    /// not scaled: <see cref="TeachersFigure"/>), any run
    /// (<c>shortcut_reliance</c>), a backbone × condition (training curves and confusion matrices: means and sums), or a model
    /// of a unit (everything else: accuracy, class scores, claims and their forest plot, the published comparison).
    /// </summary>
    public static Rows TableScale(string file)
    {
        var name = Path.GetFileName(file);
        if (name.StartsWith("decision_regions", StringComparison.Ordinal) || name.StartsWith("occlusion", StringComparison.Ordinal)) return Rows.ScoredRuns;
        if (name.StartsWith("teachers", StringComparison.Ordinal)) return Rows.TeacherRuns;
        if (name.StartsWith("shortcut_reliance", StringComparison.Ordinal)) return Rows.Runs;
        if (name.StartsWith("curves_", StringComparison.Ordinal) || name.StartsWith("confusion_", StringComparison.Ordinal) || name.StartsWith("class_f1_", StringComparison.Ordinal)) return Rows.Fixed;
        return Rows.Cells;
    }

    static bool MainArm(StudyUnit u) => u.Variant.Name == StudyVariant.Main.Name;

    /// <summary>How many of <paramref name="rows"/> a preset has.</summary>
    public static int Count(StudyPreset preset, Rows rows)
    {
        var units = StudyGrid.Units(preset);
        return rows switch
        {
            Rows.Fixed => 1,
            Rows.Cells => units.Sum(u => StudyReport.RolesOf(u).Count),
            Rows.ScoredRuns => units.Where(MainArm).Sum(u => preset.RunsOf(u) * StudyReport.RolesOf(u).Count),
            Rows.TeacherRuns => units.Where(u => u.Kind == StudyUnitKind.Distillation).Sum(preset.RunsOf),
            _ => units.Sum(u => preset.RunsOf(u) * StudyReport.RolesOf(u).Count),
        };
    }

    /// <summary>
    /// Projects <paramref name="preset"/>'s finished folder from the runs committed under <paramref name="studyDir"/> and the
    /// tables and figures of <paramref name="reference"/>, a finished folder of <paramref name="referencePreset"/>.
    /// <paramref name="scratch"/> is an empty folder for the copies that are packed.
    /// </summary>
    public static StudySizeProjection Compute(string studyDir, StudyPreset preset, string reference, StudyPreset referencePreset, string scratch)
    {
        var items = new List<(string, long, string)>();
        // The committed runs, plain (a pack unpacked on the copy), so that any prefix of them can be packed.
        var committed = Path.Combine(scratch, "committed");
        Copy(Path.Combine(studyDir, "runs"), Path.Combine(committed, "runs"));
        StudyPack.Unpack(committed);
        var packed = new Dictionary<(string, int, bool), long>();
        foreach (var unit in StudyGrid.Units(preset))
        {
            int needed = preset.RunsOf(unit);
            var (template, strip) = Template(committed, unit);
            int available = FinishedPairs(template, unit.Kind);
            int n = Math.Min(needed, available);
            if (!packed.TryGetValue((template, n, strip), out var bytes))
            {
                var copy = Path.Combine(scratch, $"pack{packed.Count}");
                var target = Path.Combine(copy, "runs", Path.GetFileName(template).Replace("_do_", strip ? "_noroi_" : "_do_", StringComparison.Ordinal));
                CopyUnit(template, target, n, strip);
                StudyPack.Pack(copy);
                bytes = ResultsHygiene.Bytes(target);
                packed[(template, n, strip)] = bytes;
            }
            long scaled = (long)Math.Ceiling(bytes * (double)needed / n);
            items.Add(($"runs/{unit.Key}", scaled, string.Create(CultureInfo.InvariantCulture,
                $"{needed} run(s) per role: {(Path.GetFileName(template) == unit.Key ? "its own" : Path.GetFileName(template) + "'s")} first {n}{(strip ? " without scores" : "")} packed, {bytes:N0} bytes{(n < needed ? $" × {needed}/{n}" : "")}")));
        }
        items.Add(("the study folder, runs/, tables/, figures/ (folder entries)", 4 * ResultsHygiene.FolderEntryBytes, "du -sb counts 4,096 bytes per folder"));
        foreach (var file in new[] { "study.json", "README.md" }.Select(f => Path.Combine(reference, f)).Where(File.Exists))
            items.Add((Path.GetFileName(file), new FileInfo(file).Length, "as the reference's"));
        foreach (var folder in new[] { "tables", "figures", "notebooks" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(reference, folder)).Order(StringComparer.Ordinal))
            {
                // The teachers' figure is drawn for the preset's teachers below, not scaled: its size follows the arms, not the runs.
                if (folder == "figures" && Path.GetFileName(file).StartsWith(StudyReport.TeachersFigureStem + ".", StringComparison.Ordinal)) continue;
                var rows = folder == "notebooks" ? Rows.Fixed : TableScale(file);
                int theirs = Count(referencePreset, rows), ours = Count(preset, rows);
                long size = new FileInfo(file).Length;
                items.Add(($"{folder}/{Path.GetFileName(file)}", (long)Math.Ceiling(size * (double)ours / theirs),
                    rows == Rows.Fixed ? $"as the reference's ({size:N0})" : string.Create(CultureInfo.InvariantCulture, $"the reference's {size:N0} × {ours}/{theirs} {rows}")));
            }
        // Figures the reference has not: the annotation-budget curve (drawn like accuracy.*) and the decision-region figures.
        if (preset.Variants.Any(v => v.Name.StartsWith("roi", StringComparison.Ordinal)) && !referencePreset.Variants.Any(v => v.Name.StartsWith("roi", StringComparison.Ordinal)))
            foreach (var file in Directory.EnumerateFiles(Path.Combine(reference, "figures"), "accuracy.*"))
                items.Add(($"figures/accuracy_vs_roi_fraction{Path.GetExtension(file)}", new FileInfo(file).Length, "as the reference's accuracy figure"));
        items.AddRange(TeachersFigure(preset, Path.Combine(scratch, "teachers")));
        int pictures = StudyGrid.Units(preset).Where(u => MainArm(u) && u.Kind == StudyUnitKind.Distillation).Count();
        if (!Directory.EnumerateFiles(Path.Combine(reference, "figures"), StudyDecisionRegionFigures.PictureStem + "*").Any())
            items.Add(("figures/decision_regions_*", pictures * DecisionRegionFigureBytes, $"{pictures} backbone × condition × {DecisionRegionFigureBytes:N0} (estimated from the smoke study)"));
        return new StudySizeProjection(items);
    }

    /// <summary>
    /// <c>figures/teachers_recall.html</c> and <c>.png</c> of <paramref name="preset"/>, measured: drawn by
    /// <see cref="StudyReport.TeachersFigure(IReadOnlyList{TeacherRow}, IReadOnlyList{StudyVariant}, string)"/> for one
    /// synthetic teacher row per run of the preset (<see cref="SyntheticTeachers"/>: the figure's size follows its arms and
    /// classes, its bytes barely its values) and saved by <see cref="FigureFile.Save"/> into
    /// <c><paramref name="scratch"/>/reference/study/figures/</c>, with the plotly.js Plotly.NET embeds two folders up, so
    /// that the page loads the shared copy as a committed study's page does.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Chromium to export the PNG with.</exception>
    public static IReadOnlyList<(string Item, long Bytes, string How)> TeachersFigure(StudyPreset preset, string scratch)
    {
        if (FigureFile.Browser.Find() is null) throw new InvalidOperationException(FigureFile.Browser.MissingMessage("the teachers' figure of the size projection"));
        var reference = Directory.CreateDirectory(Path.Combine(scratch, "reference")).FullName;
        File.WriteAllBytes(Path.Combine(reference, FigureFile.PlotlyJsFileName), FigureFile.PlotlyJs());
        var figures = Directory.CreateDirectory(Path.Combine(reference, "study", "figures")).FullName;
        var teachers = SyntheticTeachers.Of(preset);
        var chart = StudyReport.TeachersFigure(teachers, SyntheticTeachers.Variants(preset), "test");
        var saved = FigureFile.Save(chart, Path.Combine(figures, StudyReport.TeachersFigureStem + ".html"));
        var png = SixLabors.ImageSharp.Image.Identify(saved.Png!);
        string how = string.Create(CultureInfo.InvariantCulture, $"drawn for the preset's {teachers.Count} teacher runs (synthetic rows; {png.Width:N0} × {png.Height:N0} px)");
        return [($"figures/{Path.GetFileName(saved.Html)}", new FileInfo(saved.Html).Length, how), ($"figures/{Path.GetFileName(saved.Png!)}", new FileInfo(saved.Png!).Length, how)];
    }

    /// <summary>The committed unit whose runs stand for <paramref name="unit"/>'s, and whether their scores are left out (a control arm's runs carry none).</summary>
    static (string Unit, bool Strip) Template(string committed, StudyUnit unit)
    {
        var units = Directory.GetDirectories(Path.Combine(committed, "runs")).Order(StringComparer.Ordinal).ToList();
        bool Usable(string u, bool main) => Path.GetFileName(u).EndsWith(unit.Kind == StudyUnitKind.Baseline ? "_baseline" : "_kd", StringComparison.Ordinal)
            && Path.GetFileName(u).Contains("_do_", StringComparison.Ordinal) == main && FinishedPairs(u, unit.Kind) > 0;
        var own = units.FirstOrDefault(u => Path.GetFileName(u) == unit.Key && FinishedPairs(u, unit.Kind) > 0);
        if (own is not null) return (own, false);
        bool main = MainArm(unit);
        // The committed unit of the same kind with the most finished runs.
        var same = units.Where(u => Usable(u, main)).OrderByDescending(u => FinishedPairs(u, unit.Kind)).FirstOrDefault();
        if (same is not null) return (same, false);
        // A control arm's pairs before any is committed: a main arm's pairs without their scores.
        var scored = units.Where(u => Usable(u, true)).OrderByDescending(u => FinishedPairs(u, unit.Kind)).FirstOrDefault()
            ?? throw new InvalidOperationException($"{committed}: expected a committed {unit.Kind} unit with finished runs to project {unit.Key} from, found none.");
        return (scored, !main);
    }

    static IEnumerable<int> Finished(string roleDir) => !Directory.Exists(roleDir) ? [] :
        Directory.GetDirectories(roleDir, RunFolder.NamePrefix + "*")
            .Where(r => File.Exists(Path.Combine(r, RunFolder.ResultFileName)))
            .Select(r => int.Parse(Path.GetFileName(r)[RunFolder.NamePrefix.Length..], CultureInfo.InvariantCulture));

    // Runs k finished in every role of the unit (a pair: teacher and student).
    static List<int> FinishedRuns(string unit, StudyUnitKind kind)
    {
        var roles = kind == StudyUnitKind.Baseline ? [Role.Baseline] : new[] { Role.Teacher, Role.Student };
        return roles.Select(r => Finished(Experiment.RoleFolder(unit, r)).ToHashSet()).Aggregate((a, b) => { a.IntersectWith(b); return a; }).Order().ToList();
    }

    static int FinishedPairs(string unit, StudyUnitKind kind) => FinishedRuns(unit, kind).Count;

    static void CopyUnit(string unit, string target, int n, bool strip)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(unit)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var kind = Path.GetFileName(unit).EndsWith("_baseline", StringComparison.Ordinal) ? StudyUnitKind.Baseline : StudyUnitKind.Distillation;
        var runs = FinishedRuns(unit, kind).Take(n).ToList();
        foreach (var role in Directory.GetDirectories(unit))
        {
            var roleTarget = Directory.CreateDirectory(Path.Combine(target, Path.GetFileName(role))).FullName;
            foreach (var file in Directory.GetFiles(role)) File.Copy(file, Path.Combine(roleTarget, Path.GetFileName(file)));
            foreach (var k in runs)
            {
                var run = Path.Combine(role, RunFolder.NameOf(k));
                if (!Directory.Exists(run)) continue;
                var runTarget = Directory.CreateDirectory(Path.Combine(roleTarget, RunFolder.NameOf(k))).FullName;
                foreach (var file in Directory.GetFiles(run))
                {
                    var name = Path.GetFileName(file);
                    if (name.EndsWith(".pt", StringComparison.Ordinal)) continue;
                    if (strip && (name.StartsWith("decision_regions", StringComparison.Ordinal) || name.StartsWith("occlusion", StringComparison.Ordinal))) continue;
                    File.Copy(file, Path.Combine(runTarget, name));
                }
            }
        }
    }

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) Copy(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>One line per item and the total, for the test output and docs/study-design.md.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var (item, bytes, how) in Items) text.AppendLine(CultureInfo.InvariantCulture, $"{bytes,12:N0}  {item}: {how}");
        foreach (var group in Items.GroupBy(i => i.Item.Split('/')[0]))
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.Sum(i => i.Bytes),12:N0}  {group.Key} in all");
        text.AppendLine(CultureInfo.InvariantCulture, $"{Total,12:N0}  projected du -sb");
        return text.ToString();
    }
}
