using static System.FormattableString;
using System.Text.Json.Nodes;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Study;

/// <summary>
/// How much one run's decisions follow the planted confounder: among test images that carry a device, the share predicted
/// as a confounded class (COVID-19 or fungal), minus the same share among images without one.
/// </summary>
/// <param name="Condition">Data condition.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">Model label (baseline, HKD student, ROI teacher, controls).</param>
/// <param name="Run">Run (pair) number k.</param>
/// <param name="WithDevice">Test images carrying a device.</param>
/// <param name="WithoutDevice">Test images without one.</param>
/// <param name="ShareWith">Share of <paramref name="WithDevice"/> predicted as a confounded class.</param>
/// <param name="ShareWithout">Share of <paramref name="WithoutDevice"/> predicted as a confounded class.</param>
public sealed record ShortcutRelianceRow(string Condition, string Backbone, string Model, int Run, int WithDevice, int WithoutDevice,
    double ShareWith, double ShareWithout)
{
    /// <summary><see cref="ShareWith"/> − <see cref="ShareWithout"/>: 0 when the device does not move the decisions.</summary>
    public double Reliance => ShareWith - ShareWithout;
}

/// <summary>
/// Shortcut reliance as a behavioural measure: it needs no explanation method, only predictions and where the devices are.
/// In the shortcut condition the test split puts devices on half of every class, so a model that ignores them has a
/// reliance near 0 whatever its accuracy.
/// </summary>
public static class ShortcutReliance
{
    /// <summary>
    /// Share of device-carrying images predicted as a confounded class minus the share among the others, on the images of
    /// <paramref name="draw"/> (indices, repeats allowed; all images when null). NaN when the draw lacks either group.
    /// </summary>
    /// <param name="predictedConfounded">Per image, whether the model predicted a confounded class.</param>
    /// <param name="hasDevice">Per image, whether it carries a device.</param>
    /// <param name="draw">Image indices (a bootstrap draw), or null for all.</param>
    /// <exception cref="ArgumentException">Arrays of different lengths.</exception>
    public static double Of(IReadOnlyList<bool> predictedConfounded, IReadOnlyList<bool> hasDevice, IReadOnlyList<int>? draw = null)
    {
        if (predictedConfounded.Count != hasDevice.Count)
            throw new ArgumentException($"Expected one device flag per prediction, found {hasDevice.Count} flags and {predictedConfounded.Count} predictions.");
        int with = 0, without = 0, hitsWith = 0, hitsWithout = 0;
        int n = draw?.Count ?? hasDevice.Count;
        for (int j = 0; j < n; j++)
        {
            int i = draw?[j] ?? j;
            if (hasDevice[i]) { with++; if (predictedConfounded[i]) hitsWith++; }
            else { without++; if (predictedConfounded[i]) hitsWithout++; }
        }
        return with == 0 || without == 0 ? double.NaN : (double)hitsWith / with - (double)hitsWithout / without;
    }

    /// <summary>
    /// The paired difference of reliance, A − B, over k pairs tested on the same images. Reliance is a difference of two
    /// shares, not a mean of per-image values, so its test-set variance comes from recomputing it on bootstrap draws of
    /// patients (<see cref="PairedInterval.OfDraws"/>, the same interval method as every other claim).
    /// </summary>
    /// <param name="hasDevice">Per shared image, whether it carries a device.</param>
    /// <param name="clusters">Per shared image, its patient (cluster) index.</param>
    /// <param name="a">Per pair, whether model A predicted a confounded class on each image.</param>
    /// <param name="b">Per pair, the same for model B.</param>
    /// <param name="resamples">Resamples.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <exception cref="ArgumentException">Different pair counts or arrays not aligned with <paramref name="hasDevice"/>.</exception>
    public static PairedDifference Paired(IReadOnlyList<bool> hasDevice, IReadOnlyList<int> clusters, IReadOnlyList<bool[]> a, IReadOnlyList<bool[]> b,
        int resamples = PairedInterval.DefaultResamples, int seed = 0)
    {
        if (a.Count != b.Count) throw new ArgumentException($"Expected as many runs of A as of B (pairs), found {a.Count} and {b.Count}.");
        foreach (var run in a.Concat(b))
            if (run.Length != hasDevice.Count) throw new ArgumentException($"Expected {hasDevice.Count} predictions per run (one per shared image), found {run.Length}.");
        if (clusters.Count != hasDevice.Count) throw new ArgumentException($"Expected one cluster per image ({hasDevice.Count}), found {clusters.Count}.");
        return PairedInterval.OfDraws(a.Count, clusters, (p, draw) => Of(a[p], hasDevice, draw) - Of(b[p], hasDevice, draw), resamples, seed);
    }
}

/// <summary>One model's predictions on the test split reduced to what reliance needs, aligned across its runs.</summary>
/// <param name="Condition">Data condition.</param>
/// <param name="Backbone">Backbone.</param>
/// <param name="Model">Model label.</param>
/// <param name="Role">The model's role.</param>
/// <param name="MainArm">Whether the model belongs to the main arm (not a control arm).</param>
/// <param name="Files">Test images, in the first run's order.</param>
/// <param name="HasDevice">Per image, whether it carries a device.</param>
/// <param name="PredictedConfounded">Per run, whether each image was predicted as a confounded class.</param>
public sealed record ShortcutRelianceModel(string Condition, string Backbone, string Model, Role Role, bool MainArm, IReadOnlyList<string> Files,
    bool[] HasDevice, IReadOnlyList<bool[]> PredictedConfounded);

/// <summary>
/// Shortcut reliance of every model of a study, from its saved test predictions and the phantom's device masks
/// (<c>devices/&lt;file&gt;</c> in the data folder: an image carries a device when its mask has a non-zero pixel).
/// </summary>
public static class StudyShortcutReliance
{
    /// <summary>The per-model table's file under <c>tables/</c>.</summary>
    public const string FileName = "shortcut_reliance.csv";

    /// <summary>
    /// Every cell's predictions with the device flags of its test images; cells whose data has no <c>devices/</c> folder
    /// (real data) are left out.
    /// </summary>
    /// <param name="e">The evaluated study.</param>
    /// <param name="dataRoot">Where to look for a data folder that is no longer where run.json says (a study copied to
    /// another machine): the folder of the same name under this root. Null: only where run.json says.</param>
    /// <exception cref="DirectoryNotFoundException">The data folder is found neither where run.json says nor under <paramref name="dataRoot"/>.</exception>
    public static IReadOnlyList<ShortcutRelianceModel> Load(StudyEvaluation e, string? dataRoot = null)
    {
        var models = new List<ShortcutRelianceModel>();
        var flags = new Dictionary<string, Dictionary<string, bool>>(StringComparer.Ordinal);
        foreach (var cell in e.Cells)
        {
            var dataDir = RecordedData.DataDirOf(cell.RunFolders[0], dataRoot ?? e.DataRoot, "shortcut reliance needs its confounder masks");
            if (!Directory.Exists(Path.Combine(dataDir, PhantomGenerator.DeviceFolder))) continue;
            var runs = cell.RunFolders.Select(f => RunFolders.ReadPredictions(f, e.Split)).ToList();
            var files = runs[0].Rows.Select(r => r.FileName).ToArray();
            if (!flags.TryGetValue(dataDir, out var byFile)) flags[dataDir] = byFile = new Dictionary<string, bool>(StringComparer.Ordinal);
            var hasDevice = files.Select(f => byFile.TryGetValue(f, out var v) ? v : byFile[f] = HasDevice(dataDir, f)).ToArray();
            var confounded = runs[0].Classes.Select(c => PhantomGenerator.ConfoundedLabels.Contains(c)).ToArray();
            var predicted = runs.Select((p, k) =>
            {
                var byName = p.Rows.ToDictionary(r => r.FileName, r => confounded[r.Predicted], StringComparer.Ordinal);
                return files.Select(f => byName.TryGetValue(f, out var v) ? v
                    : throw new InvalidDataException($"{cell.RunFolders[k]}: predictions on the {e.Split} split lack image {f}, which run 0 predicted.")).ToArray();
            }).ToList();
            models.Add(new ShortcutRelianceModel(cell.Unit.ConditionName, cell.Backbone, cell.Model, cell.Role, cell.Unit.Variant.Name == StudyVariant.Main.Name, files, hasDevice, predicted));
        }
        return models;
    }

    /// <summary>One row per model and run.</summary>
    public static IReadOnlyList<ShortcutRelianceRow> Rows(IReadOnlyList<ShortcutRelianceModel> models) =>
        models.SelectMany(m => m.PredictedConfounded.Select((p, k) =>
        {
            int with = m.HasDevice.Count(d => d), without = m.HasDevice.Length - with;
            double Share(bool device) => (double)Enumerable.Range(0, p.Length).Count(i => m.HasDevice[i] == device && p[i]) / (device ? with : without);
            return new ShortcutRelianceRow(m.Condition, m.Backbone, m.Model, k, with, without, Share(true), Share(false));
        })).ToList();

    /// <summary>Writes the rows as CSV: condition, backbone, model, run, n_with_device, n_without, share_with, share_without, reliance.</summary>
    public static void Write(IReadOnlyList<ShortcutRelianceRow> rows, string path)
    {
        var csv = new CsvWriter(["condition", "backbone", "model", "run", "n_with_device", "n_without", "share_with", "share_without", "reliance"]);
        foreach (var r in rows)
            csv.Row(r.Condition, r.Backbone, r.Model, Invariant($"{r.Run}"), Invariant($"{r.WithDevice}"), Invariant($"{r.WithoutDevice}"),
                Invariant($"{r.ShareWith:0.######}"), Invariant($"{r.ShareWithout:0.######}"), Invariant($"{r.Reliance:0.######}"));
        csv.Save(path);
    }


    /// <summary>Whether <c>devices/&lt;file&gt;</c> of the data folder has a non-zero pixel (a missing mask: no device).</summary>
    public static bool HasDevice(string dataDir, string file)
    {
        var path = Path.Combine(dataDir, PhantomGenerator.DeviceFolder, file);
        if (!File.Exists(path)) return false;
        using var image = Image.Load<L8>(path);
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels.Any(v => v != 0);
    }
}
