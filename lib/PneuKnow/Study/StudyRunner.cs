using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Study;

/// <summary>Where and how much of a study to run.</summary>
/// <param name="OutputDir">Study folder: <c>runs/</c>, <c>tables/</c>, <c>figures/</c>, <c>study.json</c>.</param>
/// <param name="DataRoot">Folder for generated phantom datasets (reused when already there).</param>
/// <param name="Shard">The part of the grid to run.</param>
/// <param name="Backbones">Restrict the preset's backbones (null: all of them).</param>
/// <param name="Runs">Override the preset's repeated-run count: this many runs in every arm (the primary arms included; see <see cref="StudyRunner.Restrict"/>).</param>
/// <param name="CacheDirectory">Decoded-image cache (null: none).</param>
/// <param name="Units">Run only these units of the shard, by <see cref="StudyUnit.Key"/> (a worker's share, see
/// <see cref="StudyWorkers"/>); the study stamp is then left to whoever runs the whole shard. Null: every unit.</param>
public sealed record StudyOptions(string OutputDir, string DataRoot = "data/generated", ShardSpec Shard = default,
    IReadOnlyList<string>? Backbones = null, int? Runs = null, string? CacheDirectory = null, IReadOnlyList<string>? Units = null)
{
    /// <summary>Which checkpoints stay once their runs are scored (<see cref="Study.KeepCheckpoints"/>; default: those read after the study).</summary>
    public KeepCheckpoints KeepCheckpoints { get; init; } = StudyCheckpoints.Default;

    /// <summary>Where the runner adds its parts of the study's wall time (data, training, validation, test passes, Grad-CAM); null: nowhere.</summary>
    public StudyTimes? Times { get; init; }
}

/// <summary>What a study run did.</summary>
/// <param name="Preset">The preset as run (after --backbones/--runs overrides).</param>
/// <param name="Stamp">The stamp written into the study folder.</param>
/// <param name="Experiments">Each unit's experiment folder and result, in grid order.</param>
/// <param name="Elapsed">Wall-clock time of this call.</param>
public sealed record StudyResult(StudyPreset Preset, StudyStamp Stamp, IReadOnlyList<(StudyUnit Unit, ExperimentResult Result)> Experiments, TimeSpan Elapsed);

/// <summary>
/// Runs a study grid: generates the phantom data if missing, then one experiment per unit of the
/// shard (baselines; teacher → student), each resumable; finished runs are reused, so calling it
/// again continues an interrupted study and costs nothing for a finished one.
/// </summary>
public static class StudyRunner
{
    /// <summary>
    /// The preset with command-line restrictions applied. <paramref name="runs"/> means that many runs in every arm: it also
    /// clears <see cref="StudyPreset.PrimaryRuns"/> (<c>--runs 2</c> for a quick look must not leave the primary arms at the
    /// preset's 30, and <c>--runs 40</c> must not leave them below the other arms). <paramref name="arms"/> keeps only the arms
    /// (<see cref="StudyVariant.Name"/>) named, in the preset's order: <c>--arms do --backbones cntk_resnet18</c> is the
    /// primary arms alone, what a replication needs (docs/study-design.md).
    /// </summary>
    /// <exception cref="ArgumentException">A backbone the preset's zoo does not know, runs ≤ 0, or an arm the preset does not have.</exception>
    public static StudyPreset Restrict(StudyPreset preset, IReadOnlyList<string>? backbones, int? runs, IReadOnlyList<string>? arms = null)
    {
        if (arms is { Count: > 0 })
        {
            var unknown = arms.Where(a => preset.Variants.All(v => v.Name != a)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"arms: {string.Join(", ", unknown)} not in preset {preset.Name}; expected some of {string.Join(", ", preset.Variants.Select(v => v.Name))}.");
            preset = preset with { Variants = preset.Variants.Where(v => arms.Contains(v.Name)).ToList() };
        }
        if (backbones is { Count: > 0 })
        {
            var unknown = backbones.Where(b => !Models.BackboneZoo.Names.Contains(b)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"backbones: unknown {string.Join(", ", unknown)}; expected some of {string.Join(", ", Models.BackboneZoo.Names)}.");
            preset = preset with { Backbones = backbones.ToList() };
        }
        if (runs is { } n)
        {
            if (n <= 0) throw new ArgumentException($"runs: expected a positive count, found {n}.");
            preset = preset with { Runs = n, PrimaryRuns = null };
        }
        return preset;
    }

    /// <summary>Runs (or continues) the study. Call <see cref="TorchRuntime.Initialize"/> first.</summary>
    public static StudyResult Run(StudyPreset preset, StudyOptions options, IProgress? progress = null, CancellationToken cancel = default)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        preset = Restrict(preset, options.Backbones, options.Runs);
        var shard = options.Shard.Count == 0 ? ShardSpec.All : options.Shard;
        var units = Select(StudyGrid.Shard(StudyGrid.Units(preset), shard), options.Units);
        var manifests = new Dictionary<string, string>(StringComparer.Ordinal);
        progress ??= SilentProgress.Instance;
        var times = options.Times;
        foreach (var condition in units.Select(u => ConditionOf(preset, u)).DistinctBy(c => c.Name))
            using (times?.Measure(StudyPhase.Data))
                manifests[condition.Name] = EnsureData(preset, condition, options.DataRoot,
                    RelabelledProgress.Prefixed(progress, ProgressText.Label("data", condition.Name)));
        var runsRoot = Path.Combine(options.OutputDir, "runs");
        var configs = units.Select(u => ConfigFor(preset, u, manifests[ConditionOf(preset, u).Name], runsRoot)).ToList();
        // Every task of the study shows the study's clock after its own text (progress only; nothing of it reaches a file).
        var clock = new StudyClock(configs.Sum(PlannedEpochs), () => sw.Elapsed);
        var timed = progress is SilentProgress ? progress : new RelabelledProgress(progress, d => $"{d} ({clock.Text})");
        var checkpoints = new StudyCheckpoints(options.KeepCheckpoints, runsRoot, preset);
        var done = new List<(StudyUnit, ExperimentResult)>();
        for (int i = 0; i < units.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var (unit, config) = (units[i], configs[i]);
            var label = UnitLabel(i, units.Count, unit, ConditionOf(preset, unit));
            var scored = unit.Variant.Name == StudyVariant.Main.Name;
            var experimentOptions = new ExperimentOptions(OutputRoot: runsRoot, CacheDirectory: options.CacheDirectory)
            {
                ProgressLabel = label,
                EpochCompleted = (role, k, _) =>
                {
                    clock.EpochTrained(unit.Key, role, k);
                    times?.EpochTrained(unit.Key, role, k);
                },
                RunFinished = (role, k, result) =>
                {
                    clock.RunFinished(unit.Key, role, k, StageOf(config, role).EffectiveEpochs(role == Role.Teacher));
                    times?.RunFinished(unit.Key, role, k, result);
                    // The main arm's runs are scored for the decision-region tables as each one finishes (scores are cached in its
                    // folder), so that its checkpoint is no longer needed by anything the tables read.
                    if (scored)
                        using (times?.Measure(StudyPhase.DecisionRegions))
                            StudyDecisionRegions.ScoreRun(Experiment.RunFolderOf(Path.Combine(runsRoot, unit.Key), role, k),
                                StudyDecisionRegions.ScoringOf(unit, role, k, ReportedSplit(preset), preset), timed);
                    // Predictions and scores are written: the checkpoint goes unless something reads it later.
                    checkpoints.RunFinished(unit, role, k);
                },
            };
            var experiment = Experiment.Run(config, timed, experimentOptions, cancel);
            times?.ExperimentFinished(experiment);
            done.Add((unit, experiment));
            checkpoints.Prune();
        }
        var stamp = new StudyStamp(preset.Name, StudyStamp.CurrentCodeVersion, shard.ToString(), preset.Backbones, preset.Runs,
            units.Select(u => u.Key).ToList(), preset.Conditions, preset.Seed, StudyStamp.CurrentMachine(), preset.PrimaryRuns,
            Arms: ArmsOf(preset), Precision: PrecisionOf(preset));
        if (options.Units is null) stamp.Write(options.OutputDir);
        return new StudyResult(preset, stamp, done, sw.Elapsed);
    }

    /// <summary>
    /// The arms a study stamp records: null when the preset runs all the arms its name has (stamps stay as they were), else
    /// their names (<c>reproduce --arms</c>).
    /// </summary>
    public static IReadOnlyList<string>? ArmsOf(StudyPreset preset)
    {
        // A preset built in code under a name of its own (a test's) has no named original to differ from.
        if (!StudyPreset.Names.Contains(preset.Name)) return null;
        var names = preset.Variants.Select(v => v.Name).ToList();
        return names.SequenceEqual(StudyPreset.Get(preset.Name).Variants.Select(v => v.Name)) ? null : names;
    }

    /// <summary>
    /// The precision a study stamp records: null for fp32, the published number format (stamps of fp32 studies stay byte for
    /// byte as they were), else the preset's (<c>reproduce --precision</c>).
    /// </summary>
    public static Precision? PrecisionOf(StudyPreset preset) => preset.Precision == Precision.Float32 ? null : preset.Precision;

    /// <summary>
    /// How progress lines name unit <paramref name="index"/> (0-based) of <paramref name="count"/>: <c>unit 3/10 · resnet18 ·
    /// shortcut</c>, with the arm after the condition when it is not the main one (<c>· noroi</c>, <c>· roi30</c>).
    /// </summary>
    public static string UnitLabel(int index, int count, StudyUnit unit, StudyCondition condition) =>
        string.Join(" · ", new[] { "unit " + ProgressText.OneBased(index, count), unit.Backbone, condition.Name,
            unit.Variant.Name == StudyVariant.Main.Name ? null : unit.Variant.Name }.Where(p => p is not null));

    /// <summary>Epochs an experiment trains in all: every repeated run of each of its stages (a teacher's floor(epochs / roi_percent)).</summary>
    public static int PlannedEpochs(ExperimentConfig config) => config.RepeatedRuns * (config.Kind == ExperimentKind.Baseline
        ? config.Model!.EffectiveEpochs(false)
        : config.Teacher!.EffectiveEpochs(true) + config.Student!.EffectiveEpochs(false));

    static StageConfig StageOf(ExperimentConfig config, Role role) => role switch
    {
        Role.Baseline => config.Model!,
        Role.Teacher => config.Teacher!,
        _ => config.Student!,
    };

    /// <summary>The units of <paramref name="shard"/> named in <paramref name="keys"/> (all when null), in grid order.</summary>
    /// <exception cref="ArgumentException">A key that is not a unit of the shard; the message lists the valid ones.</exception>
    public static IReadOnlyList<StudyUnit> Select(IReadOnlyList<StudyUnit> shard, IReadOnlyList<string>? keys)
    {
        if (keys is null) return shard;
        var unknown = keys.Where(k => shard.All(u => u.Key != k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"units: {string.Join(", ", unknown)} not in this study; expected some of {string.Join(", ", shard.Select(u => u.Key))}.");
        return shard.Where(u => keys.Contains(u.Key)).ToList();
    }

    /// <summary>The split a preset reports: the held-out test split, or validation as the authors did.</summary>
    public static string ReportedSplit(StudyPreset preset) => preset.Recipe == StudyRecipe.Authors ? SplitNames.Valid : SplitNames.Test;

    /// <summary>The data condition a unit trains on (the preset's only one when the unit names none).</summary>
    public static StudyCondition ConditionOf(StudyPreset preset, StudyUnit unit) => unit.Condition ?? preset.Conditions[0];

    /// <summary>The phantom options of a preset's data in one condition.</summary>
    public static PhantomOptions PhantomFor(StudyPreset preset, StudyCondition condition)
    {
        var d = preset.Data;
        var splits = d.Splits ?? (preset.Recipe == StudyRecipe.Authors ? SplitFractions.Authors : SplitFractions.Default);
        return new PhantomOptions
        {
            Images = d.Images, Size = d.ImageSize, Seed = (ulong)d.Seed, Splits = splits, Conspicuity = d.Conspicuity,
            ShortcutStrength = condition.ShortcutStrength,
        };
    }

    /// <summary>The manifest the preset trains on in <paramref name="condition"/>, generating the phantom when it is not there yet.</summary>
    public static string EnsureData(StudyPreset preset, StudyCondition condition, string dataRoot, IProgress progress)
    {
        if (preset.Data.ExistingManifest is { } existing)
        {
            if (!File.Exists(existing)) throw new FileNotFoundException($"study data: manifest {existing} not found.", existing);
            return Path.GetFullPath(existing);
        }
        var o = PhantomFor(preset, condition);
        // Every knob that changes the pixels is in the name, so a study never reuses another recipe's data.
        var contrast = o.Conspicuity == 1.0 ? "" : FormattableString.Invariant($"-conspicuity{o.Conspicuity:0.##}");
        var splits = FormattableString.Invariant($"-split{o.Splits.Train:0.###}-{o.Splits.Valid:0.###}-{o.Splits.Test:0.###}");
        var shortcut = FormattableString.Invariant($"-shortcut{o.ShortcutStrength:0.##}");
        var dir = Path.GetFullPath(Path.Combine(dataRoot, $"phantom-{o.Images}-{o.Size}px-seed{o.Seed}{contrast}{shortcut}{splits}"));
        var manifest = Path.Combine(dir, PhantomGenerator.ManifestFileName);
        if (File.Exists(manifest)) return manifest;
        // One generator at a time per data root: a second study that needs the same data waits for it instead of
        // generating it again, and under the lock every half-generated folder is a killed generation's leftover.
        var command = $"pneuknow reproduce (generating {Path.GetFileName(dir)})";
        FolderLock? generating = null;
        try { generating = FolderLock.Acquire(dataRoot, command); }
        catch (FolderLockedException e) when (e.Holder is { } h && h.Pid == Environment.ProcessId && h.Host == Environment.MachineName)
        {
            // This process holds it already (the data root is its own output folder, or another of its threads is
            // generating): waiting would wait for itself; the move into place below settles a race.
        }
        catch (FolderLockedException)
        {
            IProgressTask? waited = null;
            generating = FolderLock.Acquire(dataRoot, command, wait: true,
                waiting: h => waited = progress.Start($"data: waiting for {h?.ToString() ?? "another process"} to finish generating under {Path.GetFullPath(dataRoot)}", 1));
            waited?.Dispose();
        }
        using var held = generating;
        if (generating is not null) RemoveLeftoverData(dataRoot);
        if (File.Exists(manifest)) return manifest;
        // Generate into a sibling folder and move it into place, so an interrupted generation is never mistaken for data.
        var temp = TempDataFolder(dir);
        PhantomGenerator.Generate(o, temp, progress);
        try { Directory.Move(temp, dir); }
        catch (IOException) when (File.Exists(manifest))
        {
            // Another process generated the same seeded data first (Slurm array tasks start together): use its copy.
            Directory.Delete(temp, true);
        }
        return manifest;
    }

    /// <summary>Where <see cref="EnsureData"/> generates a data folder before moving it into place.</summary>
    static string TempDataFolder(string dir) => $"{dir}.tmp-{Environment.ProcessId}";

    /// <summary>Matches the names <see cref="TempDataFolder"/> makes for phantom data, and nothing else.</summary>
    static readonly System.Text.RegularExpressions.Regex TempDataPattern = new(@"^phantom-.+\.tmp-\d+$");

    /// <summary>
    /// Removes the half-generated <c>phantom-….tmp-&lt;pid&gt;</c> folders that killed generations left directly under
    /// <paramref name="dataRoot"/>. Call it only under the data root's <see cref="FolderLock"/>.
    /// </summary>
    /// <returns>The folders removed (full paths).</returns>
    public static IReadOnlyList<string> RemoveLeftoverData(string dataRoot)
    {
        var removed = new List<string>();
        if (!Directory.Exists(dataRoot)) return removed;
        foreach (var d in Directory.EnumerateDirectories(dataRoot))
            if (TempDataPattern.IsMatch(Path.GetFileName(d)))
            {
                Directory.Delete(d, recursive: true);
                removed.Add(Path.GetFullPath(d));
            }
        return removed;
    }

    /// <summary>The experiment config of one unit, in the trainer's terms.</summary>
    public static ExperimentConfig ConfigFor(StudyPreset p, StudyUnit unit, string manifest, string runsRoot)
    {
        var dataDir = Path.GetDirectoryName(manifest)!;
        bool pretrained = p.RequirePretrained || Models.BackboneZoo.PretrainedSource(unit.Backbone) is not null;
        StageConfig Stage(int epochs) => new StageConfig(p.Resolution, unit.Backbone, unit.Variant.Dropout, epochs, unit.Variant.Augmentation, p.BatchSize)
        {
            LearningRate = pretrained ? p.LearningRate : p.ScratchLearningRate ?? p.LearningRate,
            Schedule = p.Schedule,
            Pretrained = pretrained,
            // Only the ResNets have a dilated variant; the others keep the reference stride.
            OutputStride = unit.Backbone.Contains("resnet", StringComparison.Ordinal) ? p.OutputStride : Models.Backbone.ReferenceOutputStride,
            PreciseBatchNorm = p.PreciseBatchNorm,
            Precision = p.Precision,
        };
        var baseConfig = new ExperimentConfig(unit.Key, Path.Combine(dataDir, "raw"), Path.Combine(dataDir, "roi"), manifest, runsRoot,
            Cuda: 0, RepeatedRuns: p.RunsOf(unit), Model: null, Teacher: null, Student: null)
        {
            // Each data condition is its own experiment: its teachers (and pairs) draw seeds of their own, so that the two
            // conditions' comparisons are independent (a ROI teacher does not see the confounder, and with a shared seed
            // it would be the same network in both conditions).
            Seed = unit.Condition is null ? p.Seed : Training.Seeds.Derive(p.Seed, "condition:" + unit.Condition.Name, 0),
            TestSplit = SplitNames.Test,
            ValidSplit = SplitNames.Valid,
        };
        return unit.Kind == StudyUnitKind.Baseline
            ? baseConfig with { Model = Stage(p.Epochs) }
            : baseConfig with
            {
                Teacher = Stage(p.TeacherEpochs) with { RoiFraction = unit.Variant.RoiFraction, TeacherInput = unit.Variant.TeacherOnRaw ? TeacherInput.Raw : TeacherInput.Roi },
                Student = Stage(p.Epochs) with { KdEpochs = p.KdEpochs, AuthorsDoubleForward = p.AuthorsDoubleForward },
            };
    }
}
