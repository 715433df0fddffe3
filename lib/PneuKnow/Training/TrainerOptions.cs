using System.Text.Json.Serialization;
using PneuKnow.Augmentation;
using TorchSharp;

namespace PneuKnow.Training;

/// <summary>Which validation number picks the checkpoint.</summary>
public enum CheckpointCriterion
{
    /// <summary>The epoch with the lowest validation loss (the paper).</summary>
    // The names of the config files and run.json (see RunRecord).
    [JsonStringEnumMemberName("val_loss")]
    ValidationLoss,
    /// <summary>The epoch with the highest validation accuracy.</summary>
    [JsonStringEnumMemberName("val_acc")]
    ValidationAccuracy,
}

/// <summary>
/// The number formats of training. Every choice keeps the weights, the optimizer (Adam) state, the BatchNorm running
/// statistics, the losses and the softmax in float32; the mixed ones run the forward pass (and so its backward) of
/// the convolutions and linear layers in a 16-bit type through libtorch's autocast (<see cref="PneuKnow.Runtime.Autocast"/>),
/// as <c>torch.autocast</c> with float32 master weights does.
/// </summary>
public enum Precision
{
    /// <summary>float32 throughout.</summary>
    // The names of the config files, run.json and --precision (see RunRecord); the mixed ones as PyTorch Lightning spells them.
    [JsonStringEnumMemberName("fp32")]
    Float32,
    /// <summary>
    /// Autocast to bfloat16 for the forward pass: bfloat16 has float32's exponent range, so no loss scaling is needed.
    /// Fast where the CPU computes bfloat16 natively (AVX512-BF16, AMX) and on recent GPUs.
    /// </summary>
    [JsonStringEnumMemberName("bf16-mixed")]
    BFloat16Mixed,
    /// <summary>
    /// Autocast to float16 for the forward pass, with a dynamic loss scale (<see cref="DynamicLossScaler"/>) so that small
    /// gradients do not underflow float16 and steps whose gradients overflow are skipped: the authors' recipe on CUDA
    /// (<c>torch.cuda.amp</c> with a GradScaler). libtorch runs it on the CPU too, but CPUs without native float16
    /// arithmetic gain nothing from it.
    /// </summary>
    [JsonStringEnumMemberName("fp16-mixed")]
    Float16Mixed,
}

/// <summary>What a <see cref="Precision"/> means for the forward pass.</summary>
public static class PrecisionExtensions
{
    /// <summary>The autocast type of <paramref name="precision"/>, or null for float32.</summary>
    public static torch.ScalarType? AutocastType(this Precision precision) => precision switch
    {
        Precision.Float32 => null,
        Precision.BFloat16Mixed => torch.ScalarType.BFloat16,
        Precision.Float16Mixed => torch.ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, $"precision: expected one of {string.Join(", ", PneuKnow.Runtime.SnakeCase.Names<Precision>())}."),
    };

    /// <summary>
    /// Opens the forward pass's autocast scope for a model on <paramref name="device"/>, or returns null for float32 (a
    /// <c>using</c> of null does nothing, so the float32 path runs exactly the code it ran before mixed precision existed).
    /// </summary>
    /// <exception cref="PneuKnow.Runtime.AutocastUnavailableException">libtorch's autocast cannot be reached.</exception>
    public static PneuKnow.Runtime.Autocast? Forward(this Precision precision, torch.Device device) =>
        precision.AutocastType() is { } type ? new PneuKnow.Runtime.Autocast(device.type, type) : null;
}

/// <summary>
/// Hyper-parameters of one training run, every one stated: the paper's values are the defaults of a config's stage
/// (<see cref="StageConfig"/>, written once there) and reach a run through <see cref="StageConfig.ToTrainerOptions"/>.
/// </summary>
/// <param name="Epochs">Epochs to train.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="WeightDecay">Adam's L2 weight decay.</param>
/// <param name="Schedule">Learning-rate schedule.</param>
/// <param name="Criterion">Checkpoint selection.</param>
/// <param name="Seed">Seed of this run: each epoch reseeds torch (dropout, stochastic depth) from it.</param>
/// <param name="Precision">float32, or mixed precision with float32 master weights (<see cref="Training.Precision"/>).</param>
/// <param name="PreciseBatchNorm">
/// After every epoch's training and before its validation, recompute the BatchNorm running statistics over that
/// epoch's training batches with the weights frozen (<see cref="Training.PreciseBatchNorm"/>), so that validation,
/// checkpoint selection, the saved checkpoint and test predictions use statistics of the final weights rather than
/// a lagging moving average. Off in the paper's recipe: the authors do not do it. Changes only eval-mode numbers;
/// the weights train exactly as without it. Part of the run identity (<c>precise_bn</c> in run.json when on).
/// </param>
public sealed record TrainerOptions(
    int Epochs,
    double LearningRate,
    double WeightDecay,
    LearningRateScheduleKind Schedule,
    CheckpointCriterion Criterion,
    long Seed,
    Precision Precision,
    bool PreciseBatchNorm)
{
    /// <summary>Checks the values; the message names the offending key.</summary>
    /// <exception cref="ArgumentException">A value out of range.</exception>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs: expected at least 1, found {Epochs}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning_rate: expected a positive number, found {LearningRate}.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"weight_decay: expected 0 or a positive number, found {WeightDecay}.");
        _ = new LearningRateSchedule(Schedule, LearningRate, Epochs);
    }
}

/// <summary>A validation or test split: its batches and the file name of each dataset index.</summary>
/// <param name="Name">Split name as in the manifest, e.g. <c>valid</c> or <c>test</c>; names the predictions file.</param>
/// <param name="Source">Batches without augmentation.</param>
/// <param name="FileNames">File name of each index that <see cref="Batch.Index"/> can hold.</param>
public sealed record EvaluationSplit(string Name, IBatchSource Source, IReadOnlyList<string> FileNames);

/// <summary>Everything a run reads.</summary>
/// <param name="Train">Training batches (augmented).</param>
/// <param name="Valid">Validation split: selects the checkpoint.</param>
/// <param name="Test">Held-out test split evaluated once with the selected checkpoint, or null (the paper has none).</param>
/// <param name="Classes">Class labels in code order.</param>
public sealed record TrainingData(IBatchSource Train, EvaluationSplit Valid, EvaluationSplit? Test, IReadOnlyList<string> Classes);

/// <summary>One epoch's logged numbers, the authors' columns plus the learning rate and a_e.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="TrainAccuracy">Training accuracy of the epoch (model in training mode, augmented images).</param>
/// <param name="TrainLoss">Mean over batches of the minimised loss.</param>
/// <param name="TrainConsistencyLoss">Mean over batches of the distillation term, or null for methods without one.</param>
/// <param name="TrainClassificationLoss">Mean over batches of the cross-entropy.</param>
/// <param name="ValidAccuracy">Validation accuracy.</param>
/// <param name="ValidLoss">Mean cross-entropy per validation image.</param>
/// <param name="LearningRate">Learning rate in effect at the end of the epoch.</param>
/// <param name="ConsistencyWeight">a_e of the epoch.</param>
public sealed record EpochRecord(
    int Epoch, double TrainAccuracy, double TrainLoss, double? TrainConsistencyLoss, double TrainClassificationLoss,
    double ValidAccuracy, double ValidLoss, double LearningRate, double ConsistencyWeight);

/// <summary>How long an epoch took and how much memory the process held at its end.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="TrainSeconds">Seconds of the training pass.</param>
/// <param name="ValidSeconds">Seconds of the validation pass.</param>
/// <param name="TrainImagesPerSecond">Training images per second.</param>
/// <param name="ResidentBytes">Process resident set size at the end of the epoch.</param>
/// <param name="PreciseBatchNormSeconds">Seconds of the precise-BatchNorm pass (0 when off or for a model without BatchNorm; absent in state files of earlier code).</param>
/// <param name="Machine">Where the epoch ran (<see cref="PneuKnow.Runtime.TorchRuntime.Machine"/>): a run resumed elsewhere names
/// both machines, and runs of one study made on several machines say which; null in state files of earlier code.</param>
public sealed record EpochTiming(int Epoch, double TrainSeconds, double ValidSeconds, double TrainImagesPerSecond, long ResidentBytes,
    double PreciseBatchNormSeconds = 0, string? Machine = null);

/// <summary>What a finished run produced.</summary>
/// <param name="Directory">The run folder.</param>
/// <param name="BestEpoch">The selected epoch.</param>
/// <param name="BestValidLoss">Validation loss of the selected epoch.</param>
/// <param name="BestValidAccuracy">Validation accuracy of the selected epoch.</param>
/// <param name="TestLoss">Test loss of the selected checkpoint, or null without a test split.</param>
/// <param name="TestAccuracy">Test accuracy of the selected checkpoint, or null without a test split.</param>
/// <param name="Epochs">Every epoch's record.</param>
/// <param name="Timings">Every epoch's timing.</param>
/// <param name="Reused">True when the run folder already held a finished run with the same configuration.</param>
public sealed record TrainingResult(
    string Directory, int BestEpoch, double BestValidLoss, double BestValidAccuracy, double? TestLoss, double? TestAccuracy,
    IReadOnlyList<EpochRecord> Epochs, IReadOnlyList<EpochTiming> Timings, bool Reused)
{
    /// <summary>
    /// Wall seconds of the run's final pass in this process: the selected checkpoint loaded, its validation and test
    /// predictions computed and written; 0 for a reused run. For the study's time breakdown only: no file records it.
    /// </summary>
    public double FinalPassSeconds { get; init; }
}

/// <summary>A NaN/Inf loss, an out-of-memory error, or a run folder that belongs to another configuration.</summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);
