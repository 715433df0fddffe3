using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>
/// Finished runs written before <see cref="RunRecord"/> (run.json hand-built, absolute paths) and runs written by it (paths
/// relative to the run folder) are reused by the trainer as the same run, where they are and after a move with their data.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class RunRecordReuseTests : IDisposable
{
    readonly TempFolders folders = new();
    public void Dispose() => folders.Dispose();

    public RunRecordReuseTests() => TorchRuntime.Initialize("cpu");

    /// <summary>A clone's layout: data under <c>data/</c>, the run under <c>results/runs/unit/baseline/run_0</c>.</summary>
    static (string Run, RunConfig Config) Layout(string clone)
    {
        var data = Path.Combine(clone, "data", "generated", "phantom-120-64px-seed2023");
        Directory.CreateDirectory(Path.Combine(data, "raw"));
        Directory.CreateDirectory(Path.Combine(data, "roi"));
        File.WriteAllText(Path.Combine(data, "manifest.csv"), "file_name,class,split\n");
        var config = new RunConfig
        {
            ExperimentName = "unit", Role = Role.Baseline, Run = 0, RunSeed = 11,
            RawDataDir = Path.Combine(data, "raw"), RoiDataDir = Path.Combine(data, "roi"), MetadataFile = Path.Combine(data, "manifest.csv"),
            Stage = StageRecord.Of(new StageConfig(16, "tiny", 0.2, 2, AugmentationKind.None, 6) { LearningRate = 5e-3, Schedule = LearningRateScheduleKind.Cosine, PreciseBatchNorm = true }, Role.Baseline),
            Initialisation = "random:11",
        };
        return (Path.Combine(clone, "results", "runs", "unit", "baseline", "run_0"), config);
    }

    static TrainingRun Run(string dir, RunConfig config, int epochs = 2) =>
        new(TrainingSetup.Model(11), new Baseline(), TrainingSetup.Data(test: true),
            TrainingSetup.Options(epochs, seed: 11) with { LearningRate = 5e-3, Schedule = LearningRateScheduleKind.Cosine, PreciseBatchNorm = true }, dir)
        { Config = config };

    /// <summary>
    /// run.json exactly as the code before <see cref="RunRecord"/> wrote it (Trainer.Describe over Experiment.RunJson and
    /// ExperimentConfig.StageJson, copied here as they were): a JsonObject with absolute paths, hashed indented.
    /// </summary>
    static (string Key, string Json) EarlierRunJson(TrainingRun run, RunConfig c)
    {
        var s = c.Stage;
        var stage = new JsonObject
        {
            ["resolution"] = s.Resolution, ["model_architecture"] = s.Architecture, ["dropout_percent"] = s.Dropout, ["epochs"] = s.Epochs,
            ["augmentations"] = PneuKnow.Runtime.SnakeCase.Of(s.Augmentations), ["batch_size"] = s.BatchSize, ["learning_rate"] = s.LearningRate, ["weight_decay"] = s.WeightDecay,
            ["schedule"] = s.Schedule.ToString().ToLowerInvariant(), ["checkpoint"] = "val_loss", ["precision"] = "fp32", ["pretrained"] = s.Pretrained,
            ["output_stride"] = s.OutputStride,
        };
        if (s.PreciseBatchNorm) stage["precise_bn"] = true;
        var config = new JsonObject
        {
            ["experiment_name"] = c.ExperimentName, ["role"] = Roles.Section(c.Role), ["run"] = c.Run, ["run_seed"] = c.RunSeed,
            ["raw_data_dir"] = c.RawDataDir, ["roi_data_dir"] = c.RoiDataDir, ["metadata_file"] = c.MetadataFile,
            ["stage"] = stage, ["initialisation"] = c.Initialisation,
        };
        var o = run.Options;
        var node = new JsonObject
        {
            ["method"] = run.Method.Name, ["architecture"] = run.Model.Architecture, ["fold"] = run.Fold, ["epochs"] = o.Epochs,
            ["learning_rate"] = o.LearningRate, ["weight_decay"] = o.WeightDecay, ["schedule"] = o.Schedule.ToString().ToLowerInvariant(),
            ["checkpoint"] = "val_loss", ["seed"] = o.Seed, ["precision"] = "fp32",
            ["train_examples"] = run.Data.Train.Count, ["train_batches_per_epoch"] = run.Data.Train.BatchesPerEpoch,
            ["valid_examples"] = run.Data.Valid.Source.Count, ["test_examples"] = run.Data.Test?.Source.Count,
            ["classes"] = new JsonArray(run.Data.Classes.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
            // Earlier code passed the config as a compact JSON string and parsed it again here.
            ["config"] = JsonNode.Parse(config.ToJsonString()),
        };
        if (o.PreciseBatchNorm) node["precise_bn"] = true;
        var json = node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16].ToLowerInvariant();
        node["key"] = key;
        return (key, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    static void MoveTree(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        Directory.Move(from, to);
    }

    [Fact]
    public void A_finished_run_of_earlier_code_with_absolute_paths_is_reused_in_place_and_after_a_move()
    {
        var a = Path.Combine(folders.Create("earlier"), "clone-a");
        var (dir, config) = Layout(a);
        var trained = Trainer.Train(Run(dir, config));
        Assert.False(trained.Reused);

        // The key is what earlier code computed for the same settings, and its run.json (absolute paths) replaces ours.
        var (earlierKey, earlierJson) = EarlierRunJson(Run(dir, config), config);
        Assert.Equal(earlierKey, new RunFolder(dir).FinishedKey());
        File.WriteAllText(Path.Combine(dir, "run.json"), earlierJson);

        var again = Trainer.Train(Run(dir, config));
        Assert.True(again.Reused, "a finished run of earlier code was trained again where it was");
        Assert.Equal(trained.BestValidLoss, again.BestValidLoss);
        Assert.Equal(earlierJson, File.ReadAllText(Path.Combine(dir, "run.json")));

        // Moved, with its data, to another clone: its run.json still names the old place.
        var b = Path.Combine(Path.GetDirectoryName(a)!, "clone-b");
        MoveTree(a, b);
        var (movedDir, movedConfig) = Layout(b);
        var moved = Trainer.Train(Run(movedDir, movedConfig));
        Assert.True(moved.Reused, "a finished run of earlier code was trained again after a move");
        Assert.Equal(trained.BestValidLoss, moved.BestValidLoss);

        // Any other setting is still another run, named.
        var e = Assert.Throws<TrainingException>(() => Trainer.Train(Run(movedDir, movedConfig, epochs: 3)));
        Assert.Contains("different configuration", e.Message, StringComparison.Ordinal);
        Assert.Contains("epochs (2 → 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_with_relative_paths_moved_with_its_data_is_reused_and_an_interrupted_one_resumes_there()
    {
        var root = folders.Create("relative");
        var a = Path.Combine(root, "clone-a");
        var (dir, config) = Layout(a);
        var trained = Trainer.Train(Run(dir, config));
        var text = File.ReadAllText(Path.Combine(dir, "run.json"));
        Assert.DoesNotContain(root, text, StringComparison.Ordinal);
        Assert.Contains("\"metadata_file\": \"../../../../../data/generated/phantom-120-64px-seed2023/manifest.csv\"", text, StringComparison.Ordinal);

        var b = Path.Combine(root, "clone-b");
        MoveTree(a, b);
        var (movedDir, movedConfig) = Layout(b);
        var moved = Trainer.Train(Run(movedDir, movedConfig));
        Assert.True(moved.Reused, "a finished run with relative paths was trained again after a move");
        Assert.Equal(trained.BestValidLoss, moved.BestValidLoss);
        Assert.Equal(Path.Combine(b, "data", "generated", "phantom-120-64px-seed2023", "manifest.csv"), RunRecord.Read(new RunFolder(movedDir)).Config!.MetadataFile);

        // Interrupted in its second epoch, moved, and continued there: the same numbers as the uninterrupted run.
        var c = Path.Combine(root, "clone-c");
        var (partDir, partConfig) = Layout(c);
        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(Run(partDir, partConfig), new CancelAt(cts, 6), cts.Token));
        Assert.True(File.Exists(new RunFolder(partDir).State));
        var d = Path.Combine(root, "clone-d");
        MoveTree(c, d);
        var (resumedDir, resumedConfig) = Layout(d);
        var resumed = Trainer.Train(Run(resumedDir, resumedConfig));
        Assert.False(resumed.Reused);
        Assert.Equal(File.ReadAllText(Path.Combine(movedDir, "log.csv")), File.ReadAllText(Path.Combine(resumedDir, "log.csv")));
        Assert.Equal(resumed.BestValidLoss, moved.BestValidLoss);
    }
}
