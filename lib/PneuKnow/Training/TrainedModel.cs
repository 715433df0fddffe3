using PneuKnow.Data;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;

namespace PneuKnow.Training;

/// <summary>
/// A trained network read back from its <see cref="RunFolder"/> (<c>run.json</c> + <c>best.pt</c>), with what
/// is needed to open the data it was trained on again: what the explain command and the decision-region
/// notebook use instead of re-training.
/// <code>
/// using var trained = TrainedModel.Load("results/quick/runs/cntk_resnet18_clean_do_kd/student/run_0");
/// var test = trained.OpenSplit("test");
/// </code>
/// </summary>
/// <param name="Folder">The run folder.</param>
/// <param name="Model">The network with the selected weights, in eval mode, on <see cref="TorchRuntime.Device"/>.</param>
/// <param name="Architecture">Backbone name (zoo key).</param>
/// <param name="Method">Training method of the run (baseline, teacher, hkd_student, ...).</param>
/// <param name="Classes">Class labels in code order.</param>
/// <param name="Resolution">Input size the run trained at (null when run.json carries no experiment config).</param>
/// <param name="MetadataFile">The manifest the run trained on (null when run.json carries no experiment config).</param>
/// <param name="ImageFolder">Full-image folder of the manifest.</param>
/// <param name="RoiFolder">ROI-image folder of the manifest.</param>
public sealed record TrainedModel(RunFolder Folder, Backbone Model, string Architecture, string Method, IReadOnlyList<string> Classes,
    int? Resolution, string? MetadataFile, string? ImageFolder, string? RoiFolder) : IDisposable
{
    /// <summary>Reads the run's configuration and loads its selected weights. Call <see cref="TorchRuntime.Initialize"/> first.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a run folder (no run.json), an unfinished run (no best.pt), or a run.json that is not a run record (names the missing setting).</exception>
    public static TrainedModel Load(string runFolder)
    {
        var folder = new RunFolder(runFolder);
        if (!Directory.Exists(folder.Directory))
            throw new DirectoryNotFoundException($"{folder.Directory}: run folder not found.");
        if (!RunFile.Exists(folder.Config))
            throw new InvalidDataException($"{folder.Directory}: not a run folder: expected run.json (a folder like <results>/runs/<unit>/<role>/run_<k>), found {Describe(folder.Directory)}.");
        if (!File.Exists(folder.BestModel))
            throw new InvalidDataException($"{folder.Directory}: no best.pt: the run has not completed an epoch yet.");

        // Paths come back absolute: resolved against the run folder when stored relative to it.
        var record = RunRecord.Read(folder);
        var config = record.Config;
        var stage = config?.Stage;
        double dropout = stage?.Dropout ?? 0.0;
        int? resolution = stage?.Resolution;
        int outputStride = stage?.OutputStride ?? Backbone.ReferenceOutputStride;
        string architecture = record.Architecture, method = record.Method;
        var classes = record.Classes;
        string? metadata = config?.MetadataFile, raw = config?.RawDataDir, roi = config?.RoiDataDir;

        var model = BackboneZoo.Create(new BackboneOptions(architecture, classes.Count, dropout, OutputStride: outputStride));
        CheckpointFile.Load(model, folder.BestModel);
        model.to(TorchRuntime.Device);
        model.eval();
        return new TrainedModel(folder, model, architecture, method, classes, resolution, metadata, raw, roi);
    }

    /// <summary>The images of one split of the run's dataset, at the run's resolution (as the trainer opened them).</summary>
    /// <exception cref="InvalidDataException">run.json does not say which data the run trained on.</exception>
    public IAnnotatedImageSet OpenSplit(string split, IProgress? progress = null)
    {
        if (MetadataFile is null || Resolution is null)
            throw new InvalidDataException($"{Folder.Config}: expected config.metadata_file and config.stage.resolution, found an empty config: the run was not trained through an experiment config, so its data is unknown.");
        var manifest = Manifest.Load(MetadataFile, new ManifestOptions { ImageFolder = ImageFolder ?? "raw", RoiFolder = RoiFolder ?? "roi" });
        var set = ImageStore.Open(manifest, Resolution.Value, progress: progress).Split(split);
        if (!set.Classes.SequenceEqual(Classes))
            throw new InvalidDataException($"{MetadataFile}: classes {string.Join(", ", set.Classes)} differ from the run's {string.Join(", ", Classes)} ({Folder.Config}).");
        return set;
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();

    static string Describe(string dir)
    {
        var entries = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Take(6).ToList();
        return entries.Count == 0 ? "an empty folder" : string.Join(", ", entries);
    }
}
