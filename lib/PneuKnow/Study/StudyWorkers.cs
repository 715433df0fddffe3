using PneuKnow.Runtime;

namespace PneuKnow.Study;

/// <summary>How one unit ended in a worker.</summary>
/// <param name="Unit">The unit.</param>
/// <param name="ExitCode">The worker's exit code (0: every run of the unit finished).</param>
/// <param name="Elapsed">Wall-clock time of the worker.</param>
public sealed record UnitOutcome(StudyUnit Unit, int ExitCode, TimeSpan Elapsed);

/// <summary>
/// Runs a study's units on several workers at once (on one machine, the local counterpart of
/// Slurm's job array): longest units first, at most <c>workers</c> at a time, each worker a
/// separate process that the caller starts.
/// </summary>
/// <remarks>
/// Workers are processes, not threads, because libtorch's random generator is process-wide:
/// two units training on threads of one process would draw each other's dropout masks and no
/// run could be reproduced. Units never depend on each other (a teacher and its student are one
/// unit), so any order gives the same runs. Whether N single-threaded workers beat one process
/// with N threads depends on the machine: on the 2-core VM this project is developed on, two
/// workers trained 64 px ResNet-18s at about the rate of one two-threaded process.
/// </remarks>
public static class StudyWorkers
{
    /// <summary>
    /// Relative cost of a unit in image passes per training image: epochs × the unit's runs (<see cref="StudyPreset.RunsOf"/>), where a
    /// student's epoch counts 1.25 (its frozen teacher's forward pass) and a teacher trains
    /// <c>TeacherEpochs / fraction</c> epochs on that fraction of the images.
    /// </summary>
    public static double EstimatedCost(StudyPreset preset, StudyUnit unit) =>
        preset.RunsOf(unit) * (unit.Kind == StudyUnitKind.Baseline
            ? preset.Epochs
            // The teacher of an annotation budget trains floor(1 / fraction · epochs) epochs (the authors' factor).
            : Math.Floor(1.0 / unit.Variant.RoiFraction * preset.TeacherEpochs) + 1.25 * preset.Epochs);

    /// <summary>The units in the order workers take them: costliest first (ties keep grid order), which keeps the last worker from finishing long after the others.</summary>
    public static IReadOnlyList<StudyUnit> LongestFirst(StudyPreset preset, IReadOnlyList<StudyUnit> units) =>
        units.Select((u, k) => (Unit: u, Index: k))
            .OrderByDescending(x => EstimatedCost(preset, x.Unit))
            .ThenBy(x => x.Index)
            .Select(x => x.Unit)
            .ToList();

    /// <summary>
    /// Runs <paramref name="units"/> through <paramref name="runUnit"/>, at most <paramref name="workers"/>
    /// at a time, costliest first; returns every outcome in completion order. A failed unit does
    /// not stop the others (their runs are kept either way); the caller decides what failures mean.
    /// </summary>
    /// <param name="preset">The preset, for the cost estimate.</param>
    /// <param name="units">The units to run.</param>
    /// <param name="workers">Parallel workers (≥ 1).</param>
    /// <param name="runUnit">Runs one unit to completion (typically by starting a process) and returns its exit code.</param>
    /// <param name="progress">One task per unit while it runs; its status says how it ended.</param>
    /// <param name="cancel">Stops starting units; passed on to the running ones.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> &lt; 1.</exception>
    public static async Task<IReadOnlyList<UnitOutcome>> RunAsync(StudyPreset preset, IReadOnlyList<StudyUnit> units, int workers,
        Func<StudyUnit, CancellationToken, Task<int>> runUnit, IProgress? progress = null, CancellationToken cancel = default)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "workers: expected 1 or more.");
        progress ??= SilentProgress.Instance;
        var queue = new Queue<StudyUnit>(LongestFirst(preset, units));
        var outcomes = new List<UnitOutcome>();
        var gate = new object();

        async Task Worker()
        {
            while (true)
            {
                StudyUnit unit;
                lock (gate)
                {
                    if (cancel.IsCancellationRequested || queue.Count == 0) return;
                    unit = queue.Dequeue();
                }
                using var task = progress.Start($"unit {unit.Key}", 1);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                int code;
                string? error = null;
                try { code = await runUnit(unit, cancel).ConfigureAwait(false); }
                catch (OperationCanceledException) { throw; }
                catch (Exception e) { (code, error) = (-1, e.Message); }
                lock (gate) outcomes.Add(new UnitOutcome(unit, code, sw.Elapsed));
                task.Advance(1, code == 0 ? $"done in {sw.Elapsed.TotalMinutes:F1} min"
                    : error is not null ? $"could not run: {error}"
                    : $"failed (exit {code}) after {sw.Elapsed.TotalMinutes:F1} min");
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(workers, Math.Max(1, units.Count))).Select(_ => Task.Run(Worker, CancellationToken.None))).ConfigureAwait(false);
        cancel.ThrowIfCancellationRequested();
        return outcomes;
    }
}
