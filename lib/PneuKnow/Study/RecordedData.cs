using PneuKnow.Data;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>
/// The data a finished run trained on, as its <c>run.json</c> records it (<c>config.metadata_file</c>), found again on this
/// clone: where it was recorded, or, for a study moved to another clone, the folder of the same name under the data root
/// given now. A generated phantom's folder is named by every knob that changes its pixels, so the name identifies the data.
/// The one place that resolves a run's data for the tables (patients for the intervals, confounder masks).
/// </summary>
public static class RecordedData
{
    /// <summary>The manifest run <paramref name="runFolder"/> trained on, on this clone.</summary>
    /// <param name="runFolder">A run folder (with run.json).</param>
    /// <param name="dataRoot">Where the data folders are now; null: only where run.json recorded them.</param>
    /// <param name="why">What needs the data, for the message (e.g. "the intervals resample test images by patient").</param>
    /// <exception cref="InvalidDataException">No run.json, no <c>config.metadata_file</c> in it, or the manifest in neither place.</exception>
    public static string ManifestOf(string runFolder, string? dataRoot, string why)
    {
        var folder = new RunFolder(runFolder);
        var config = folder.Config;
        if (!RunFile.Exists(config)) throw new InvalidDataException($"{runFolder}: expected run.json naming the data the run was tested on, found no file.");
        // Absolute: resolved against the run folder where stored relative to it (a study moved with its data finds it here).
        var recorded = RunRecord.Read(folder).Config?.MetadataFile
            ?? throw new InvalidDataException($"{config}: expected config.metadata_file (the manifest the run trained on), found none.");
        if (File.Exists(recorded)) return recorded;
        var dataFolder = Path.GetFileName(Path.GetDirectoryName(recorded)!);
        if (dataRoot is not null && Path.Combine(dataRoot, dataFolder, Path.GetFileName(recorded)) is var moved && File.Exists(moved)) return Path.GetFullPath(moved);
        throw new InvalidDataException($"{config}: the manifest {recorded} is missing{(dataRoot is null ? "" : $", and so is {dataFolder}/{Path.GetFileName(recorded)} under {dataRoot}")}; " +
            $"{why}, so the data the study ran on must be present (reproduce --data DIR regenerates a phantom).");
    }

    /// <summary>The data folder (the manifest's folder) run <paramref name="runFolder"/> trained on, on this clone.</summary>
    /// <inheritdoc cref="ManifestOf" path="/param"/>
    /// <exception cref="InvalidDataException">As <see cref="ManifestOf"/>.</exception>
    public static string DataDirOf(string runFolder, string? dataRoot, string why) => Path.GetDirectoryName(ManifestOf(runFolder, dataRoot, why))!;
}
