using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

public class ExperimentConfigTests
{
    // The authors' INI layout and keys (their configs/ folder), written out here.
    const string KdIni = """
        [settings]
        experiment_name = ConvNeXt_small_KD_30roi
        raw_data_dir = ../../../data/segmentation_test/raw
        roi_data_dir = ../../../data/segmentation_test/roi
        metadata_file = ../../../data/segmentation_test/image_patient_splits.csv
        model_dir = models
        cuda = 1
        repeated_runs = 5

        [teacher]
        resolution = 224
        model_architecture = convnext_small
        dropout_percent = 0.5
        epochs = 20
        augmentations = strong
        batch_size = 8
        roi_percent = 0.3

        [student]
        resolution = 224
        model_architecture = convnext_small
        dropout_percent = 0.5
        epochs = 60
        augmentations = strong
        kd_epochs = 40
        batch_size = 8
        """;

    const string BaselineIni = """
        [settings]
        experiment_name = EB0_Baseline_nodo
        raw_data_dir = data/raw
        roi_data_dir = data/roi
        metadata_file = data/meta.csv
        model_dir = models
        cuda = 0
        repeated_runs = 5

        [model]
        resolution = 224
        model_architecture = efficientnet_b0
        dropout_percent = 0.0
        epochs = 60
        augmentations = weak
        batch_size = 8
        """;

    static readonly string ConfigPath = Path.Combine(Path.GetTempPath(), "a", "b", "c", "configs", "x.txt");

    [Fact]
    public void Authors_kd_ini_maps_to_the_papers_recipe_with_paths_resolved_against_the_file()
    {
        var c = ExperimentConfig.FromIni(KdIni, ConfigPath);
        Assert.Equal(ExperimentKind.Distillation, c.Kind);
        Assert.Equal(Path.GetFullPath(Path.Combine(Path.GetTempPath(), "a", "data", "segmentation_test", "raw")), c.RawDataDir);
        Assert.Equal(Path.GetFullPath(Path.Combine(Path.GetTempPath(), "a", "b", "c", "configs", "models")), c.ModelDir);
        Assert.Equal((1, 5), (c.Cuda, c.RepeatedRuns));
        var t = c.Teacher!;
        var s = c.Student!;
        Assert.Equal(("convnext_small", 224, 0.5, AugmentationKind.Strong, 8, 0.3), (t.Architecture, t.Resolution, t.Dropout, t.Augmentations, t.BatchSize, t.RoiFraction));
        Assert.Equal(66, t.EffectiveEpochs(teacher: true));   // floor(20 / 0.3), as math.floor(1.0/0.3*20) in Python
        Assert.Equal(60, s.EffectiveEpochs(teacher: false));
        Assert.Equal(40, s.KdEpochs);
        Assert.Equal((1e-4, 0.0, LearningRateScheduleKind.Paper, CheckpointCriterion.ValidationLoss, DistillationMethod.Hkd),
            (s.LearningRate, s.WeightDecay, s.Schedule, s.Checkpoint, s.Method));
        Assert.Null(c.Model);
    }

    [Theory]
    [InlineData(0.1, 200)]
    [InlineData(0.5, 40)]
    [InlineData(0.7, 28)]
    [InlineData(1.0, 20)]
    public void Teacher_epochs_are_floor_of_epochs_over_roi_percent(double fraction, int expected) =>
        Assert.Equal(expected, new StageConfig(224, "resnet50", 0.5, 20, AugmentationKind.Strong, 8, null, fraction).EffectiveEpochs(true));

    [Fact]
    public void Authors_baseline_ini_is_a_baseline()
    {
        var c = ExperimentConfig.FromIni(BaselineIni, ConfigPath);
        Assert.Equal(ExperimentKind.Baseline, c.Kind);
        Assert.Equal(("efficientnet_b0", 0.0, AugmentationKind.Weak), (c.Model!.Architecture, c.Model.Dropout, c.Model.Augmentations));
        Assert.Null(c.Teacher);
    }

    /// <summary>
    /// An experiment_name that is not one safe folder name (it would leave the output root, be the root itself, or be
    /// hidden) is refused by the safe-path rule, naming the setting, the value and what is expected: ".." used to write
    /// into the parent of --out.
    /// </summary>
    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("/x")]
    [InlineData("a/../../b")]
    [InlineData("a/b")]
    [InlineData("")]
    public void An_experiment_name_that_is_not_one_folder_name_is_refused(string name)
    {
        var e = Assert.Throws<PneuKnow.Runtime.UnsafeNameException>(() => ExperimentConfig.FromIni(BaselineIni.Replace("experiment_name = EB0_Baseline_nodo", $"experiment_name = {name}"), ConfigPath));
        Assert.Contains("line 2, [settings] experiment_name", e.Message);
        Assert.Contains("expected a single folder name", e.Message);
        Assert.Contains($"found '{name}'", e.Message);
    }

    [Fact]
    public void A_name_with_a_space_is_refused_and_ordinary_names_pass()
    {
        var e = Assert.Throws<ConfigException>(() => ExperimentConfig.FromIni(BaselineIni.Replace("experiment_name = EB0_Baseline_nodo", "experiment_name = my run"), ConfigPath));
        Assert.Contains("expected a name without spaces, found 'my run'", e.Message);
        Assert.Equal("EB0_Baseline_nodo.v2", ExperimentConfig.FromIni(BaselineIni.Replace("EB0_Baseline_nodo", "EB0_Baseline_nodo.v2"), ConfigPath).ExperimentName);
    }

    [Theory]
    [InlineData("batch_size = 8", "batch_size = 8\nlearning_rate = 0.001", "line 17", "unknown key 'learning_rate' in [model]")]
    [InlineData("epochs = 60", "epochs = sixty", "line 14", "epochs: expected an integer ≥ 1, found 'sixty'")]
    [InlineData("dropout_percent = 0.0", "dropout_percent = 1.5", "line 13", "dropout_percent: expected a number in [0, 1), found '1.5'")]
    [InlineData("augmentations = weak", "augmentations = medium", "line 15", "augmentations: expected one of weak, strong, none, found 'medium'")]
    [InlineData("cuda = 0", "cuda = gpu", "line 7", "cuda: expected an integer ≥ 0, found 'gpu'")]
    public void Bad_ini_values_name_file_line_and_key(string from, string to, string line, string message)
    {
        var e = Assert.Throws<ConfigException>(() => ExperimentConfig.FromIni(BaselineIni.Replace(from, to), ConfigPath));
        Assert.Contains(ConfigPath, e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Missing_keys_and_sections_are_named()
    {
        Assert.Contains("missing key 'batch_size' in [model]",
            Assert.Throws<ConfigException>(() => ExperimentConfig.FromIni(BaselineIni.Replace("batch_size = 8", ""), ConfigPath)).Message);
        Assert.Contains("needs both [teacher] and [student]",
            Assert.Throws<ConfigException>(() => ExperimentConfig.FromIni(KdIni[..KdIni.IndexOf("[student]")], ConfigPath)).Message);
        Assert.Contains("unknown section [trainer]",
            Assert.Throws<ConfigException>(() => ExperimentConfig.FromIni(BaselineIni.Replace("[model]", "[trainer]"), ConfigPath)).Message);
    }

    [Fact]
    public void Json_form_carries_extra_options_and_round_trips_the_resolved_config()
    {
        var json = """
            {
              "settings": { "experiment_name": "hkd_smoke", "raw_data_dir": "raw", "roi_data_dir": "roi", "metadata_file": "m.csv",
                            "repeated_runs": 2, "seed": 17, "test_split": "test" },
              "teacher": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.5, "epochs": 2,
                           "augmentations": "none", "batch_size": 4, "roi_percent": 0.5, "schedule": "cosine", "teacher_input": "raw" },
              "student": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.5, "epochs": 3,
                           "augmentations": "weak", "batch_size": 4, "kd_epochs": 2, "method": "logit_kd", "kd_temperature": 2,
                           "normalized_features": true, "learning_rate": 0.001, "precision": "bf16-mixed", "checkpoint": "val_acc" }
            }
            """;
        var c = ExperimentConfig.FromJson(json, ConfigPath.Replace(".txt", ".json"));
        Assert.Equal((17L, 2, 0), (c.Seed, c.RepeatedRuns, c.Cuda));
        Assert.Equal(4, c.Teacher!.EffectiveEpochs(true));
        Assert.Equal((TeacherInput.Raw, LearningRateScheduleKind.Cosine), (c.Teacher.TeacherInput, c.Teacher.Schedule));
        var s = c.Student!;
        Assert.Equal((DistillationMethod.LogitKd, 2.0, true, 1e-3, Precision.BFloat16Mixed, CheckpointCriterion.ValidationAccuracy),
            (s.Method, s.KdTemperature, s.NormalizedFeatures, s.LearningRate, s.Precision, s.Checkpoint));

        var again = ExperimentConfig.FromJson(c.ToJson(), "/elsewhere/resolved.json");
        Assert.Equal(c with { SourcePath = null }, again with { SourcePath = null });

        var e = Assert.Throws<ConfigException>(() => ExperimentConfig.FromJson(json.Replace("\"kd_temperature\": 2", "\"kd_temprature\": 2"), "x.json"));
        Assert.Contains("x.json, student.kd_temprature: unknown key 'kd_temprature'", e.Message);
        Assert.Contains("only [student] takes a method",
            Assert.Throws<ConfigException>(() => ExperimentConfig.FromJson(json.Replace("\"teacher_input\": \"raw\"", "\"method\": \"hkd\""), "x.json")).Message);
    }
}
