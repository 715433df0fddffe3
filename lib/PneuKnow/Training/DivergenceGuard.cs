using System.Globalization;

namespace PneuKnow.Training;

/// <summary>
/// Catches a run that diverges without ever reaching NaN (e.g. a learning rate 10⁶ times too high keeps the loss
/// finite around 10⁸): the epoch's mean training loss or its validation loss above <see cref="Factor"/> times the
/// loss of the run's very first batch. The first batch is the reference because it is computed before any
/// update acts (≈ ln(classes) for a fresh head), so a run that blows up within its first epoch is caught too.
/// Training losses of healthy runs fall from that value; no working recipe of this project comes near 100×.
/// </summary>
public static class DivergenceGuard
{
    /// <summary>How many times the first batch's loss an epoch's loss may reach before the run counts as diverged.</summary>
    public const double Factor = 100;

    /// <summary>Null when <paramref name="record"/> is healthy, else why the run diverged (names the epoch, the losses and the limit).</summary>
    /// <param name="firstBatchLoss">The run's first training batch loss; NaN (a run resumed from a state without it) disables the guard.</param>
    /// <param name="record">The epoch just trained and validated.</param>
    public static string? Check(double firstBatchLoss, EpochRecord record)
    {
        if (!double.IsFinite(firstBatchLoss) || firstBatchLoss <= 0) return null;
        double limit = Factor * firstBatchLoss;
        string? which = record.TrainLoss > limit ? "training" : record.ValidLoss > limit ? "validation" : null;
        return which is null ? null : string.Create(CultureInfo.InvariantCulture,
            $"the run diverged: epoch {record.Epoch}'s {which} loss is {(which == "training" ? record.TrainLoss : record.ValidLoss):G4} " +
            $"(training {record.TrainLoss:G4}, validation {record.ValidLoss:G4}), above {Factor:G}× the first batch's loss {firstBatchLoss:G4} " +
            $"(learning rate {record.LearningRate:G4}). Lower the learning rate.");
    }
}
