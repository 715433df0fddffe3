using System.Globalization;
using System.Text;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
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
public sealed record DecisionRegionRow(string Condition, string Backbone, string Model, int Run, string FileName, int Label, int Predicted,
    double EnergyInMask, double PointingGame, double EnergyOnConfounder, bool CamAllZero,
    double EnergyInMaskTrueClass, double EnergyOnConfounderTrueClass, bool CamAllZeroTrueClass);

/// <summary>
/// The occlusion check of one model on one annotated test image (<see cref="Occlusion"/>): the true class's probability on
/// the image, and how much it falls when the expert's region, or the same region mirrored left-right, is hidden.
/// </summary>
/// <param name="Condition">Data condition.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">baseline or HKD student.</param>
/// <param name="Run">Pair number k.</param>
/// <param name="FileName">The test image.</param>
/// <param name="Probability">The true class's probability on the intact image.</param>
/// <param name="DropMask">Probability on the intact image − with the expert region hidden.</param>
/// <param name="DropMirror">Probability on the intact image − with the mirrored region hidden.</param>
public sealed record OcclusionRow(string Condition, string Backbone, string Model, int Run, string FileName, double Probability, double DropMask, double DropMirror)
{
    /// <summary><see cref="DropMask"/> − <see cref="DropMirror"/>: positive when the decision rests more on the expert's region than on an equal area elsewhere.</summary>
    public double Faithfulness => DropMask - DropMirror;
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

    /// <summary>Computes every row. Call <see cref="TorchRuntime.Initialize"/> first.</summary>
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
            var baseline = group.FirstOrDefault(c => c.Role == "baseline");
            var student = group.FirstOrDefault(c => c.Role == "student");
            var teacher = group.FirstOrDefault(c => c.Role == "teacher");
            if (baseline is null || student is null) continue;
            IAnnotatedImageSet? test = null;
            int[] indices = [];
            string[] files = [];
            byte[]?[] devices = [];
            int pairs = Math.Min(baseline.RunFolders.Count, student.RunFolders.Count);
            for (int k = 0; k < pairs; k++)
            {
                foreach (var (cell, plane) in new[] { (baseline, ImagePlane.Image), (student, ImagePlane.Image), (teacher, ImagePlane.Roi) })
                {
                    if (cell is null || k >= cell.RunFolders.Count) continue;
                    using var trained = TrainedModel.Load(cell.RunFolders[k]);
                    if (test is null)
                    {
                        test = trained.OpenSplit(e.Split);
                        indices = ImagesScored(test.Count, e.Preset);
                        files = indices.Select(i => ((ImageStore.Subset)test).RecordOf(i).FileName).ToArray();
                        var dataDir = Path.GetDirectoryName(trained.MetadataFile!)!;
                        devices = files.Select((f, j) => ReadDeviceMask(dataDir, f, test.Get(indices[j]))).ToArray();
                    }
                    var maps = GradCam.OfImages(trained.Model, test, indices, [CamTarget.Predicted, CamTarget.Label], plane, device: TorchRuntime.Device, progress: progress);
                    for (int j = 0; j < indices.Length; j++)
                    {
                        var example = test.Get(indices[j]);
                        rows.Add(Row(group.Key.ConditionName, group.Key.Backbone, cell.Model, k, files[j], example.Label, maps[0][j], maps[1][j], example.Mask, devices[j]));
                    }
                    if (occlusion is not null && plane == ImagePlane.Image)
                    {
                        var annotated = Enumerable.Range(0, indices.Length).Where(j => test.Get(indices[j]).Mask.Any(m => m != 0)).ToArray();
                        var examples = annotated.Select(j => test.Get(indices[j])).ToArray();
                        var hidden = Occlusion.TrueClassProbabilities(trained.Model, examples.Select(x => Occlusion.Occlude(x, x.Mask)).ToArray(), device: TorchRuntime.Device);
                        var mirrored = Occlusion.TrueClassProbabilities(trained.Model,
                            examples.Select(x => Occlusion.Occlude(x, Occlusion.Mirror(x.Mask, x.Height, x.Width))).ToArray(), device: TorchRuntime.Device);
                        for (int a = 0; a < annotated.Length; a++)
                        {
                            double p = maps[1][annotated[a]].Probability;   // the true-class CAM carries the intact image's probability
                            occlusion.Add(new OcclusionRow(group.Key.ConditionName, group.Key.Backbone, cell.Model, k, files[annotated[a]], p, p - hidden[a], p - mirrored[a]));
                        }
                    }
                }
            }
        }
        return rows;
    }

    /// <summary>
    /// The images scored: the first <see cref="StudyPreset.DecisionRegionImages"/> of the split in manifest order, whatever
    /// their class or annotation (a rule fixed before any result, so that the scored set cannot depend on a model).
    /// </summary>
    public static int[] ImagesScored(int splitCount, StudyPreset preset) => Enumerable.Range(0, Math.Min(splitCount, preset.DecisionRegionImages)).ToArray();

    /// <summary>
    /// One image's row from its predicted-class and true-class CAMs: energies with an all-zero map scored 0 (see
    /// <see cref="DecisionRegions.EnergyOrZero"/>); NaN only where the image has no mask or carries no confounder.
    /// </summary>
    /// <param name="condition">Data condition.</param>
    /// <param name="backbone">Backbone.</param>
    /// <param name="model">Model label.</param>
    /// <param name="run">Pair k.</param>
    /// <param name="file">Test image.</param>
    /// <param name="label">True class code.</param>
    /// <param name="predicted">CAM of the predicted class (its <see cref="CamMap.Class"/> is the prediction).</param>
    /// <param name="truth">CAM of the true class.</param>
    /// <param name="mask">Expert mask (all zero when the image has none).</param>
    /// <param name="device">Confounder mask, or null when the image carries none.</param>
    public static DecisionRegionRow Row(string condition, string backbone, string model, int run, string file, int label,
        CamMap predicted, CamMap truth, byte[] mask, byte[]? device) =>
        new(condition, backbone, model, run, file, label, predicted.Class,
            DecisionRegions.EnergyOrZero(predicted.Values, mask), DecisionRegions.PointingGameOrZero(predicted.Values, mask),
            device is null ? double.NaN : DecisionRegions.EnergyOrZero(predicted.Values, device), DecisionRegions.IsAllZero(predicted.Values),
            DecisionRegions.EnergyOrZero(truth.Values, mask),
            device is null ? double.NaN : DecisionRegions.EnergyOrZero(truth.Values, device), DecisionRegions.IsAllZero(truth.Values));

    /// <summary>The confounder mask of a phantom image (<c>devices/&lt;file&gt;</c>), or null when the data has none or the image carries none.</summary>
    static byte[]? ReadDeviceMask(string dataDir, string file, AnnotatedImage example)
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
        var sb = new StringBuilder("condition,backbone,model,run,file_name,label,predicted,energy_in_mask,pointing_game,energy_on_confounder,cam_all_zero,"
            + "energy_in_mask_true_class,energy_on_confounder_true_class,cam_all_zero_true_class\n");
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Condition},{r.Backbone},{Csv.Quote(r.Model)},{r.Run},{Csv.Quote(r.FileName)},{r.Label},{r.Predicted},{F(r.EnergyInMask)},{F(r.PointingGame)},{F(r.EnergyOnConfounder)},{B(r.CamAllZero)},"
                + $"{F(r.EnergyInMaskTrueClass)},{F(r.EnergyOnConfounderTrueClass)},{B(r.CamAllZeroTrueClass)}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>
    /// Writes how many maps were all zero per condition, backbone, model and pair (they score 0, so a reader can see how
    /// much of a mean comes from empty maps): columns condition, backbone, model, run, images, all_zero_predicted, all_zero_true_class.
    /// </summary>
    public static void WriteZeroMaps(IReadOnlyList<DecisionRegionRow> rows, string path)
    {
        var sb = new StringBuilder("condition,backbone,model,run,images,all_zero_predicted,all_zero_true_class\n");
        foreach (var g in rows.GroupBy(r => (r.Condition, r.Backbone, r.Model, r.Run)))
            sb.Append(CultureInfo.InvariantCulture,
                $"{g.Key.Condition},{g.Key.Backbone},{Csv.Quote(g.Key.Model)},{g.Key.Run},{g.Count()},{g.Count(r => r.CamAllZero)},{g.Count(r => r.CamAllZeroTrueClass)}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Writes the occlusion rows as CSV: condition, backbone, model, run, file_name, probability, drop_mask, drop_mirror, faithfulness.</summary>
    public static void WriteOcclusion(IReadOnlyList<OcclusionRow> rows, string path)
    {
        var sb = new StringBuilder("condition,backbone,model,run,file_name,probability,drop_mask,drop_mirror,faithfulness\n");
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Condition},{r.Backbone},{Csv.Quote(r.Model)},{r.Run},{Csv.Quote(r.FileName)},{F(r.Probability)},{F(r.DropMask)},{F(r.DropMirror)},{F(r.Faithfulness)}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    static string B(bool v) => v ? "1" : "0";

    static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
}
