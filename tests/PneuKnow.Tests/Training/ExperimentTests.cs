using System.Globalization;
using System.Text.Json.Nodes;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Evaluation;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>The end-to-end path on a small phantom: config → manifest → image store → loaders → zoo → trainer → run folders.</summary>
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public class ExperimentTests : IDisposable
{
    // Run folders hold real checkpoints (tens of MB for resnet18): each test removes what it wrote.
    readonly TempFolders folders = new();
    string Dir(string name) => folders.Create(name);

    public void Dispose() => folders.Dispose();

    static readonly Lazy<string> Phantom = new(() =>
    {
        var dir = TrainingSetup.TempDir("phantom");
        PhantomGenerator.Generate(new PhantomOptions
        {
            Images = 30, Size = 32, Seed = 5, Conspicuity = 2,
            ClassShares = new Dictionary<string, double> { ["B"] = 1, ["NB"] = 1, ["V"] = 1 },
            Splits = new SplitFractions(0.6, 0.2, 0.2),
        }, dir);
        return dir;
    });

    public ExperimentTests() => TorchRuntime.Initialize("cpu");

    string Config(string kind, string name, string extraTeacher = "", string extraStudent = "", string architecture = "resnet18", bool pretrained = false)
    {
        var dir = Dir("config");
        var stage = $"\"resolution\": 32, \"model_architecture\": \"{architecture}\", \"dropout_percent\": 0.5, \"augmentations\": \"weak\", \"batch_size\": 6, \"pretrained\": {(pretrained ? "true" : "false")}, \"schedule\": \"constant\", \"learning_rate\": 0.001";
        var sections = kind == "baseline"
            ? $"\"model\": {{ {stage}, \"epochs\": 1 }}"
            : $"\"teacher\": {{ {stage}, \"epochs\": 1, \"roi_percent\": 0.5{extraTeacher} }}, \"student\": {{ {stage}, \"epochs\": 2, \"kd_epochs\": 1{extraStudent} }}";
        var json = $$"""
            { "settings": { "experiment_name": "{{name}}", "raw_data_dir": "{{Phantom.Value}}/raw", "roi_data_dir": "{{Phantom.Value}}/roi",
                            "metadata_file": "{{Phantom.Value}}/manifest.csv", "model_dir": "runs", "repeated_runs": 1, "seed": 3 },
              {{sections}} }
            """;
        var path = Path.Combine(dir, "experiment.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Baseline_experiment_is_deterministic_and_writes_the_authors_metrics_file()
    {
        var config = ExperimentConfig.Load(Config("baseline", "base"));
        var a = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: Dir("out-a")));
        var b = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: Dir("out-b")));
        string Log(ExperimentResult r) => File.ReadAllText(Path.Combine(r.Directory, "baseline", "run_0", "log.csv"));
        Assert.Equal(Log(a), Log(b));
        Assert.Equal(File.ReadAllText(Path.Combine(a.Directory, "baseline", "run_0", "predictions_test.csv")),
            File.ReadAllText(Path.Combine(b.Directory, "baseline", "run_0", "predictions_test.csv")));

        var metrics = File.ReadAllLines(Path.Combine(a.Directory, "baseline", "base_resnet18_metrics.csv"));
        Assert.Equal("epochs,fold0_train_acc,fold0_train_loss,fold0_val_acc,fold0_val_loss", metrics[0]);
        Assert.Equal(2, metrics.Length);
        Assert.True(File.Exists(Path.Combine(a.Directory, "config.json")));
        var manifest = Manifest.Load(Path.Combine(Phantom.Value, "manifest.csv"));
        var valid = Predictions.Read(Path.Combine(a.Directory, "baseline", "run_0", "predictions_valid.csv"));
        Assert.Equal(manifest.InSplit("valid").Select(r => r.FileName).Order(), valid.Rows.Select(r => r.FileName).Order());
        Assert.Equal(manifest.Classes, valid.Classes);
    }

    [Fact]
    public void Distillation_experiment_trains_the_teacher_on_a_roi_sample_then_the_student_and_reuses_the_teacher()
    {
        var path = Config("kd", "kd");
        var config = ExperimentConfig.Load(path);
        var root = Dir("out-kd");
        var seen = new List<string>();
        var r = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: root) { EpochCompleted = (role, run, e) => seen.Add($"{SnakeCase.Of(role)}{run}e{e.Epoch}") });
        Assert.Equal(["teacher0e0", "teacher0e1", "student0e0", "student0e1"], seen);
        var teacher = r.Teachers.Single();
        Assert.Equal(2, teacher.Epochs.Count);   // floor(1 / 0.5)
        int train = Manifest.Load(Path.Combine(Phantom.Value, "manifest.csv")).InSplit("train").Count;
        Assert.Contains($"\"train_examples\": {Math.Round(train * 0.5, MidpointRounding.ToEven)}", File.ReadAllText(Path.Combine(teacher.Directory, "run.json")));
        var student = r.Students.Single();
        Assert.Equal(2, student.Epochs.Count);
        Assert.Equal([0.5, 0.0], student.Epochs.Select(e => e.ConsistencyWeight));
        Assert.True(student.Epochs[0].TrainConsistencyLoss > 0);
        Assert.StartsWith("epochs,fold0_train_acc,fold0_train_loss,fold0_train_cons_loss,fold0_train_cls_loss",
            File.ReadLines(Path.Combine(r.Directory, "student", "kd_student_resnet18_metrics.csv")).First());

        // Paths are stored relative to the file's folder (the student names its teacher as ../../teacher/run_0), and no JSON
        // file of the experiment, config.json included, names an absolute path.
        Assert.Contains("\"teacher_run\": \"../../teacher/run_0\"", File.ReadAllText(Path.Combine(student.Directory, "run.json")));
        foreach (var json in Directory.GetFiles(r.Directory, "*.json", SearchOption.AllDirectories))
            Assert.DoesNotContain("\": \"/", File.ReadAllText(json), StringComparison.Ordinal);

        // Rerunning the same command reuses both finished runs instead of training again.
        var again = Experiment.Run(ExperimentConfig.Load(path), options: new ExperimentOptions(OutputRoot: root));
        Assert.True(again.Teachers.Single().Reused);
        Assert.True(again.Students.Single().Reused);
        Assert.Equal(student.BestValidLoss, again.Students.Single().BestValidLoss);
    }

    [Fact]
    public void Initialisation_is_part_of_the_run_identity_so_a_random_init_run_is_never_reused_as_pretrained()
    {
        // cntk_resnet18's ImageNet weights ship with the build, so this runs on any machine.
        var config = ExperimentConfig.Load(Config("baseline", "init", architecture: "cntk_resnet18", pretrained: true));
        var root = Dir("out-init");
        var random = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: root, Pretrained: false)).Baselines.Single();
        var recorded = JsonNode.Parse(File.ReadAllText(Path.Combine(random.Directory, "run.json")))!["config"]!;
        Assert.False(recorded["stage"]!["pretrained"]!.GetValue<bool>());
        Assert.Matches("^random:-?[0-9]+$", recorded["initialisation"]!.GetValue<string>());

        // The same config with weights: the random-init run is refused, naming the setting, not reused as finished.
        var refused = Assert.Throws<TrainingException>(() => Experiment.Run(config, options: new ExperimentOptions(OutputRoot: root)));
        Assert.Contains("config.initialisation (\"random:", refused.Message);

        // Elsewhere it trains anew and records the digest of the weights file it started from.
        var pretrained = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: Dir("out-init-pretrained"))).Baselines.Single();
        Assert.False(pretrained.Reused);
        string onnx = PneuKnow.Models.Onnx.CntkResNet18Files.Locate().ModelPath;
        string digest;
        using (var stream = File.OpenRead(onnx)) digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        var again = JsonNode.Parse(File.ReadAllText(Path.Combine(pretrained.Directory, "run.json")))!["config"]!;
        Assert.True(again["stage"]!["pretrained"]!.GetValue<bool>());
        Assert.Equal($"pretrained:{digest}", again["initialisation"]!.GetValue<string>());
        Assert.NotEqual(random.BestValidLoss, pretrained.BestValidLoss);
    }

    [Fact]
    public void Teacher_sample_is_seeded_sorted_and_the_size_pandas_would_draw()
    {
        var a = Experiment.Sample(865, 0.3, 42);
        Assert.Equal(260, a.Length);   // round(0.3 · 865) = 259.5 → 260 (banker's rounding, as Python's round)
        Assert.Equal(a, Experiment.Sample(865, 0.3, 42));
        Assert.Equal(a.Order(), a);
        Assert.Equal(a.Length, a.Distinct().Count());
        Assert.NotEqual(a, Experiment.Sample(865, 0.3, 43));
        Assert.Equal(Enumerable.Range(0, 10), Experiment.Sample(10, 1.0, 1));
    }
}
