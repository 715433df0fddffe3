using System.Globalization;
using PneuKnow.Data;
using PneuKnow.Distillation;
using PneuKnow.Explain;
using PneuKnow.Plots;
using PneuKnow.Runtime;
using PneuKnow.Training;
using SixLabors.ImageSharp;

namespace PneuKnow.Study;

/// <summary>
/// The decision-region figures of a study (docs/figures.md): per backbone × condition, <c>figures/decision_regions_&lt;label&gt;</c>
/// (Grad-CAM pictures of chosen test images, <see cref="DecisionRegionFigure"/>) and beside it
/// <c>figures/decision_regions_scores_&lt;label&gt;</c> (the paired scores of every scored image of the same pair).
/// </summary>
/// <remarks>
/// The pictures need the three checkpoints (<c>best.pt</c>) of one pair: the baseline, the HKD student and the ROI teacher
/// of the main arm. The figure uses the lowest pair k that still has all three, and says which. A committed study keeps no
/// checkpoints, so a report made from it (<c>pneuknow report</c>) leaves the figures the study's own run wrote in place.
/// <para>
/// Rows are chosen by a rule fixed before any result, from the pair's scored images (<c>decision_regions.csv</c> of the
/// baseline and the student): in the shortcut condition, among the images that carry a device, the up to
/// <see cref="ExtremeRows"/> images where the student's Grad-CAM energy on the device falls most below the baseline's (a gain)
/// and the up to <see cref="ExtremeRows"/> where it rises most above it (a loss); in the clean condition, among the images
/// with an expert mask, those where the student's energy inside the mask rises most (gain) and falls most (loss); then
/// <see cref="RandomRows"/> images drawn from the remaining scored ones with a fixed seed, so that the extremes are seen
/// beside typical images. Ties are broken by file name.
/// </para>
/// </remarks>
public static class StudyDecisionRegionFigures
{
    /// <summary>File stem prefix of the pictures (<c>decision_regions_cntk_resnet18_clean</c>).</summary>
    public const string PictureStem = "decision_regions_";

    /// <summary>File stem prefix of the paired scores beside them.</summary>
    public const string ScoresStem = "decision_regions_scores_";

    /// <summary>Images shown at each end of the paired difference.</summary>
    public const int ExtremeRows = 2;

    /// <summary>Images drawn at random from the rest.</summary>
    public const int RandomRows = 2;

    /// <summary>The seed of the random rows (fixed: the rows must not depend on when or where the report runs).</summary>
    public const int RandomSeed = 2023;

    /// <summary>One backbone × condition's figure: its label, the pair pictured, and the chart; or why there is none.</summary>
    /// <param name="Label">Backbone with condition.</param>
    /// <param name="Pair">The pair k pictured; null when no pair has its three checkpoints.</param>
    /// <param name="Picture">The pictures; null with <paramref name="Pair"/>.</param>
    /// <param name="Scores">The paired scores of the pair's scored images; null with <paramref name="Pair"/>.</param>
    /// <param name="Note">What was drawn, or why nothing was.</param>
    public sealed record Figure(string Label, int? Pair, Plotly.NET.GenericChart? Picture, Plotly.NET.GenericChart? Scores, string Note);

    /// <summary>
    /// The figures of every backbone × condition of the main arm. Loads checkpoints and computes Grad-CAMs of the chosen images:
    /// call <see cref="TorchRuntime.Initialize"/> first.
    /// </summary>
    public static IReadOnlyList<Figure> Build(StudyEvaluation e)
    {
        var figures = new List<Figure>();
        foreach (var label in e.Cells.Select(c => c.Label).Distinct())
        {
            var baseline = MainCell(e, label, Role.Baseline);
            var student = MainCell(e, label, Role.Student);
            var teacher = MainCell(e, label, Role.Teacher);
            if (baseline is null || student is null || teacher is null) continue;
            int pairs = new[] { baseline, student, teacher }.Min(c => c.RunFolders.Count);
            int? pair = Enumerable.Range(0, pairs).Cast<int?>().FirstOrDefault(k =>
                new[] { baseline, student, teacher }.All(c => File.Exists(new RunFolder(c.RunFolders[k!.Value]).BestModel))
                && new[] { baseline, student }.All(c => Csv.Exists(Path.Combine(c.RunFolders[k!.Value], StudyDecisionRegions.RunScoresFileName))));
            if (pair is not { } k)
            {
                figures.Add(new Figure(label, null, null, null,
                    $"{label}: no pair of {pairs} keeps the checkpoints (best.pt) of its baseline, HKD student and ROI teacher, so no decision-region pictures"));
                continue;
            }
            figures.Add(Draw(e, label, k, baseline, student, teacher));
        }
        return figures;
    }

    static StudyCell? MainCell(StudyEvaluation e, string label, Role role) => e.Cells.FirstOrDefault(c => c.Label == label && c.IsMain(role));

    static Figure Draw(StudyEvaluation e, string label, int k, StudyCell baselineCell, StudyCell studentCell, StudyCell teacherCell)
    {
        var baselineRows = StudyDecisionRegions.ReadRows(Csv.Locate(Path.Combine(baselineCell.RunFolders[k], StudyDecisionRegions.RunScoresFileName))!);
        var studentRows = StudyDecisionRegions.ReadRows(Csv.Locate(Path.Combine(studentCell.RunFolders[k], StudyDecisionRegions.RunScoresFileName))!);
        var studentByFile = studentRows.ToDictionary(r => r.FileName);
        var paired = baselineRows.Where(r => studentByFile.ContainsKey(r.FileName)).Select(r => (Baseline: r, Student: studentByFile[r.FileName])).ToList();
        bool shortcut = baselineCell.Unit.ConditionName == StudyCondition.Shortcut.Name;
        var chosen = Choose(paired, shortcut);

        using var baseline = TrainedModel.Load(baselineCell.RunFolders[k]);
        using var student = TrainedModel.Load(studentCell.RunFolders[k]);
        using var teacher = TrainedModel.Load(teacherCell.RunFolders[k]);
        var images = (ImageStore.Subset)student.OpenSplit(e.Split);
        var indexOf = Enumerable.Range(0, images.Count).ToDictionary(i => images.RecordOf(i).FileName);
        var indices = chosen.Select(c => indexOf.TryGetValue(c.File, out var i) ? i
            : throw new InvalidDataException($"{studentCell.RunFolders[k]}: scored image {c.File} is not in the {e.Split} split the run opens.")).ToArray();
        var dataDir = Path.GetDirectoryName(student.MetadataFile!)!;
        var columns = new (StudyCell Cell, TrainedModel Trained, ImagePlane Plane, string Name)[]
        {
            (baselineCell, baseline, ImagePlane.Image, baselineCell.Model),
            (studentCell, student, ImagePlane.Image, studentCell.Model),
            (teacherCell, teacher, ImagePlane.Roi, FigureStyle.Label(teacherCell.Model, ModelKind.Teacher) + "<br>on its ROI input"),
        };
        var maps = columns.Select(c => GradCam.OfImages(c.Trained.Model, images, indices, CamTarget.Predicted, c.Plane, device: TorchRuntime.Device)).ToArray();
        var classes = images.Classes;
        var rows = new List<DecisionRegionImageRow>();
        for (int j = 0; j < indices.Length; j++)
        {
            var example = images.Get(indices[j]);
            var device = StudyDecisionRegions.ReadDeviceMask(dataDir, chosen[j].File, example);
            var panels = new List<DecisionRegionPanel>();
            for (int m = 0; m < columns.Length; m++)
            {
                var map = maps[m][j];
                using var tile = CamOverlay.Render(example, map, alpha: 0.6, plane: columns[m].Plane, device: device);
                panels.Add(new DecisionRegionPanel(columns[m].Name, columns[m].Cell.Kind, DecisionRegionFigure.EncodeTile(tile), tile.Width, tile.Height,
                    FigureStyle.ClassName(classes[map.Class]), map.Probability,
                    DecisionRegions.EnergyOrZero(map.Values, example.Mask), device is null ? null : DecisionRegions.EnergyOrZero(map.Values, device)));
            }
            rows.Add(new DecisionRegionImageRow(chosen[j].File, FigureStyle.ClassName(classes[example.Label]), chosen[j].Reason, panels));
        }
        string measure = shortcut ? "energy on the device, baseline − student" : "energy inside the expert mask, student − baseline";
        var picture = DecisionRegionFigure.Build(rows, $"{label}: Grad-CAM of the predicted class, pair {k} ({e.Split} split)",
            $"rows: the up to {ExtremeRows} largest gains and losses in {measure} among the pair's scored images, then {RandomRows} at random<br>"
            + "green: expert mask; magenta: planted device; energies are shares of the map's energy");
        var scores = StudyFigures.PairedScoresFigure(ScoreSeries(paired, shortcut),
            $"{label}: Grad-CAM scores of every scored image, pair {k} ({e.Split} split), baseline vs HKD student");
        string note = FormattableString.Invariant($"{label}: decision regions of pair {k}, {rows.Count} images ({string.Join("; ", chosen.Select(c => c.File))}), from {paired.Count} scored images");
        return new Figure(label, k, picture, scores, note);
    }

    /// <summary>
    /// The rows the rule picks (see the class remarks) from a pair's scored images: file and reason, in display order.
    /// </summary>
    /// <param name="paired">Baseline and student rows of the same images.</param>
    /// <param name="shortcut">True in the shortcut condition (the device decides), false in the clean one (the mask does).</param>
    public static IReadOnlyList<(string File, string Reason)> Choose(IReadOnlyList<(DecisionRegionRow Baseline, DecisionRegionRow Student)> paired, bool shortcut)
    {
        // Positive = as the paper claims: the student looks more at the expert's region, or less at the device.
        double Gain((DecisionRegionRow Baseline, DecisionRegionRow Student) p) => shortcut
            ? p.Baseline.EnergyOnConfounder - p.Student.EnergyOnConfounder
            : p.Student.EnergyInMask - p.Baseline.EnergyInMask;
        var eligible = paired.Where(p => double.IsFinite(Gain(p))).OrderBy(p => p.Baseline.FileName, StringComparer.Ordinal).ToList();
        var chosen = new List<(string File, string Reason)>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        void Take(IEnumerable<(DecisionRegionRow Baseline, DecisionRegionRow Student)> ordered, string which)
        {
            foreach (var p in ordered.Where(p => !taken.Contains(p.Baseline.FileName)).Take(ExtremeRows))
            {
                taken.Add(p.Baseline.FileName);
                chosen.Add((p.Baseline.FileName, FormattableString.Invariant($"{which} ({Gain(p):+0.000;−0.000;0.000})")));
            }
        }
        // Ties broken by file name (the stable sort keeps the ordinal order of eligible), so the rows never depend on run order.
        Take(eligible.Where(p => Gain(p) > 0).OrderByDescending(Gain), "largest gain");
        Take(eligible.Where(p => Gain(p) < 0).OrderBy(Gain), "largest loss");
        var rest = paired.Select(p => p.Baseline.FileName).Where(f => !taken.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var random = new Random(RandomSeed);
        for (int r = 0; r < RandomRows && rest.Count > 0; r++)
        {
            int i = random.Next(rest.Count);
            chosen.Add((rest[i], "drawn at random"));
            rest.RemoveAt(i);
        }
        return chosen;
    }

    static IReadOnlyList<PairedScores> ScoreSeries(IReadOnlyList<(DecisionRegionRow Baseline, DecisionRegionRow Student)> paired, bool shortcut)
    {
        PairedScores Of(string metric, Func<DecisionRegionRow, double> score)
        {
            var both = paired.Where(p => double.IsFinite(score(p.Baseline)) && double.IsFinite(score(p.Student))).ToList();
            return new PairedScores(metric, both.Select(p => score(p.Baseline)).ToArray(), both.Select(p => score(p.Student)).ToArray());
        }
        var series = new List<PairedScores> { Of("energy in mask", r => r.EnergyInMask), Of("pointing game", r => r.PointingGame) };
        if (shortcut) series.Add(Of("energy on device", r => r.EnergyOnConfounder));
        return series;
    }

    /// <summary>
    /// Saves every figure that could be drawn under <paramref name="figuresDir"/> with <paramref name="save"/> and returns one
    /// note per backbone × condition (what was drawn, or why not). A label without checkpoints keeps whatever figure an
    /// earlier run wrote.
    /// </summary>
    public static IReadOnlyList<string> Write(StudyEvaluation e, string figuresDir, Action<Plotly.NET.GenericChart, string> save)
    {
        var notes = new List<string>();
        foreach (var f in Build(e))
        {
            notes.Add(f.Note);
            if (f.Picture is null || f.Scores is null) continue;
            save(f.Picture, Path.Combine(figuresDir, PictureStem + StudyReport.FileStem(f.Label) + ".html"));
            save(f.Scores, Path.Combine(figuresDir, ScoresStem + StudyReport.FileStem(f.Label) + ".html"));
        }
        return notes;
    }
}
