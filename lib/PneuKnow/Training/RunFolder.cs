using PneuKnow.Runtime;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PneuKnow.Training;

/// <summary>
/// The files of one training run (one repeated run of one role). Everything a run produces lives
/// here, so evaluation and plots never re-train:
/// <code>
/// run.json               the run's resolved configuration (also the key a resume must match)
/// log.csv                per-epoch log: epochs, fold{k}_train_acc, fold{k}_train_loss, [fold{k}_train_cons_loss, fold{k}_train_cls_loss,]
///                        fold{k}_val_acc, fold{k}_val_loss, lr, consistency_weight
/// timings.csv            per-epoch seconds, images/s and resident memory
/// best.pt                weights of the selected epoch (TorchSharp format); best_extra.pt for a feature adapter
/// checkpoint/            resume state of the last completed epoch: state.json, model.e{E}.pt, optimizer.e{E}.pt[, extra.e{E}.pt]
/// predictions_valid.csv  class probabilities of the selected checkpoint on the validation split
/// predictions_test.csv   the same on the held-out test split, when there is one
/// result.json            selected epoch and its metrics; present only once the run is complete
/// failed.json            why the run failed (divergence, a non-finite loss); present instead of result.json
/// </code>
/// </summary>
public sealed class RunFolder(string directory)
{
    /// <summary>The folder.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);
    /// <summary>The resolved configuration.</summary>
    public string Config => Path.Combine(Directory, "run.json");
    /// <summary>The per-epoch log.</summary>
    public string Log => Path.Combine(Directory, "log.csv");
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
    /// <summary>Predictions on split <paramref name="split"/> (<c>predictions_valid.csv</c>, <c>predictions_test.csv</c>).</summary>
    public string Predictions(string split) => Path.Combine(Directory, $"predictions_{split}.csv");
    /// <summary>The final result.</summary>
    public string Result => Path.Combine(Directory, "result.json");
    /// <summary>The failure record of a run that diverged or hit a non-finite loss (see <see cref="RunFailure"/>).</summary>
    public string Failed => Path.Combine(Directory, "failed.json");

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
        var sb = new StringBuilder();
        sb.Append(string.Join(',', LogColumns(fold, consistency))).Append('\n');
        foreach (var r in records)
        {
            var values = new List<string> { r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainAccuracy), F(r.TrainLoss) };
            if (consistency) values.AddRange([F(r.TrainConsistencyLoss ?? 0), F(r.TrainClassificationLoss)]);
            values.AddRange([F(r.ValidAccuracy), F(r.ValidLoss), F(r.LearningRate), F(r.ConsistencyWeight)]);
            sb.Append(string.Join(',', values)).Append('\n');
        }
        AtomicFile.WriteAllText(Log, sb.ToString());
    }

    /// <summary>Writes the per-epoch timings atomically.</summary>
    public void WriteTimings(IEnumerable<EpochTiming> timings)
    {
        var sb = new StringBuilder("epochs,train_seconds,valid_seconds,train_images_per_second,resident_mib,precise_bn_seconds\n");
        foreach (var t in timings)
            sb.Append(CultureInfo.InvariantCulture, $"{t.Epoch},{t.TrainSeconds:F3},{t.ValidSeconds:F3},{t.TrainImagesPerSecond:F2},{t.ResidentBytes / 1048576.0:F1},{t.PreciseBatchNormSeconds:F3}\n");
        AtomicFile.WriteAllText(Timings, sb.ToString());
    }

    /// <summary>Round-trip number format, invariant culture.</summary>
    internal static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>What <c>failed.json</c> holds: the run identity it belongs to, the epoch and why.</summary>
/// <param name="Key">The run key (see <see cref="Trainer"/>).</param>
/// <param name="Epoch">0-based epoch in which the run failed.</param>
/// <param name="Reason">The message the run stopped with.</param>
public sealed record RunFailure(string Key, int Epoch, string Reason);
