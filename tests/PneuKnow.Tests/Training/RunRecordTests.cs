using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Tests.Notebooks;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>
/// <c>run.json</c> has one owner, <see cref="RunRecord"/>: it reads runs of earlier code (absolute paths) back to the keys
/// they recorded, and writes paths relative to the run folder, as the committed quick reference now stores them.
/// </summary>
public sealed class RunRecordTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("run-record-");
    public void Dispose() => _root.Delete(true);

    static string Reference => Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference", "quick");

    /// <summary>Where the committed quick reference ran: a clone at <c>/tmp/quickref</c>, writing into <c>results/quick</c>.</summary>
    internal const string QuickClone = "/tmp/quickref";

    /// <summary>
    /// <paramref name="path"/>, a path of this clone's committed quick reference or its data, as the clone it ran in named
    /// it: what its key hashed.
    /// </summary>
    internal static string AtQuickClone(string path)
    {
        var relative = Path.GetRelativePath(NotebookPaths.RepositoryRoot, path).Replace('\\', '/');
        const string committed = "results/reference/quick/";
        return $"{QuickClone}/{(relative.StartsWith(committed, StringComparison.Ordinal) ? "results/quick/" + relative[committed.Length..] : relative)}";
    }

    [Fact]
    public void Run_records_of_earlier_code_with_absolute_paths_read_back_to_the_keys_they_recorded()
    {
        // Run.json files of the quick reference as its run wrote them (kept under tests/ since the reference stores relative
        // paths): the hand-built run.json of earlier code, with absolute /tmp/... paths. Its key hashed that text: a record
        // that serialised one byte differently (order, omissions, numbers, escaping) would give another key here. Each is
        // the run of the committed reference's folder of the same name (the same key in its result.json).
        var fixtures = Path.Combine(NotebookPaths.RepositoryRoot, "tests", "PneuKnow.Tests", "Fixtures", "Training", "quick-reference-absolute");
        var runs = Directory.GetFiles(fixtures, "run.json", SearchOption.AllDirectories);
        Assert.True(runs.Length >= 4, $"expected 4 run.json fixtures under {fixtures}, found {runs.Length}");
        foreach (var file in runs)
        {
            var record = RunRecord.Read(new RunFolder(Path.GetDirectoryName(file)!));
            Assert.NotNull(record.Config);
            Assert.StartsWith(QuickClone + "/", record.Config.MetadataFile, StringComparison.Ordinal);
            Assert.Equal(record.Key, record.ComputeKey());
            var committed = new RunFolder(Path.Combine(Reference, "runs", Path.GetRelativePath(fixtures, Path.GetDirectoryName(file)!)));
            Assert.Equal(record.Key, committed.FinishedKey());
            Assert.Equal("", RunIdentity.Differences(RunRecord.Read(committed) with { Config = record.Config }, record));
        }
    }

    [Fact]
    public void Every_committed_run_stores_relative_paths_and_its_key_is_the_one_its_settings_gave_where_it_ran()
    {
        // The reference's run.json files hold paths relative to their run folders (rewritten so from the absolute paths of the
        // clone it ran in): resolved here, and put back at that clone's place, each record hashes to the key it recorded.
        var runs = Directory.GetFiles(Path.Combine(Reference, "runs"), "run.json", SearchOption.AllDirectories);
        Assert.True(runs.Length >= 39, $"expected the quick reference's 39 runs, found {runs.Length}");
        foreach (var file in runs)
        {
            Assert.DoesNotContain("\"/", File.ReadAllText(file), StringComparison.Ordinal);
            var folder = new RunFolder(Path.GetDirectoryName(file)!);
            var record = RunRecord.Read(folder);
            Assert.NotNull(record.Config);
            Assert.StartsWith(NotebookPaths.RepositoryRoot, record.Config.MetadataFile, StringComparison.Ordinal);
            var there = record with
            {
                Config = record.Config with
                {
                    RawDataDir = AtQuickClone(record.Config.RawDataDir), RoiDataDir = AtQuickClone(record.Config.RoiDataDir),
                    MetadataFile = AtQuickClone(record.Config.MetadataFile),
                    TeacherRun = record.Config.TeacherRun is { } t ? AtQuickClone(t) : null,
                },
            };
            Assert.Equal(record.Key, there.ComputeKey());
            Assert.Equal(record.Key, folder.FinishedKey());
        }
    }

    internal static RunRecord Student(string clone) => new()
    {
        Method = "hkd_student", Architecture = "cntk_resnet18", Fold = 2, Epochs = 5, LearningRate = 2e-4, WeightDecay = 0,
        Schedule = LearningRateScheduleKind.Cosine, Checkpoint = CheckpointCriterion.ValidationLoss, Seed = 66391381847160081,
        Precision = Precision.Float32, TrainExamples = 158, TrainBatchesPerEpoch = 10, ValidExamples = 205, TestExamples = 937,
        Classes = ["B", "C", "NB", "P", "V"], PreciseBatchNorm = true,
        Config = new RunConfig
        {
            ExperimentName = "cntk_resnet18_clean_do_kd", Role = Role.Student, Run = 2, RunSeed = 66391381847160081,
            RawDataDir = $"{clone}/data/generated/phantom-1300/raw", RoiDataDir = $"{clone}/data/generated/phantom-1300/roi",
            MetadataFile = $"{clone}/data/generated/phantom-1300/manifest.csv",
            Stage = StageRecord.Of(new StageConfig(112, "cntk_resnet18", 0.5, 5, AugmentationKind.None, 16, KdEpochs: 3) { PreciseBatchNorm = true }, Role.Student),
            Initialisation = "pretrained:e2552f19",
            TeacherRun = $"{clone}/results/quick/runs/cntk_resnet18_clean_do_kd/teacher/run_2",
        },
    };

    [Fact]
    public void A_record_is_written_with_paths_relative_to_its_run_folder_and_read_back_absolute_under_the_same_key()
    {
        var clone = Path.Combine(_root.FullName, "clone");
        var record = Student(clone) with { Key = null };
        record = record with { Key = record.ComputeKey() };
        var folder = new RunFolder(Path.Combine(clone, "results", "quick", "runs", "cntk_resnet18_clean_do_kd", "student", "run_2"));
        Directory.CreateDirectory(folder.Directory);
        record.Write(folder);

        var text = File.ReadAllText(folder.Config);
        Assert.DoesNotContain(_root.FullName, text, StringComparison.Ordinal);
        Assert.Contains("\"metadata_file\": \"../../../../../../data/generated/phantom-1300/manifest.csv\"", text, StringComparison.Ordinal);
        Assert.Contains("\"teacher_run\": \"../../teacher/run_2\"", text, StringComparison.Ordinal);
        Assert.Contains("\"checkpoint\": \"val_loss\"", text, StringComparison.Ordinal);
        Assert.Contains("\"precision\": \"fp32\"", text, StringComparison.Ordinal);

        var back = RunRecord.Read(folder);
        Assert.Equal(record.Config!.MetadataFile, back.Config!.MetadataFile);
        Assert.Equal(record.Config.TeacherRun, back.Config.TeacherRun);
        Assert.Equal(record.Key, back.ComputeKey());
        Assert.Equal("", RunIdentity.Differences(back, record));
    }

    [Fact]
    public void A_run_without_an_experiment_config_writes_an_empty_config_as_earlier_code_did()
    {
        var record = Student("/x") with { Config = null, PreciseBatchNorm = false };
        var folder = new RunFolder(Path.Combine(_root.FullName, "bench"));
        Directory.CreateDirectory(folder.Directory);
        record.Write(folder);
        var text = File.ReadAllText(folder.Config);
        Assert.Contains("\"config\": {}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("precise_bn", text, StringComparison.Ordinal);
        Assert.Null(RunRecord.Read(folder).Config);
    }

    [Fact]
    public void A_file_that_is_not_a_run_record_is_refused_naming_the_file_and_the_missing_setting()
    {
        var folder = new RunFolder(Path.Combine(_root.FullName, "partial"));
        Directory.CreateDirectory(folder.Directory);
        File.WriteAllText(folder.Config, """{ "config": {} }""");
        var e = Assert.Throws<InvalidDataException>(() => RunRecord.Read(folder));
        Assert.Contains(folder.Config, e.Message, StringComparison.Ordinal);
        Assert.Contains("architecture", e.Message, StringComparison.Ordinal);
        Assert.Null(RunRecord.TryRead(folder));
        Assert.Null(RunRecord.TryRead(new RunFolder(Path.Combine(_root.FullName, "missing"))));
    }

    [Fact]
    public void Config_json_stores_paths_relative_to_its_folder_and_loads_back_to_the_same_config()
    {
        var data = Path.Combine(_root.FullName, "data", "phantom-120");
        var unit = Path.Combine(_root.FullName, "out", "runs", "unit");
        Directory.CreateDirectory(unit);
        var config = new ExperimentConfig("unit", Path.Combine(data, "raw"), Path.Combine(data, "roi"), Path.Combine(data, "manifest.csv"),
            Path.Combine(_root.FullName, "out", "runs"), Cuda: 0, RepeatedRuns: 2, Model: null,
            Teacher: new StageConfig(64, "resnet18", 0.5, 2, AugmentationKind.None, 8) { TeacherInput = TeacherInput.Raw },
            Student: new StageConfig(64, "resnet18", 0.5, 2, AugmentationKind.None, 8, KdEpochs: 1) { PreciseBatchNorm = true })
        { Seed = 5 };
        var path = Path.Combine(unit, Experiment.ConfigFileName);
        File.WriteAllText(path, config.ToJson(relativeTo: unit));

        var text = File.ReadAllText(path);
        Assert.DoesNotContain(_root.FullName, text, StringComparison.Ordinal);
        Assert.Contains("\"metadata_file\": \"../../../data/phantom-120/manifest.csv\"", text, StringComparison.Ordinal);
        Assert.Contains("\"model_dir\": \"..\"", text, StringComparison.Ordinal);
        Assert.Equal(config with { SourcePath = null }, ExperimentConfig.Load(path) with { SourcePath = null });
    }
}
