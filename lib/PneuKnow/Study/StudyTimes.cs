using System.Diagnostics;
using System.Globalization;
using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>The parts of a study's wall time that <see cref="StudyTimes"/> tells apart.</summary>
public enum StudyPhase
{
    /// <summary>Before the study's work: libtorch loaded, the oneDNN check, the preset resolved.</summary>
    Setup,
    /// <summary>Phantom generation and image decoding into the image stores (or reading their cache).</summary>
    Data,
    /// <summary>Training passes of the epochs trained in this process, BatchNorm recomputation included.</summary>
    Training,
    /// <summary>The validation pass after every epoch trained in this process.</summary>
    Validation,
    /// <summary>Each run's final pass: the selected checkpoint's validation and test predictions.</summary>
    Test,
    /// <summary>Grad-CAM: every finished run's decision regions, the claims that score them, and the Grad-CAM pictures.</summary>
    DecisionRegions,
    /// <summary>Reading the finished runs and writing the tables.</summary>
    Tables,
    /// <summary>The figures (Grad-CAM pictures excluded: <see cref="DecisionRegions"/>).</summary>
    Figures,
    /// <summary>Executing the notebooks.</summary>
    Notebooks,
    /// <summary>Units trained by worker processes (<c>reproduce --workers N</c>), whose own parts this process does not see.</summary>
    Workers,
}

/// <summary>
/// Where a study's wall time went: one stopwatch for the whole (from construction), the parts that the study times as
/// blocks (<see cref="Measure"/>) or that the trainer timed itself (<see cref="RunFinished"/>, from the epochs trained in this
/// process), the unaccounted remainder (model builds, checkpoint writes, logs, loading reused runs), and the seconds per
/// pair. Printed by <c>reproduce</c> at its end; written to no file, so a study's results do not depend on it.
/// </summary>
public sealed class StudyTimes
{
    readonly Func<TimeSpan> _elapsed;
    readonly double[] _seconds = new double[Enum.GetValues<StudyPhase>().Length];
    readonly Dictionary<(string Unit, Role Role, int Run), int> _epochsHere = [];
    readonly Dictionary<Role, int> _runsHere = [];
    StudyPhase? _open;

    /// <summary>Starts the study's stopwatch now.</summary>
    public StudyTimes() : this(Stopwatch.StartNew()) { }

    StudyTimes(Stopwatch watch) : this(() => watch.Elapsed) { }

    /// <summary>A breakdown on another clock (a test's): <paramref name="elapsed"/> is the study's time since it started.</summary>
    public StudyTimes(Func<TimeSpan> elapsed) => _elapsed = elapsed;

    /// <summary>The study's wall time so far.</summary>
    public TimeSpan Total => _elapsed();

    /// <summary>The seconds counted for <paramref name="phase"/> so far.</summary>
    public double Seconds(StudyPhase phase) => _seconds[(int)phase];

    /// <summary>The seconds of every part together.</summary>
    public double AccountedSeconds => _seconds.Sum();

    /// <summary>The total less every part: what no part timed (model builds, checkpoints and logs, loading reused runs, this breakdown's own printing).</summary>
    public double UnaccountedSeconds => Total.TotalSeconds - AccountedSeconds;

    /// <summary>Runs of <paramref name="role"/> trained (not reused) in this process.</summary>
    public int RunsTrained(Role role) => _runsHere.GetValueOrDefault(role);

    /// <summary>
    /// Pairs trained in this process: student runs, each with its teacher and compared with its baseline run (a baseline
    /// shared by several arms is shared by their pairs).
    /// </summary>
    public int Pairs => RunsTrained(Role.Student);

    /// <summary>The study's wall time per pair trained here; null when this process trained none.</summary>
    public double? SecondsPerPair => Pairs == 0 ? null : Total.TotalSeconds / Pairs;

    /// <summary>Times a block as <paramref name="phase"/>; dispose to stop. Blocks do not nest (a nested one would count its time twice).</summary>
    /// <exception cref="InvalidOperationException">Another block is open.</exception>
    public IDisposable Measure(StudyPhase phase)
    {
        if (_open is { } open)
            throw new InvalidOperationException($"study times: {SnakeCase.Of(phase)} measured inside {SnakeCase.Of(open)}; parts must not overlap.");
        _open = phase;
        return new Block(this, phase, _elapsed());
    }

    /// <summary>Adds seconds that something else timed (outside any open block).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public void Add(StudyPhase phase, double seconds)
    {
        if (!(seconds >= 0) || double.IsInfinity(seconds))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, $"study times, {SnakeCase.Of(phase)}: expected seconds ≥ 0.");
        _seconds[(int)phase] += seconds;
    }

    /// <summary>Records an epoch trained in this process (the trainer's timings of a resumed run also hold epochs of earlier processes).</summary>
    public void EpochTrained(string unit, Role role, int run) =>
        _epochsHere[(unit, role, run)] = _epochsHere.GetValueOrDefault((unit, role, run)) + 1;

    /// <summary>
    /// Adds a finished run's share: the training, BatchNorm and validation seconds of its last epochs, as many as this process
    /// trained, and its final pass; a reused run adds nothing and is not counted as trained.
    /// </summary>
    public void RunFinished(string unit, Role role, int run, TrainingResult result)
    {
        if (result.Reused) return;
        int here = Math.Min(_epochsHere.GetValueOrDefault((unit, role, run)), result.Timings.Count);
        foreach (var t in result.Timings.Skip(result.Timings.Count - here))
        {
            Add(StudyPhase.Training, t.TrainSeconds + t.PreciseBatchNormSeconds);
            Add(StudyPhase.Validation, t.ValidSeconds);
        }
        Add(StudyPhase.Test, result.FinalPassSeconds);
        _runsHere[role] = _runsHere.GetValueOrDefault(role) + 1;
    }

    /// <summary>Adds an experiment's image decoding.</summary>
    public void ExperimentFinished(ExperimentResult result) => Add(StudyPhase.Data, result.DataSeconds);

    /// <summary>
    /// The breakdown as <c>reproduce</c> prints it: the total, one line per part that took time (seconds and share), the
    /// unaccounted remainder, the runs trained here and the seconds per pair.
    /// </summary>
    public IReadOnlyList<string> Lines()
    {
        double total = Total.TotalSeconds;
        string Share(double s) => total > 0 ? (100 * s / total).ToString("F1", CultureInfo.InvariantCulture) + " %" : "-";
        string Row(string name, double s) => string.Create(CultureInfo.InvariantCulture, $"  {name,-60} {s,9:F1} s  {Share(s),7}");
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"time:    {total:F1} s ({total / 60:F1} min) in this process, by part:") };
        foreach (var phase in Enum.GetValues<StudyPhase>())
            if (Seconds(phase) > 0 || phase is StudyPhase.Training)
                lines.Add(Row(Names[phase], Seconds(phase)));
        // From the same reading of the clock as the total, so that the printed rows add up to the printed total.
        lines.Add(Row("unaccounted (model builds, checkpoints, logs, reused runs)", total - AccountedSeconds));
        var trained = string.Join(", ", new[] { Role.Baseline, Role.Teacher, Role.Student }.Select(r => $"{RunsTrained(r)} {SnakeCase.Of(r)}"));
        lines.Add(Pairs > 0
            ? string.Create(CultureInfo.InvariantCulture, $"pairs:   {Pairs} trained here ({trained} runs); {total / Pairs:F1} s per pair ") +
                "(the total ÷ the student runs: a pair is one student, its teacher and its share of the paired baseline)"
            : $"pairs:   none trained here ({trained} runs); no seconds per pair");
        return lines;
    }

    static readonly Dictionary<StudyPhase, string> Names = new()
    {
        [StudyPhase.Setup] = "setup (libtorch, oneDNN check, preset)",
        [StudyPhase.Data] = "data (phantom generation, image decoding)",
        [StudyPhase.Training] = "training (epochs trained here, BatchNorm passes)",
        [StudyPhase.Validation] = "validation (after every epoch)",
        [StudyPhase.Test] = "test passes (selected checkpoint: valid and test)",
        [StudyPhase.DecisionRegions] = "Grad-CAM (decision regions, claims, pictures)",
        [StudyPhase.Tables] = "tables (runs read, tables written)",
        [StudyPhase.Figures] = "figures",
        [StudyPhase.Notebooks] = "notebooks",
        [StudyPhase.Workers] = "units in worker processes",
    };

    sealed class Block(StudyTimes times, StudyPhase phase, TimeSpan started) : IDisposable
    {
        bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            times._open = null;
            times.Add(phase, Math.Max(0, (times._elapsed() - started).TotalSeconds));
        }
    }
}
