using PneuKnow.Data;
using PneuKnow.Runtime;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using static System.FormattableString;

namespace PneuKnow.Training;

/// <summary>
/// The files of one training run (one repeated run of one role), and the one place that names them. Everything a run
/// produces lives here, so evaluation and plots never re-train:
/// <code>
/// run.json               the run's identity and key (<see cref="RunRecord"/>: written and read only there; data paths relative to this folder)
/// log.csv                per-epoch log: epochs, fold{k}_train_acc, fold{k}_train_loss, [fold{k}_train_cons_loss, fold{k}_train_cls_loss,]
///                        fold{k}_val_acc, fold{k}_val_loss, lr, consistency_weight
/// timings.csv            per-epoch seconds, images/s, resident memory and the machine (CPU, libtorch, threads, oneDNN ISA)
/// best.pt                weights of the selected epoch (TorchSharp format); best_extra.pt for a feature adapter
/// checkpoint/            resume state of the last completed epoch: state.json, model.e{E}.pt, optimizer.e{E}.pt[, extra.e{E}.pt]
/// predictions_valid.csv  the selected checkpoint's prediction and class probabilities (4 decimals) on the validation split
/// predictions_test.csv   the same on the held-out test split, when there is one
/// result.json            selected epoch and its metrics; present only once the run is complete
/// failed.json            why the run failed (divergence, a non-finite loss); present instead of result.json
/// decision_regions.csv   a study's main-arm run: its Grad-CAM scores (6 significant digits), with occlusion.csv and the
///                        stamp decision_regions.json (see Study.StudyDecisionRegions.ScoreRun)
/// </code>
/// The engine writes every CSV plain. A committed run may hold any CSV but log.csv and timings.csv gzip-compressed instead
/// (<c>X.csv.gz</c>, made by <c>tools/study/finished-runs.sh --gzip</c> to keep a study's committed folder within its size
/// budget); readers find either form through <see cref="Data.Csv.Locate"/> and refuse a run that holds both. A finished run
/// may instead be packed with its unit's other runs (<see cref="Data.RunPack"/>, <c>&lt;unit&gt;/runs.tar.br</c>): its files are
/// read through <see cref="Data.Csv.Locate"/> and <see cref="Data.RunFile"/>, and its folder may be absent or hold only checkpoints.
/// The folder of run k is <c>&lt;experiment&gt;/&lt;role&gt;/run_k</c> (<see cref="NameOf"/>).
/// </summary>
public sealed class RunFolder(string directory)
{
    /// <summary>The prefix of a run folder's name: run k lives in <c>run_k</c>.</summary>
    public const string NamePrefix = "run_";
    /// <summary>The name of run <paramref name="k"/>'s folder, <c>run_k</c>.</summary>
    public static string NameOf(int k) => string.Create(CultureInfo.InvariantCulture, $"{NamePrefix}{k}");

    /// <summary>File name of the run record (<see cref="Config"/>).</summary>
    public const string ConfigFileName = "run.json";
    /// <summary>File name of the per-epoch log (<see cref="Log"/>).</summary>
    public const string LogFileName = "log.csv";
    /// <summary>File name of the final result (<see cref="Result"/>).</summary>
    public const string ResultFileName = "result.json";
    /// <summary>File name of a study's per-run decision-region scores (<see cref="DecisionRegions"/>).</summary>
    public const string DecisionRegionsFileName = "decision_regions.csv";
    /// <summary>File name of a study's per-run occlusion rows (<see cref="Occlusion"/>).</summary>
    public const string OcclusionFileName = "occlusion.csv";
    /// <summary>File name of the stamp of a study's per-run scores (<see cref="ScoresStamp"/>).</summary>
    public const string ScoresStampFileName = "decision_regions.json";

    /// <summary>The folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);
    /// <summary>The run record, <c>run.json</c> (see <see cref="RunRecord"/>).</summary>
    public string Config => Path.Combine(Directory, ConfigFileName);
    /// <summary>The per-epoch log.</summary>
    public string Log => Path.Combine(Directory, LogFileName);
    /// <summary>The per-epoch timings.</summary>
    public string Timings => Path.Combine(Directory, "timings.csv");
    /// <summary>The selected weights.</summary>
    public string BestModel => Path.Combine(Directory, "best.pt");
    /// <summary>The selected feature adapter, for heterogeneous KD.</summary>
    public string BestExtra => Path.Combine(Directory, "best_extra.pt");
    /// <summary>Resume state folder.</summary>
    public string CheckpointDirectory => Path.Combine(Directory, "checkpoint");
    /// <summary>Resume state: the commit point written last after every epoch.</summary>
    public string State => Path.Combine(CheckpointDirectory, "state.json");
    /// <summary>Model weights after epoch <paramref name="epoch"/>.</summary>
    public string ModelAfter(int epoch) => Path.Combine(CheckpointDirectory, $"model.e{epoch}.pt");
    /// <summary>Adapter weights after epoch <paramref name="epoch"/>.</summary>
    public string ExtraAfter(int epoch) => Path.Combine(CheckpointDirectory, $"extra.e{epoch}.pt");
    /// <summary>Optimizer state after epoch <paramref name="epoch"/>.</summary>
    public string OptimizerAfter(int epoch) => Path.Combine(CheckpointDirectory, $"optimizer.e{epoch}.pt");
    /// <summary>
    /// Predictions on split <paramref name="split"/> (<c>predictions_valid.csv</c>, <c>predictions_test.csv</c>): the name the
    /// engine writes; a reader goes through <see cref="Data.Csv.Locate"/>, which also finds the committed <c>.gz</c> copy.
    /// </summary>
    public string Predictions(string split) => Path.Combine(Directory, PredictionsFileName(split));
    /// <summary>The file name of the predictions on split <paramref name="split"/>; <c>predictions_*.csv</c> matches them all.</summary>
    public static string PredictionsFileName(string split) => $"predictions_{split}.csv";
    /// <summary>The final result.</summary>
    public string Result => Path.Combine(Directory, ResultFileName);
    /// <summary>The failure record of a run that diverged or hit a non-finite loss (see <see cref="RunFailure"/>).</summary>
    public string Failed => Path.Combine(Directory, "failed.json");
    /// <summary>A study's decision-region scores of this run.</summary>
    public string DecisionRegions => Path.Combine(Directory, DecisionRegionsFileName);
    /// <summary>A study's occlusion rows of this run.</summary>
    public string Occlusion => Path.Combine(Directory, OcclusionFileName);
    /// <summary>What the study's per-run scores were computed for.</summary>
    public string ScoresStamp => Path.Combine(Directory, ScoresStampFileName);

    /// <summary>
    /// The key recorded in <c>result.json</c>, the identity of the finished run that a cache of its scores is stamped with;
    /// null when the run has not finished or the file is unreadable.
    /// </summary>
    public string? FinishedKey()
    {
        if (!RunFile.Exists(Result)) return null;
        try { return JsonSerializer.Deserialize<RunResult>(RunFile.ReadAllText(Result), Json)?.Key; }
        catch (JsonException) { return null; }
    }

    /// <summary>Reads one of the trainer's JSON files (state, result, failure).</summary>
    /// <exception cref="TrainingException">Empty or unreadable: names the file and how to start over.</exception>
    internal static T Read<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(RunFile.ReadAllText(path), Json)
                   ?? throw new TrainingException($"{path}: empty file.");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: unreadable run state ({e.Message}); delete the run folder to start over.", e);
        }
    }

    /// <summary>Writes one of the trainer's JSON files atomically.</summary>
    internal static void Write<T>(string path, T value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Json));

    /// <summary>
    /// The one set of serializer options of every JSON file in a run folder (<c>run.json</c>, <c>state.json</c>,
    /// <c>result.json</c>, <c>failed.json</c>) and of an experiment's <c>config.json</c>. The run key hashes a
    /// <see cref="RunRecord"/> serialised with it: indentation, the default (escaping) encoder and the naming must stay as
    /// they are, or every recorded key changes.
    /// </summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // The best-so-far loss starts at +∞ before the first epoch.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The log's column names for fold <paramref name="fold"/>, the authors' spelling.</summary>
    public static IReadOnlyList<string> LogColumns(int fold, bool consistency)
    {
        var c = new List<string> { "epochs", $"fold{fold}_train_acc", $"fold{fold}_train_loss" };
        if (consistency) c.AddRange([$"fold{fold}_train_cons_loss", $"fold{fold}_train_cls_loss"]);
        c.AddRange([$"fold{fold}_val_acc", $"fold{fold}_val_loss", "lr", "consistency_weight"]);
        return c;
    }

    /// <summary>Writes the per-epoch log atomically.</summary>
    public void WriteLog(int fold, bool consistency, IEnumerable<EpochRecord> records)
    {
        var csv = new CsvWriter(LogColumns(fold, consistency));
        foreach (var r in records)
        {
            var values = new List<string> { r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainAccuracy), F(r.TrainLoss) };
            if (consistency) values.AddRange([F(r.TrainConsistencyLoss ?? 0), F(r.TrainClassificationLoss)]);
            values.AddRange([F(r.ValidAccuracy), F(r.ValidLoss), F(r.LearningRate), F(r.ConsistencyWeight)]);
            csv.Row(values);
        }
        csv.Save(Log);
    }

    /// <summary>Writes the per-epoch timings atomically.</summary>
    public void WriteTimings(IEnumerable<EpochTiming> timings)
    {
        var csv = new CsvWriter(["epochs", "train_seconds", "valid_seconds", "train_images_per_second", "resident_mib", "precise_bn_seconds", "machine"]);
        foreach (var t in timings)
            csv.Row(Invariant($"{t.Epoch}"), Invariant($"{t.TrainSeconds:F3}"), Invariant($"{t.ValidSeconds:F3}"), Invariant($"{t.TrainImagesPerSecond:F2}"),
                Invariant($"{t.ResidentBytes / 1048576.0:F1}"), Invariant($"{t.PreciseBatchNormSeconds:F3}"), t.Machine ?? "");
        csv.Save(Timings);
    }

    /// <summary>Round-trip number format, invariant culture.</summary>
    internal static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>What <c>result.json</c> holds: the run key, the selected epoch and its numbers, and every epoch's record and timing.</summary>
sealed record RunResult(
    string Key, int BestEpoch, double BestValidLoss, double BestValidAccuracy, double? TestLoss, double? TestAccuracy,
    List<EpochRecord> Epochs, List<EpochTiming> Timings);

/// <summary>What <c>failed.json</c> holds: the run identity it belongs to, the epoch and why.</summary>
/// <param name="Key">The run key (see <see cref="Trainer"/>).</param>
/// <param name="Epoch">0-based epoch in which the run failed.</param>
/// <param name="Reason">The message the run stopped with.</param>
public sealed record RunFailure(string Key, int Epoch, string Reason);
