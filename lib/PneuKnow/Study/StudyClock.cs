using PneuKnow.Distillation;
using PneuKnow.Runtime;

namespace PneuKnow.Study;

/// <summary>
/// The study's elapsed time and an estimate of the time left, for its progress lines: the epochs still to train times the
/// time per epoch trained so far in this process (data generation and scoring included, so the rate carries their share).
/// Epochs that a reused or resumed run did not need are taken off the plan when the run reports that it has finished.
/// The estimate treats every epoch alike (a student's epoch, which also runs its teacher, costs more than a baseline's).
/// </summary>
public sealed class StudyClock
{
    readonly Func<TimeSpan> _elapsed;
    readonly Dictionary<(string Unit, Role Role, int Run), int> _trainedPerRun = [];
    int _trained, _skipped;

    /// <summary>A clock for a study that plans <paramref name="plannedEpochs"/> epochs in all.</summary>
    /// <param name="plannedEpochs">Epochs of every run of every unit this process runs, reused ones included.</param>
    /// <param name="elapsed">The study's elapsed time (a stopwatch; fixed values in tests).</param>
    public StudyClock(int plannedEpochs, Func<TimeSpan> elapsed)
    {
        if (plannedEpochs < 0) throw new ArgumentOutOfRangeException(nameof(plannedEpochs), plannedEpochs, "plannedEpochs: expected a count >= 0.");
        PlannedEpochs = plannedEpochs;
        _elapsed = elapsed;
    }

    /// <summary>Epochs planned in all.</summary>
    public int PlannedEpochs { get; }

    /// <summary>Epochs trained by this process so far.</summary>
    public int TrainedEpochs => _trained;

    /// <summary>Epochs left to train: planned, less those trained here and those that reused or resumed runs did not need.</summary>
    public int EpochsLeft => Math.Max(0, PlannedEpochs - _trained - _skipped);

    /// <summary>Records an epoch trained by this process.</summary>
    public void EpochTrained(string unit, Role role, int run)
    {
        _trained++;
        _trainedPerRun[(unit, role, run)] = _trainedPerRun.GetValueOrDefault((unit, role, run)) + 1;
    }

    /// <summary>Records that a run of <paramref name="epochs"/> epochs has finished: those this process did not train were not needed.</summary>
    public void RunFinished(string unit, Role role, int run, int epochs) =>
        _skipped += Math.Max(0, epochs - _trainedPerRun.GetValueOrDefault((unit, role, run)));

    /// <summary>The time left at the rate so far; null before this process has trained an epoch.</summary>
    public TimeSpan? Remaining => _trained == 0 ? null : _elapsed() / _trained * EpochsLeft;

    /// <summary>The clock as progress lines show it: <c>study 14 min, about 31 min left</c>.</summary>
    public string Text => Format(_elapsed(), Remaining);

    /// <summary><c>study 14 min, about 31 min left</c>, or <c>study 12 s</c> while nothing is known about the rate.</summary>
    public static string Format(TimeSpan elapsed, TimeSpan? remaining) =>
        remaining is { } left ? $"study {ProgressText.Duration(elapsed)}, about {ProgressText.Duration(left)} left" : $"study {ProgressText.Duration(elapsed)}";
}
