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
/// Grad-CAM scores of one model on one image of the scored test set.
/// </summary>
/// <param name="Condition">Data condition (empty for a single-condition preset).</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">baseline, HKD student or ROI teacher (the teacher is an oracle: it is explained on its ROI input).</param>
/// <param name="Run">Pair number k.</param>
/// <param name="FileName">The test image.</param>
/// <param name="Label">Its true class code.</param>
/// <param name="EnergyInMask">Share of the CAM's mass inside the expert mask (NaN when the CAM is all zero).</param>
/// <param name="PointingGame">1 when the CAM's maximum lies in the expert mask, else 0 (NaN when the CAM is constant).</param>
/// <param name="EnergyOnConfounder">Share of the CAM's mass on the planted confounder (NaN when the image carries none, or the CAM is all zero).</param>
public sealed record DecisionRegionRow(string Condition, string Backbone, string Model, int Run, string FileName, int Label,
    double EnergyInMask, double PointingGame, double EnergyOnConfounder);

/// <summary>
/// Scores the decision regions of every pair of the study: for each data condition, backbone and pair k, the Grad-CAM
/// (of the true class, so that both models explain the same class on the same image) of the baseline and the HKD
/// student on the same annotated test images — the first <see cref="StudyPreset.DecisionRegionImages"/> of the test split
/// in manifest order, never chosen by result — against the expert mask and, for phantoms, the planted confounder.
/// The ROI teacher is scored too, on its ROI input, as the oracle it is.
/// </summary>
public static class StudyDecisionRegions
{
    /// <summary>The per-image table's file under <c>tables/</c>.</summary>
    public const string FileName = "decision_regions.csv";

    /// <summary>Computes every row. Call <see cref="TorchRuntime.Initialize"/> first.</summary>
    public static IReadOnlyList<DecisionRegionRow> Score(StudyEvaluation e, IProgress? progress = null)
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
                        indices = Enumerable.Range(0, test.Count).Where(i => test.Get(i).Mask.Any(m => m != 0)).Take(e.Preset.DecisionRegionImages).ToArray();
                        files = indices.Select(i => ((ImageStore.Subset)test).RecordOf(i).FileName).ToArray();
                        var dataDir = Path.GetDirectoryName(trained.MetadataFile!)!;
                        devices = files.Select((f, j) => ReadDeviceMask(dataDir, f, test.Get(indices[j]))).ToArray();
                    }
                    var maps = GradCam.OfImages(trained.Model, test, indices, CamTarget.Label, plane, device: TorchRuntime.Device, progress: progress);
                    for (int j = 0; j < maps.Count; j++)
                    {
                        var example = test.Get(indices[j]);
                        var cam = maps[j].Values;
                        var device = devices[j];
                        rows.Add(new DecisionRegionRow(group.Key.ConditionName, group.Key.Backbone, cell.Model, k, files[j], example.Label,
                            DecisionRegions.EnergyPointingGame(cam, example.Mask), DecisionRegions.PointingGame(cam, example.Mask),
                            device is null ? double.NaN : DecisionRegions.EnergyPointingGame(cam, device)));
                    }
                }
            }
        }
        return rows;
    }

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
        var sb = new StringBuilder("condition,backbone,model,run,file_name,label,energy_in_mask,pointing_game,energy_on_confounder\n");
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Condition},{r.Backbone},{Csv.Quote(r.Model)},{r.Run},{Csv.Quote(r.FileName)},{r.Label},{F(r.EnergyInMask)},{F(r.PointingGame)},{F(r.EnergyOnConfounder)}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    static string F(double v) => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture);
}
