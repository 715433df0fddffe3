using System.Globalization;
using PneuKnow.Augmentation;
using PneuKnow.Data;
using PneuKnow.Distillation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Training;

/// <summary>What <see cref="Experiment.Run"/> produced.</summary>
/// <param name="Directory">The experiment folder, <c>&lt;out&gt;/&lt;experiment_name&gt;</c>.</param>
/// <param name="Kind">Baseline or distillation.</param>
/// <param name="Baselines">One result per repeated run (baseline experiments).</param>
/// <param name="Teachers">One result per repeated run (distillation experiments).</param>
/// <param name="Students">One result per repeated run (distillation experiments).</param>
public sealed record ExperimentResult(string Directory, ExperimentKind Kind, IReadOnlyList<TrainingResult> Baselines,
    IReadOnlyList<TrainingResult> Teachers, IReadOnlyList<TrainingResult> Students)
{
    /// <summary>Wall seconds this call spent decoding images into its image stores (or reading their cache); no file records it.</summary>
    public double DataSeconds { get; init; }

    /// <summary>The runs whose numbers an experiment reports: the baselines, or the students.</summary>
    public IReadOnlyList<TrainingResult> Reported => Kind == ExperimentKind.Baseline ? Baselines : Students;
}

/// <summary>Overrides that do not belong in a config file.</summary>
/// <param name="OutputRoot">Folder that receives <c>&lt;experiment_name&gt;/</c>; null means the config's model_dir.</param>
/// <param name="Pretrained">Overrides every stage's <c>pretrained</c> (e.g. false on phantom data without local weights); null keeps the config's.</param>
/// <param name="CacheDirectory">Decoded-image cache of the <see cref="ImageStore"/>; null disables it.</param>
/// <param name="EvalBatchSize">Batch size of validation and test passes (the result does not depend on it).</param>
public sealed record ExperimentOptions(string? OutputRoot = null, bool? Pretrained = null, string? CacheDirectory = null, int EvalBatchSize = 16)
{
    /// <summary>Called after every completed epoch with the role and run number; notebooks plot live curves from it.</summary>
    public Action<Role, int, EpochRecord>? EpochCompleted { get; init; }

    /// <summary>
    /// Called after each run has finished (trained now or reused) with the role, the run number and its result; the study
    /// scores a run's decision regions here, while its checkpoint is still at hand.
    /// </summary>
    public Action<Role, int, TrainingResult>? RunFinished { get; init; }

    /// <summary>Called with every training batch: role, run number, epoch and the batch as drawn (see <see cref="TrainingRun.BatchDrawn"/>).</summary>
    public Action<Role, int, int, Batch>? BatchDrawn { get; init; }

    /// <summary>
    /// What progress lines call the experiment (default: its <c>experiment_name</c>); a study passes the unit, e.g.
    /// <c>unit 3/10 · resnet18 · shortcut</c>. Runs add their role and number (<see cref="Experiment.RunLabel"/>). Progress
    /// text only: it reaches no file.
    /// </summary>
    public string? ProgressLabel { get; init; }
}

/// <summary>
/// The end-to-end path from a config to run folders: manifest → image store → batch loaders →
/// backbones → trainer, for every repeated run; for distillation configs the teacher of run k is
/// trained (or its finished folder reused) before the student of run k. Layout:
/// <code>
/// &lt;out&gt;/&lt;experiment_name&gt;/config.json                          the resolved config (JSON form; paths relative to this folder)
/// &lt;out&gt;/&lt;experiment_name&gt;/&lt;role&gt;/run_&lt;k&gt;/…                    one <see cref="RunFolder"/> per repeated run; role = baseline | teacher | student (<see cref="Role"/>)
/// &lt;out&gt;/&lt;experiment_name&gt;/&lt;role&gt;/&lt;experiment_name&gt;[_teacher|_student]_&lt;arch&gt;_metrics.csv   all runs side by side, the authors' log format
/// &lt;out&gt;/&lt;experiment_name&gt;/&lt;role&gt;/summary.csv                  per run: selected epoch, validation and test numbers
/// </code>
/// </summary>
public static class Experiment
{
    /// <summary>The resolved config's file in the experiment folder (<see cref="ExperimentConfig.ToJson"/>).</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>The folder of a role's runs in an experiment folder: <c>&lt;experiment&gt;/&lt;role&gt;</c>, the role in snake_case.</summary>
    public static string RoleFolder(string experimentDir, Role role) => Path.Combine(experimentDir, SnakeCase.Of(role));

    /// <summary>The folder of run <paramref name="k"/> of a role: <c>&lt;experiment&gt;/&lt;role&gt;/run_&lt;k&gt;</c>.</summary>
    public static string RunFolderOf(string experimentDir, Role role, int k) => Path.Combine(RoleFolder(experimentDir, role), RunFolder.NameOf(k));

    /// <summary>
    /// The file name of a role's side-by-side per-epoch log in its role folder, the authors' naming:
    /// <c>&lt;experiment&gt;_&lt;arch&gt;_metrics.csv</c> for the baselines, <c>&lt;experiment&gt;_&lt;role&gt;_&lt;arch&gt;_metrics.csv</c> otherwise.
    /// </summary>
    public static string MetricsLogName(string experimentName, Role role, string architecture) =>
        $"{experimentName}{(role == Role.Baseline ? "" : "_" + SnakeCase.Of(role))}_{architecture}_metrics.csv";

    /// <summary>Runs (or resumes, or reuses) every run of <paramref name="config"/>.</summary>
    /// <param name="config">The experiment, e.g. from <see cref="ExperimentConfig.Load"/>.</param>
    /// <param name="progress">Live progress (per epoch); null for none.</param>
    /// <param name="options">Output folder and overrides.</param>
    /// <param name="cancel">Stops between batches; rerunning continues where it stopped.</param>
    /// <example><code>
    /// TorchRuntime.Initialize("cpu");
    /// var result = Experiment.Run(ExperimentConfig.Load("configs/hkd_smoke.json"), progress, new ExperimentOptions(OutputRoot: "runs"));
    /// </code></example>
    public static ExperimentResult Run(ExperimentConfig config, IProgress? progress = null, ExperimentOptions? options = null, CancellationToken cancel = default)
    {
        progress ??= SilentProgress.Instance;
        options ??= new ExperimentOptions();
        var label = options.ProgressLabel ?? config.ExperimentName;
        var device = TorchRuntime.Device;
        // The experiment's folder is one folder inside the output root, whatever the config's name says: configs built
        // in code (the study's units) go through the same rule as loaded ones.
        var outputRoot = Path.GetFullPath(options.OutputRoot ?? config.ModelDir);
        var root = Runtime.SafePath.Under(outputRoot,
            Runtime.SafePath.Segment(config.ExperimentName, $"{config.SourcePath ?? "config"}, experiment_name"));
        Directory.CreateDirectory(root);
        // Paths relative to the experiment folder: a results tree moved with its data still names the right files (Load
        // resolves them against the file's folder), and no machine's folder names end up in committed results.
        AtomicFile.WriteAllText(Path.Combine(root, ConfigFileName), config.ToJson(relativeTo: root));

        var manifest = Manifest.Load(config.MetadataFile, new ManifestOptions { ImageFolder = config.RawDataDir, RoiFolder = config.RoiDataDir });
        // The checks data check applies (one validator): an unknown label would otherwise become one more class of the head.
        ManifestChecks.Check(manifest, $"training takes the authors' five labels (check the class column of {config.MetadataFile}, or run `pneuknow data check --manifest {config.MetadataFile}`)");
        var stores = new Dictionary<int, ImageStore>();
        double dataSeconds = 0;
        ImageStore StoreAt(int size)
        {
            if (!stores.TryGetValue(size, out var s))
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                stores[size] = s = ImageStore.Open(manifest, size, new ImageStoreOptions { CacheDirectory = options.CacheDirectory },
                    RelabelledProgress.Prefixed(progress, ProgressText.Label(label)));
                dataSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
            return s;
        }

        if (config.Kind == ExperimentKind.Baseline)
        {
            var stage = config.Model!;
            var runs = new List<TrainingResult>();
            for (int k = 0; k < config.RepeatedRuns; k++)
            {
                long seed = PairSeed(config.Seed, k);
                var data = Data(config, StoreAt(stage.Resolution), stage, seed, options, fraction: 1.0, sampleSeed: 0);
                using var model = Build(stage, data.Classes.Count, seed, options, device);
                runs.Add(Trainer.Train(new TrainingRun(model, new Baseline(), data, stage.ToTrainerOptions(false, seed),
                    RunFolderOf(root, Role.Baseline, k))
                {
                    Fold = k, Description = RunLabel(label, Role.Baseline, k, config.RepeatedRuns), EpochCompleted = Report(options, Role.Baseline, k), BatchDrawn = Drawn(options, Role.Baseline, k),
                    Config = RunConfigOf(config, Role.Baseline, stage, k, seed, options),
                }, progress, cancel));
                options.RunFinished?.Invoke(Role.Baseline, k, runs[^1]);
            }
            WriteSummaries(root, config.ExperimentName, Role.Baseline, stage.Architecture, runs, consistency: false);
            return new ExperimentResult(root, config.Kind, runs, [], []) { DataSeconds = dataSeconds };
        }

        var teacherStage = config.Teacher!;
        var studentStage = config.Student!;
        var teachers = new List<TrainingResult>();
        // The authors train every teacher first, then every student; run k's student learns from run k's teacher.
        for (int k = 0; k < config.RepeatedRuns; k++)
        {
            // "teacher" is the seed's label, fixed text: a renamed role must not change the teachers' seeds.
            long seed = Seeds.Derive(config.Seed, "teacher", k);
            var data = Data(config, StoreAt(teacherStage.Resolution), teacherStage, seed, options, teacherStage.RoiFraction, teacherStage.RoiSampleSeed);
            using var model = Build(teacherStage, data.Classes.Count, seed, options, device);
            teachers.Add(Trainer.Train(new TrainingRun(model, new RoiTeacher(onRaw: teacherStage.TeacherInput == TeacherInput.Raw), data,
                teacherStage.ToTrainerOptions(true, seed), RunFolderOf(root, Role.Teacher, k))
            {
                Fold = k, Description = RunLabel(label, Role.Teacher, k, config.RepeatedRuns), EpochCompleted = Report(options, Role.Teacher, k), BatchDrawn = Drawn(options, Role.Teacher, k),
                Config = RunConfigOf(config, Role.Teacher, teacherStage, k, seed, options),
            }, progress, cancel));
            options.RunFinished?.Invoke(Role.Teacher, k, teachers[^1]);
        }
        WriteSummaries(root, config.ExperimentName, Role.Teacher, teacherStage.Architecture, teachers, consistency: false);

        var students = new List<TrainingResult>();
        for (int k = 0; k < config.RepeatedRuns; k++)
        {
            long seed = PairSeed(config.Seed, k);
            var data = Data(config, StoreAt(studentStage.Resolution), studentStage, seed, options, fraction: 1.0, sampleSeed: 0);
            using var teacher = Build(teacherStage with { Pretrained = false }, data.Classes.Count, seed, options with { Pretrained = false }, device);
            var studentDir = RunFolderOf(root, Role.Student, k);
            // A finished student is reused without its teacher, so a study whose finished pairs were committed without their
            // checkpoints (*.pt are not committed) continues on another clone.
            if (!RunFile.Exists(new RunFolder(studentDir).Result))
            {
                var teacherWeights = new RunFolder(teachers[k].Directory).BestModel;
                if (!File.Exists(teacherWeights))
                    throw new TrainingException($"{teacherWeights}: expected teacher run {k}'s selected weights to train student run {k}, found no file " +
                        "(checkpoints are not committed). Delete the teacher's run folder to train it again (deterministic on the same CPU, libtorch and threads).");
                CheckpointFile.Load(teacher, teacherWeights);
            }
            using var student = Build(studentStage, data.Classes.Count, seed, options, device);
            var adapter = FeatureAdapter.Between(teacher, student, studentStage.Resolution, device);
            bool teacherOnRaw = teacherStage.TeacherInput == TeacherInput.Raw;
            ITrainingMethod method = studentStage.Method == DistillationMethod.LogitKd
                ? new LogitKdStudent(teacher, studentStage.KdEpochs ?? 0, studentStage.KdTemperature, studentStage.ConsistencyWeight, teacherOnRaw)
                : new HkdStudent(teacher, studentStage.KdEpochs ?? 0, studentStage.ConsistencyWeight, adapter, studentStage.NormalizedFeatures, teacherOnRaw,
                    studentStage.AuthorsDoubleForward);
            students.Add(Trainer.Train(new TrainingRun(student, method, data, studentStage.ToTrainerOptions(false, seed),
                studentDir)
            {
                Fold = k, Description = RunLabel(label, Role.Student, k, config.RepeatedRuns), EpochCompleted = Report(options, Role.Student, k), BatchDrawn = Drawn(options, Role.Student, k),
                Config = RunConfigOf(config, Role.Student, studentStage, k, seed, options, teachers[k].Directory),
            }, progress, cancel));
            options.RunFinished?.Invoke(Role.Student, k, students[^1]);
            adapter?.Dispose();
        }
        WriteSummaries(root, config.ExperimentName, Role.Student, studentStage.Architecture, students, consistency: true);
        return new ExperimentResult(root, config.Kind, [], teachers, students) { DataSeconds = dataSeconds };
    }

    /// <summary>
    /// The seed of run <paramref name="run"/> of a baseline and of a student alike: pair k of a study shares the initial
    /// weights (of everything the pretrained weights do not set: the head), the data order, the augmentation draws and the
    /// dropout draws, so the student-minus-baseline difference of a pair measures the method, not the luck of a seed.
    /// Teachers draw their own seeds.
    /// </summary>
    public static long PairSeed(long experimentSeed, int run) => Seeds.Derive(experimentSeed, "pair", run);

    /// <summary>
    /// How progress lines name run <paramref name="run"/> (0-based) of <paramref name="runs"/> of a role:
    /// <c>[unit 3/10 · resnet18 · shortcut · student · run 1/3]</c>, the run counted from 1 as the epochs are.
    /// </summary>
    public static string RunLabel(string experiment, Role role, int run, int runs) =>
        ProgressText.Label(experiment, SnakeCase.Of(role), "run " + ProgressText.OneBased(run, runs));

    static Action<int, Batch>? Drawn(ExperimentOptions options, Role role, int run) =>
        options.BatchDrawn is { } callback ? (epoch, batch) => callback(role, run, epoch, batch) : null;

    static Action<EpochRecord, EpochTiming>? Report(ExperimentOptions options, Role role, int run) =>
        options.EpochCompleted is { } callback ? (record, _) => callback(role, run, record) : null;

    /// <summary>
    /// The training images a teacher sees: the authors' pandas <c>sample(frac=fraction, random_state=seed)</c> of
    /// <paramref name="count"/> rows, i.e. round(fraction · count) of them (Python's round, ties to even; at least one)
    /// drawn by NumPy's legacy generator (<see cref="NumPyRandomState"/>), returned in ascending order.
    /// </summary>
    public static int[] Sample(int count, double fraction, int seed)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "roi_percent: expected a value in (0, 1].");
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        if (fraction >= 1) return Enumerable.Range(0, count).ToArray();
        int n = Math.Max(1, (int)Math.Round(fraction * count, MidpointRounding.ToEven));
        return new NumPyRandomState((uint)seed).ChooseWithoutReplacement(count, n).Order().ToArray();
    }

    static TrainingData Data(ExperimentConfig config, ImageStore store, StageConfig stage, long seed, ExperimentOptions options, double fraction, int sampleSeed)
    {
        var train = store.Split(SplitNames.Train);
        if (train.Count == 0) throw new ConfigException($"{config.MetadataFile}: no rows with split 'train'.");
        if (fraction < 1) train = new SampledSet(train, Sample(train.Count, fraction, sampleSeed));
        var valid = store.Split(config.ValidSplit);
        if (valid.Count == 0) throw new ConfigException($"{config.MetadataFile}: no rows with split '{config.ValidSplit}' (valid_split) to select checkpoints.");
        var test = store.Records.Any(r => r.Split == config.TestSplit) ? store.Split(config.TestSplit) : null;

        var pipeline = AugmentationPipeline.Create(stage.Augmentations, stage.Resolution);
        var evalPipeline = AugmentationPipeline.Create(AugmentationKind.Valid, stage.Resolution);
        var trainLoader = new BatchLoader(train, pipeline, new BatchLoaderOptions(stage.BatchSize, Seeds.Derive(seed, "data")));
        EvaluationSplit Eval(IAnnotatedImageSet set, string name) => new(name,
            new BatchLoader(set, evalPipeline, new BatchLoaderOptions(options.EvalBatchSize, 0, Shuffle: false)),
            Enumerable.Range(0, set.Count).Select(i => ((ImageStore.Subset)set).RecordOf(i).FileName).ToArray());
        return new TrainingData(trainLoader, Eval(valid, config.ValidSplit), test is null ? null : Eval(test, config.TestSplit), store.Classes);
    }

    static Backbone Build(StageConfig stage, int classes, long seed, ExperimentOptions options, Device device)
    {
        manual_seed(InitSeed(seed));
        bool pretrained = options.Pretrained ?? stage.Pretrained;
        var model = BackboneZoo.Create(new BackboneOptions(stage.Architecture, classes, stage.Dropout, Weights: pretrained ? BackboneZoo.Pretrained : null,
            OutputStride: stage.OutputStride));
        model.to(device);
        return model;
    }

    /// <summary>The torch seed set just before a run's backbone is built.</summary>
    static long InitSeed(long runSeed) => Seeds.Derive(runSeed, "init");

    /// <summary>The experiment's description of run <paramref name="run"/> of a stage (<see cref="TrainingRun.Config"/>).</summary>
    static RunConfig RunConfigOf(ExperimentConfig config, Role role, StageConfig stage, int run, long seed, ExperimentOptions options, string? teacherRun = null)
    {
        // The initialisation Build actually used (the override included) is part of the run's identity.
        bool pretrained = options.Pretrained ?? stage.Pretrained;
        return new RunConfig
        {
            ExperimentName = config.ExperimentName,
            Role = role,
            Run = run,
            RunSeed = seed,
            RawDataDir = config.RawDataDir,
            RoiDataDir = config.RoiDataDir,
            MetadataFile = config.MetadataFile,
            Stage = StageRecord.Of(stage with { Pretrained = pretrained }, role),
            Initialisation = BackboneInitialisation.Describe(stage.Architecture, pretrained, InitSeed(seed)),
            TeacherRun = teacherRun,
        };
    }

    /// <summary>Writes the authors' side-by-side metrics CSV (<see cref="MetricsLogName"/>) and a per-run summary for one role.</summary>
    static void WriteSummaries(string experimentDir, string experimentName, Role role, string architecture, IReadOnlyList<TrainingResult> runs, bool consistency)
    {
        var dir = RoleFolder(experimentDir, role);
        Directory.CreateDirectory(dir);
        var metrics = new List<(string Name, Func<EpochRecord, double> Get)>
        {
            ("train_acc", r => r.TrainAccuracy), ("train_loss", r => r.TrainLoss),
        };
        if (consistency) metrics.AddRange([("train_cons_loss", r => r.TrainConsistencyLoss ?? 0), ("train_cls_loss", r => r.TrainClassificationLoss)]);
        metrics.AddRange([("val_acc", r => r.ValidAccuracy), ("val_loss", r => r.ValidLoss)]);
        var header = new List<string> { "epochs" };
        foreach (var (name, _) in metrics)
            for (int k = 0; k < runs.Count; k++) header.Add(FormattableString.Invariant($"fold{k}_{name}"));
        var log = new CsvWriter(header);
        int epochs = runs.Max(r => r.Epochs.Count);
        for (int e = 0; e < epochs; e++)
        {
            var row = new List<string> { e.ToString(CultureInfo.InvariantCulture) };
            foreach (var (_, get) in metrics)
                foreach (var r in runs)
                    row.Add(e < r.Epochs.Count ? RunFolder.F(get(r.Epochs[e])) : "");
            log.Row(row);
        }
        log.Save(Path.Combine(dir, MetricsLogName(experimentName, role, architecture)));

        var summary = new CsvWriter(["run", "best_epoch", "val_loss", "val_acc", "test_loss", "test_acc", "folder"]);
        for (int k = 0; k < runs.Count; k++)
        {
            var r = runs[k];
            summary.Row(k.ToString(CultureInfo.InvariantCulture), r.BestEpoch.ToString(CultureInfo.InvariantCulture), RunFolder.F(r.BestValidLoss), RunFolder.F(r.BestValidAccuracy),
                r.TestLoss is { } tl ? RunFolder.F(tl) : "", r.TestAccuracy is { } ta ? RunFolder.F(ta) : "", Path.GetFileName(r.Directory));
        }
        summary.Save(Path.Combine(dir, "summary.csv"));
    }

    /// <summary>A seeded subset of a split (the teacher's roi_percent of the training images).</summary>
    sealed class SampledSet(IAnnotatedImageSet inner, int[] indices) : IAnnotatedImageSet
    {
        public int Count => indices.Length;
        public IReadOnlyList<string> Classes => inner.Classes;
        public int LabelOf(int index) => inner.LabelOf(indices[index]);
        public AnnotatedImage Get(int index) => inner.Get(indices[index]);
    }
}
