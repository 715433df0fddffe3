using System.Text.RegularExpressions;
using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>
/// The thin part that knows about run folders: a run folder holds <c>predictions_&lt;split&gt;.csv</c>, or its
/// gzip-compressed copy <c>predictions_&lt;split&gt;.csv.gz</c> in a committed run (see <see cref="Predictions"/>),
/// beside its config, log and checkpoint. Everything else in evaluation
/// works on <see cref="EvaluatedRun"/>s, so another layout only needs another loader.
/// </summary>
public static partial class RunFolders
{
    /// <summary>The predictions file of <paramref name="split"/> in a run folder, by its plain name (readers also find its <c>.gz</c> copy).</summary>
    public static string PredictionsPath(string folder, string split) => new Training.RunFolder(folder).Predictions(split);

    /// <summary>Reads a run folder's predictions on <paramref name="split"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no predictions for the split; the message lists the predictions files it has.</exception>
    /// <exception cref="InvalidDataException">A malformed or empty predictions file, or both a plain and a compressed one (see <see cref="Predictions.Read"/>).</exception>
    public static Predictions ReadPredictions(string folder, string split = "valid")
    {
        if (!Directory.Exists(folder) && !Data.RunPack.HoldsRun(folder)) throw new DirectoryNotFoundException($"{folder}: run folder not found (nor packed in its unit's {Data.RunPack.FileName}).");
        var path = PredictionsPath(folder, split);
        if (!Predictions.Exists(path))
        {
            var pattern = Training.RunFolder.PredictionsFileName("*");
            var present = (Directory.Exists(folder) ? Directory.GetFiles(folder, pattern).Concat(Directory.GetFiles(folder, pattern + Data.Csv.GzipSuffix)) : [])
                .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
            throw new FileNotFoundException(
                $"{folder}: expected {Training.RunFolder.PredictionsFileName(split)} in the run folder, found " +
                (present.Length == 0 ? "no predictions file (was the run finished and evaluated?)." : string.Join(", ", present) + "."), path);
        }
        return Predictions.Read(path);
    }

    /// <summary>
    /// The default group key of a run folder: its name without a trailing run number
    /// (<c>convnext_small-hkd-seed3</c>, <c>convnext_small-hkd_run3</c> and <c>convnext_small-hkd-3</c> all give
    /// <c>convnext_small-hkd</c>).
    /// </summary>
    public static string GroupByName(string folder)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var key = TrailingRunNumber().Replace(name, "");
        return key.Length == 0 ? name : key;
    }

    /// <summary>Group key = the name of the folder that contains the run folder (runs laid out as <c>&lt;group&gt;/&lt;run&gt;/</c>).</summary>
    public static string GroupByParent(string folder) =>
        Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(folder)))) ?? folder;

    /// <summary>Loads runs for <see cref="RepeatedRuns.Summarize"/>; run name = folder name.</summary>
    /// <param name="folders">Run folders.</param>
    /// <param name="split">Which predictions to read (<c>valid</c> or <c>test</c>).</param>
    /// <param name="groupKey">Group key of a folder; <see cref="GroupByName"/> if null.</param>
    public static IReadOnlyList<EvaluatedRun> Load(IEnumerable<string> folders, string split = "valid", Func<string, string>? groupKey = null)
    {
        groupKey ??= GroupByName;
        return folders.Select(f => new EvaluatedRun(groupKey(f), Path.GetFileName(Path.TrimEndingDirectorySeparator(f)), ReadPredictions(f, split))).ToList();
    }

    [GeneratedRegex(@"[-_](?:run|seed|fold|rep)?\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex TrailingRunNumber();
}
