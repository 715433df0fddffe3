using System.Globalization;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Distillation;
using PneuKnow.Explain;
using PneuKnow.Runtime;
using PneuKnow.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Study;

/// <summary>
/// Grad-CAM scores of one model on one image of the scored test set: of the class the model predicts (the headline: where
/// the evidence for its decision lies, right or wrong) and of the true class (secondary). No score depends on whether the
/// model's map is empty: an all-zero map scores 0 and is flagged, never left out.
/// </summary>
/// <param name="Condition">Data condition (empty for a single-condition preset).</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">baseline, HKD student or ROI teacher (the teacher is an oracle: it is explained on its ROI input).</param>
/// <param name="Role">The model's role, which the claims select by (the label is for reading).</param>
/// <param name="Run">Pair number k.</param>
/// <param name="FileName">The test image.</param>
/// <param name="Label">Its true class code.</param>
/// <param name="Predicted">The class code the model predicts (the target of the headline CAM).</param>
/// <param name="EnergyInMask">Share of the predicted class's CAM mass inside the expert mask (0 for an all-zero CAM; NaN when the image has no mask, e.g. a healthy one).</param>
/// <param name="PointingGame">1 when the predicted class's CAM maximum lies in the expert mask, else 0 (0 for a constant CAM; NaN without a mask).</param>
/// <param name="EnergyOnConfounder">Share of the predicted class's CAM mass on the planted confounder (0 for an all-zero CAM; NaN when the image carries none).</param>
/// <param name="CamAllZero">Whether the predicted class's CAM is all zero.</param>
/// <param name="EnergyInMaskTrueClass">As <paramref name="EnergyInMask"/>, for the CAM of the true class.</param>
/// <param name="EnergyOnConfounderTrueClass">As <paramref name="EnergyOnConfounder"/>, for the CAM of the true class.</param>
/// <param name="CamAllZeroTrueClass">Whether the true class's CAM is all zero.</param>
public sealed record DecisionRegionRow(string Condition, string Backbone, string Model, Role Role, int Run, string FileName, int Label, int Predicted,
    double EnergyInMask, double PointingGame, double EnergyOnConfounder, bool CamAllZero,
    double EnergyInMaskTrueClass, double EnergyOnConfounderTrueClass, bool CamAllZeroTrueClass);

/// <summary>
/// The occlusion check of one model on one annotated test image (<see cref="Occlusion"/>): the true class's probability on
/// the image, and how much it falls when the expert's region, or the same region mirrored left-right, is hidden.
/// </summary>
/// <param name="Condition">Data condition.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">baseline or HKD student.</param>
/// <param name="Role">The model's role, which the claims select by (the label is for reading).</param>
/// <param name="Run">Pair number k.</param>
/// <param name="FileName">The test image.</param>
/// <param name="Probability">The true class's probability on the intact image.</param>
/// <param name="DropMask">Probability on the intact image − with the expert region hidden.</param>
/// <param name="DropMirror">Probability on the intact image − with the mirrored region hidden.</param>
public sealed record OcclusionRow(string Condition, string Backbone, string Model, Role Role, int Run, string FileName, double Probability, double DropMask, double DropMirror)
{
    /// <summary><see cref="DropMask"/> − <see cref="DropMirror"/>: positive when the decision rests more on the expert's region than on an equal area elsewhere.</summary>
    public double Faithfulness => DropMask - DropMirror;
}

/// <summary>What <see cref="StudyDecisionRegions.ScoreRun"/> scores for one run, and the labels its rows carry.</summary>
/// <param name="Condition">Data condition (empty for a single-condition preset).</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">Model label (<see cref="StudyReport.ModelLabel(StudyUnit, Distillation.Role)"/>).</param>
/// <param name="Role">The model's role, which the claims select by (the label is for reading).</param>
/// <param name="Run">Pair number k.</param>
/// <param name="Plane">The input the model is explained on: full images, or ROIs for a ROI teacher.</param>
/// <param name="Split">The split scored.</param>
/// <param name="Images">How many of its first images (<see cref="StudyPreset.DecisionRegionImages"/>).</param>
/// <param name="Occlusion">Whether to run the occlusion check too.</param>
public sealed record RunScoring(string Condition, string Backbone, string Model, Role Role, int Run, ImagePlane Plane, string Split, int Images, bool Occlusion);

/// <summary>
/// The stamp of a run's cached scores: the run's key (from <c>result.json</c>), what was scored, and the scorer's version.
/// Only what changes the numbers is in it; the labels are the caller's.
/// </summary>
/// <param name="RunKey">The finished run's key.</param>
/// <param name="Split">Split scored.</param>
/// <param name="Plane">Image plane.</param>
/// <param name="Images">Images requested.</param>
/// <param name="Occlusion">Whether occlusion was checked.</param>
/// <param name="Version">The scorer's version (<see cref="CurrentVersion"/>).</param>
sealed record RunScoresStamp(string RunKey, string Split, string Plane, int Images, bool Occlusion, int Version)
{
    /// <summary>
    /// Raise when a change to Grad-CAM, the scores or the occlusion check changes any number, so cached scores are recomputed.
    /// Rounding the scores to 6 significant digits did not raise it: the readers round a file of the first version (all 17
    /// digits) to the same values a run scored now holds (<see cref="StudyDecisionRegions.RoundScore"/>), and committed runs
    /// without their <c>best.pt</c> could not be scored again.
    /// </summary>
    public const int CurrentVersion = 1;

    static readonly System.Text.Json.JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The stamp for scoring <paramref name="folder"/>'s finished run as <paramref name="what"/> says.</summary>
    /// <exception cref="InvalidDataException">The run has no readable result.json (it has not finished).</exception>
    public static RunScoresStamp Of(RunFolder folder, RunScoring what)
    {
        var key = folder.FinishedKey();
        if (key is null) throw new InvalidDataException($"{folder.Result}: expected a finished run's result.json with its key before scoring it, found {(RunFile.Exists(folder.Result) ? "no key" : "no file")}.");
        return new RunScoresStamp(key, what.Split, SnakeCase.Of(what.Plane), what.Images, what.Occlusion, CurrentVersion);
    }

    /// <summary>Reads a stamp; null when unreadable (the scores are then recomputed).</summary>
    public static RunScoresStamp? Read(string path)
    {
        try { return System.Text.Json.JsonSerializer.Deserialize<RunScoresStamp>(RunFile.ReadAllText(path), Json); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>Writes it atomically.</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(this, Json));

    /// <summary>A short description for messages.</summary>
    public string Describe() => $"run {RunKey}, {Split}, {Plane}, {Images} images{(Occlusion ? ", occlusion" : "")}, scorer v{Version}";
}

/// <summary>
/// Scores the decision regions of every pair of the study: for each data condition, backbone and pair k, the Grad-CAM of the
/// baseline, the HKD student and the ROI teacher (on its ROI input, as the oracle it is) on the same test images — the first
/// <see cref="StudyPreset.DecisionRegionImages"/> of the test split in manifest order, every class included (healthy
/// images, where most shortcut errors happen, too), never chosen by result — against the expert mask (images that have
/// one) and, for phantoms, the planted confounder (images that carry one). Both the predicted and the true class are
/// explained, from one shared forward pass per batch.
/// </summary>
public static class StudyDecisionRegions
{
    /// <summary>The per-image table's file under <c>tables/</c>.</summary>
    public const string FileName = "decision_regions.csv";

    /// <summary>The per-model count of all-zero maps, under <c>tables/</c>.</summary>
    public const string ZeroMapsFileName = "decision_regions_zero_maps.csv";

    /// <summary>The occlusion table's file under <c>tables/</c>.</summary>
    public const string OcclusionFileName = "occlusion.csv";

    /// <summary>
    /// Computes every row, from each run's scores (<see cref="ScoreRun"/>: read from the run folder when it holds them, computed
    /// from its <c>best.pt</c> otherwise). Call <see cref="TorchRuntime.Initialize"/> first.
    /// </summary>
    /// <param name="e">The evaluated study.</param>
    /// <param name="progress">Progress per batch.</param>
    /// <param name="occlusion">When given, receives the occlusion check of the baseline and the student on the scored images
    /// that have an expert mask (two extra forward passes per such image; the intact image's probability comes from the CAM).</param>
    public static IReadOnlyList<DecisionRegionRow> Score(StudyEvaluation e, IProgress? progress = null, List<OcclusionRow>? occlusion = null)
    {
        progress ??= SilentProgress.Instance;
        var rows = new List<DecisionRegionRow>();
        var mains = e.Cells.Where(c => c.Unit.Variant.Name == StudyVariant.Main.Name).ToList();
        foreach (var group in mains.GroupBy(c => (c.Unit.ConditionName, c.Backbone)))
        {
            var baseline = group.FirstOrDefault(c => c.Role == Role.Baseline);
            var student = group.FirstOrDefault(c => c.Role == Role.Student);
            var teacher = group.FirstOrDefault(c => c.Role == Role.Teacher);
            if (baseline is null || student is null) continue;
            int pairs = Math.Min(baseline.RunFolders.Count, student.RunFolders.Count);
            for (int k = 0; k < pairs; k++)
            {
                foreach (var cell in new[] { baseline, student, teacher })
                {
                    if (cell is null || k >= cell.RunFolders.Count) continue;
                    var scoring = ScoringOf(cell.Unit, cell.Role, k, e.Split, e.Preset) with { Occlusion = occlusion is not null && cell.Role != Role.Teacher };
                    var (scored, occluded) = ScoreRun(cell.RunFolders[k], scoring, progress);
                    rows.AddRange(scored);
                    occlusion?.AddRange(occluded);
                }
            }
        }
        return rows;
    }

    /// <summary>
    /// What <see cref="ScoreRun"/> scores for run <paramref name="k"/> of <paramref name="role"/> in <paramref name="unit"/>: the
    /// baseline and the student on full images with the occlusion check, the teacher on its ROI input (the oracle).
    /// </summary>
    public static RunScoring ScoringOf(StudyUnit unit, Role role, int k, string split, StudyPreset preset) =>
        new(unit.ConditionName, unit.Backbone, StudyReport.ModelLabel(unit, role), role, k,
            role == Role.Teacher ? ImagePlane.Roi : ImagePlane.Image, split, preset.DecisionRegionImages, Occlusion: role != Role.Teacher);

    /// <summary>The per-run scores' file in a run folder (the rows of that run alone, columns as <see cref="FileName"/>).</summary>
    public const string RunScoresFileName = RunFolder.DecisionRegionsFileName;

    /// <summary>The per-run occlusion rows' file in a run folder (columns as <see cref="OcclusionFileName"/>).</summary>
    public const string RunOcclusionFileName = RunFolder.OcclusionFileName;

    /// <summary>
    /// What the per-run files were computed for, written after them: the run's key, the split, the image plane, the number of
    /// images and whether occlusion was checked. The files are used only when it matches the request.
    /// </summary>
    public const string RunScoresStampFileName = RunFolder.ScoresStampFileName;

    /// <summary>
    /// The scores of one run: read from its folder when <see cref="RunScoresStampFileName"/> says they were computed for this
    /// request, otherwise computed from its <c>best.pt</c> and written there (files first, then the stamp, each atomically).
    /// The study calls it as each run of a main arm finishes, so that the run's folder holds everything the tables need
    /// without the 45 MB checkpoint: finished runs can be committed and the study continued on another clone.
    /// </summary>
    /// <param name="runFolder">A finished run's folder.</param>
    /// <param name="what">What to score, and the labels of the rows.</param>
    /// <param name="progress">Progress per batch.</param>
    /// <exception cref="InvalidDataException">No matching scores in the folder and no <c>best.pt</c> to compute them from.</exception>
    public static (IReadOnlyList<DecisionRegionRow> Rows, IReadOnlyList<OcclusionRow> Occlusion) ScoreRun(string runFolder, RunScoring what, IProgress? progress = null)
    {
        progress ??= SilentProgress.Instance;
        var folder = new RunFolder(runFolder);
        var stampPath = Path.Combine(runFolder, RunScoresStampFileName);
        var scoresPath = Path.Combine(runFolder, RunScoresFileName);
        var occlusionPath = Path.Combine(runFolder, RunOcclusionFileName);
        var stamp = RunScoresStamp.Of(folder, what);
        var recorded = RunFile.Exists(stampPath) ? RunScoresStamp.Read(stampPath) : null;
        // Scores cached with the occlusion check serve a request without it (the Grad-CAM rows are the same).
        if (recorded is not null && (recorded == stamp || (!what.Occlusion && recorded == stamp with { Occlusion = true })))
        {
            var cached = ReadRows(scoresPath).Select(r => r with { Condition = what.Condition, Backbone = what.Backbone, Model = what.Model, Role = what.Role, Run = what.Run }).ToList();
            var cachedOcclusion = what.Occlusion
                ? ReadOcclusion(occlusionPath).Select(r => r with { Condition = what.Condition, Backbone = what.Backbone, Model = what.Model, Role = what.Role, Run = what.Run }).ToList()
                : [];
            return (cached, cachedOcclusion);
        }
        if (!File.Exists(folder.BestModel))
            throw new InvalidDataException($"{runFolder}: expected its decision-region scores ({RunScoresStampFileName} for {stamp.Describe()}) or its best.pt to compute them, " +
                $"found {(recorded is not null ? "scores of another request (" + recorded.Describe() + ")" : "neither")}. " +
                "Train the run again (delete its folder) on a machine that keeps its checkpoint.");

        // Scores written now would sit beside the packed ones, which readers refuse (RunFile.Both): unpack first.
        if (RunPack.HoldsRun(runFolder))
            throw new InvalidDataException($"{runFolder}: expected a run folder to write its decision-region scores into ({stamp.Describe()}), found the run " +
                $"packed in its unit's {RunPack.FileName}{(recorded is not null ? " with scores of another request (" + recorded.Describe() + ")" : "")}; " +
                "run `pneuknow unpack` on the study first.");
        using var trained = TrainedModel.Load(runFolder);
        var test = trained.OpenSplit(what.Split);
        var indices = ImagesScored(test.Count, what.Images);
        var files = indices.Select(i => ((ImageStore.Subset)test).RecordOf(i).FileName).ToArray();
        var dataDir = Path.GetDirectoryName(trained.MetadataFile!)!;
        var devices = files.Select((f, j) => ReadDeviceMask(dataDir, f, test.Get(indices[j]))).ToArray();
        // The Grad-CAM line names the run it scores (the report scores dozens of runs in a row).
        var labelled = RelabelledProgress.Prefixed(progress, ProgressText.Label(what.Condition, what.Backbone, what.Model, Training.RunFolder.NameOf(what.Run)));
        var maps = GradCam.OfImages(trained.Model, test, indices, [CamTarget.Predicted, CamTarget.Label], what.Plane, device: TorchRuntime.Device, progress: labelled);
        var rows = new List<DecisionRegionRow>();
        for (int j = 0; j < indices.Length; j++)
        {
            var example = test.Get(indices[j]);
            rows.Add(Row(what.Condition, what.Backbone, what.Model, what.Role, what.Run, files[j], example.Label, maps[0][j], maps[1][j], example.Mask, devices[j]));
        }
        var occlusion = new List<OcclusionRow>();
        if (what.Occlusion)
        {
            var annotated = Enumerable.Range(0, indices.Length).Where(j => test.Get(indices[j]).Mask.Any(m => m != 0)).ToArray();
            var examples = annotated.Select(j => test.Get(indices[j])).ToArray();
            var hidden = Occlusion.TrueClassProbabilities(trained.Model, examples.Select(x => Occlusion.Occlude(x, x.Mask)).ToArray(), device: TorchRuntime.Device);
            var mirrored = Occlusion.TrueClassProbabilities(trained.Model,
                examples.Select(x => Occlusion.Occlude(x, Occlusion.Mirror(x.Mask, x.Height, x.Width))).ToArray(), device: TorchRuntime.Device);
            for (int a = 0; a < annotated.Length; a++)
            {
                double p = maps[1][annotated[a]].Probability;   // the true-class CAM carries the intact image's probability
                // Rounded as the file stores them (see RoundScore), so that these rows equal the ones read back from it.
                occlusion.Add(new OcclusionRow(what.Condition, what.Backbone, what.Model, what.Role, what.Run, files[annotated[a]],
                    RoundScore(p), RoundScore(p - hidden[a]), RoundScore(p - mirrored[a])));
            }
        }
        Write(rows, scoresPath);
        if (what.Occlusion) WriteOcclusion(occlusion, occlusionPath);
        stamp.Write(stampPath);
        return (rows, occlusion);
    }

    /// <summary>
    /// The images scored: the first <see cref="StudyPreset.DecisionRegionImages"/> of the split in manifest order, whatever
    /// their class or annotation (a rule fixed before any result, so that the scored set cannot depend on a model).
    /// </summary>
    public static int[] ImagesScored(int splitCount, StudyPreset preset) => ImagesScored(splitCount, preset.DecisionRegionImages);

    /// <summary>The first <paramref name="images"/> of a split of <paramref name="splitCount"/> images, in manifest order.</summary>
    public static int[] ImagesScored(int splitCount, int images) => Enumerable.Range(0, Math.Min(splitCount, images)).ToArray();

    /// <summary>
    /// One image's row from its predicted-class and true-class CAMs: energies with an all-zero map scored 0 (see
    /// <see cref="DecisionRegions.EnergyOrZero"/>); NaN only where the image has no mask or carries no confounder. Scores
    /// are rounded as the files store them (<see cref="RoundScore"/>), so a row made here equals the row read back.
    /// </summary>
    /// <param name="condition">Data condition.</param>
    /// <param name="backbone">Backbone.</param>
    /// <param name="model">Model label.</param>
    /// <param name="role">The model's role.</param>
    /// <param name="run">Pair k.</param>
    /// <param name="file">Test image.</param>
    /// <param name="label">True class code.</param>
    /// <param name="predicted">CAM of the predicted class (its <see cref="CamMap.Class"/> is the prediction).</param>
    /// <param name="truth">CAM of the true class.</param>
    /// <param name="mask">Expert mask (all zero when the image has none).</param>
    /// <param name="device">Confounder mask, or null when the image carries none.</param>
    public static DecisionRegionRow Row(string condition, string backbone, string model, Role role, int run, string file, int label,
        CamMap predicted, CamMap truth, byte[] mask, byte[]? device) =>
        new(condition, backbone, model, role, run, file, label, predicted.Class,
            RoundScore(DecisionRegions.EnergyOrZero(predicted.Values, mask)), RoundScore(DecisionRegions.PointingGameOrZero(predicted.Values, mask)),
            device is null ? double.NaN : RoundScore(DecisionRegions.EnergyOrZero(predicted.Values, device)), DecisionRegions.IsAllZero(predicted.Values),
            RoundScore(DecisionRegions.EnergyOrZero(truth.Values, mask)),
            device is null ? double.NaN : RoundScore(DecisionRegions.EnergyOrZero(truth.Values, device)), DecisionRegions.IsAllZero(truth.Values));

    /// <summary>Significant digits a score keeps in the per-run files and the tables (see <see cref="RoundScore"/>).</summary>
    public const int ScoreDigits = 6;

    const string ScoreFormat = "G6";

    /// <summary>
    /// A score as the files store it: rounded to <see cref="ScoreDigits"/> significant digits; NaN stays NaN (an empty field).
    /// A study commits these files for hundreds of runs under a size budget, and no table resolves a sixth digit of an
    /// energy share or a probability drop. The scores of a run reach the tables from memory when the run is scored and from
    /// its file when it is reused, so rows are rounded where they are made (and again where they are read, which changes
    /// nothing in a file written so and makes one written with all 17 digits, before this rounding, give the same value): a
    /// fresh run and a reused one then give byte-identical tables and claims. The value is the double nearest the written
    /// 6 digits, which formats to the same digits again, so the file reads back exactly.
    /// </summary>
    public static double RoundScore(double v) =>
        double.IsFinite(v) ? double.Parse(v.ToString(ScoreFormat, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture) : v;

    /// <summary>The confounder mask of a phantom image (<c>devices/&lt;file&gt;</c>), or null when the data has none or the image carries none.</summary>
    internal static byte[]? ReadDeviceMask(string dataDir, string file, AnnotatedImage example)
    {
        var path = Path.Combine(dataDir, PhantomGenerator.DeviceFolder, file);
        if (!File.Exists(path)) return null;
        using var image = Image.Load<L8>(path);
        if (image.Width != example.Width || image.Height != example.Height)
            throw new InvalidDataException($"{path}: expected a {example.Width}×{example.Height} confounder mask like the test image, found {image.Width}×{image.Height}.");
        var mask = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(mask);
        return mask.Any(m => m != 0) ? mask : null;
    }

    /// <summary>Writes the rows as CSV (one row per model, pair and image).</summary>
    public static void Write(IReadOnlyList<DecisionRegionRow> rows, string path)
    {
        var csv = new CsvWriter(["condition", "backbone", "model", "run", "file_name", "label", "predicted", "energy_in_mask", "pointing_game", "energy_on_confounder", "cam_all_zero",
            "energy_in_mask_true_class", "energy_on_confounder_true_class", "cam_all_zero_true_class"]);
        foreach (var r in rows)
            csv.Row(r.Condition, r.Backbone, r.Model, I(r.Run), r.FileName, I(r.Label), I(r.Predicted), F(r.EnergyInMask), F(r.PointingGame), F(r.EnergyOnConfounder), B(r.CamAllZero),
                F(r.EnergyInMaskTrueClass), F(r.EnergyOnConfounderTrueClass), B(r.CamAllZeroTrueClass));
        csv.Save(path);
    }

    /// <summary>
    /// Writes how many maps were all zero per condition, backbone, model and pair (they score 0, so a reader can see how
    /// much of a mean comes from empty maps): columns condition, backbone, model, run, images, all_zero_predicted, all_zero_true_class.
    /// </summary>
    public static void WriteZeroMaps(IReadOnlyList<DecisionRegionRow> rows, string path)
    {
        var csv = new CsvWriter(["condition", "backbone", "model", "run", "images", "all_zero_predicted", "all_zero_true_class"]);
        foreach (var g in rows.GroupBy(r => (r.Condition, r.Backbone, r.Model, r.Run)))
            csv.Row(g.Key.Condition, g.Key.Backbone, g.Key.Model, I(g.Key.Run), I(g.Count()), I(g.Count(r => r.CamAllZero)), I(g.Count(r => r.CamAllZeroTrueClass)));
        csv.Save(path);
    }

    /// <summary>Writes the occlusion rows as CSV: condition, backbone, model, run, file_name, probability, drop_mask, drop_mirror, faithfulness.</summary>
    public static void WriteOcclusion(IReadOnlyList<OcclusionRow> rows, string path)
    {
        var csv = new CsvWriter(["condition", "backbone", "model", "run", "file_name", "probability", "drop_mask", "drop_mirror", "faithfulness"]);
        foreach (var r in rows)
            csv.Row(r.Condition, r.Backbone, r.Model, I(r.Run), r.FileName, F(r.Probability), F(r.DropMask), F(r.DropMirror), F(r.Faithfulness));
        csv.Save(path);
    }

    /// <summary>
    /// Reads rows written by <see cref="Write"/> (NaN as an empty field), from the plain file or its gzip-compressed copy
    /// (<see cref="Csv.Locate"/>); scores are rounded as <see cref="RoundScore"/> does, which returns a value written by this
    /// version exactly.
    /// </summary>
    /// <exception cref="DataException">A missing column or a malformed number, naming the file and line.</exception>
    public static IReadOnlyList<DecisionRegionRow> ReadRows(string path)
    {
        var t = Csv.Read(path);
        int[] c = new[] { "condition", "backbone", "model", "run", "file_name", "label", "predicted", "energy_in_mask", "pointing_game", "energy_on_confounder",
            "cam_all_zero", "energy_in_mask_true_class", "energy_on_confounder_true_class", "cam_all_zero_true_class" }.Select(t.Require).ToArray();
        return t.Rows.Select(r => new DecisionRegionRow(r.Fields[c[0]], r.Fields[c[1]], r.Fields[c[2]], RoleOf(t, r, c[2]), Int(t, r, c[3]), r.Fields[c[4]], Int(t, r, c[5]), Int(t, r, c[6]),
            Num(t, r, c[7]), Num(t, r, c[8]), Num(t, r, c[9]), Int(t, r, c[10]) != 0, Num(t, r, c[11]), Num(t, r, c[12]), Int(t, r, c[13]) != 0)).ToList();
    }

    /// <summary>Reads rows written by <see cref="WriteOcclusion"/>, plain or gzip-compressed, scores rounded as <see cref="ReadRows"/> says.</summary>
    /// <exception cref="DataException">A missing column or a malformed number, naming the file and line.</exception>
    public static IReadOnlyList<OcclusionRow> ReadOcclusion(string path)
    {
        var t = Csv.Read(path);
        int[] c = new[] { "condition", "backbone", "model", "run", "file_name", "probability", "drop_mask", "drop_mirror" }.Select(t.Require).ToArray();
        return t.Rows.Select(r => new OcclusionRow(r.Fields[c[0]], r.Fields[c[1]], r.Fields[c[2]], RoleOf(t, r, c[2]), Int(t, r, c[3]), r.Fields[c[4]],
            Num(t, r, c[5]), Num(t, r, c[6]), Num(t, r, c[7]))).ToList();
    }

    // The model column holds a label (StudyReport.ModelLabel); its role comes back through that mapping's inverse, once, here.
    static Role RoleOf(CsvTable t, (int Line, string[] Fields) r, int column) =>
        StudyReport.TryRoleOfLabel(r.Fields[column], out var role) ? role
            : throw new DataException(t.Path, r.Line, t.Header[column],
                $"expected a model label (baseline, ROI teacher, raw teacher or HKD student, with an arm in parentheses outside the main arm), found '{r.Fields[column]}'.");

    static int Int(CsvTable t, (int Line, string[] Fields) r, int column) =>
        int.TryParse(r.Fields[column], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new DataException(t.Path, r.Line, t.Header[column], $"expected an integer, found '{r.Fields[column]}'.");

    static double Num(CsvTable t, (int Line, string[] Fields) r, int column) =>
        r.Fields[column].Length == 0 ? double.NaN
            : double.TryParse(r.Fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? RoundScore(v)
            : throw new DataException(t.Path, r.Line, t.Header[column], $"expected a number or an empty field, found '{r.Fields[column]}'.");

    static string B(bool v) => v ? "1" : "0";

    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    // Six significant digits (RoundScore); NaN, a score that does not apply, as an empty field.
    static string F(double v) => double.IsNaN(v) ? "" : v.ToString(ScoreFormat, CultureInfo.InvariantCulture);
}
