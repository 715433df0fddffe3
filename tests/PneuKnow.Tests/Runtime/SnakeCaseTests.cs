using System.Text.Json.Nodes;
using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Explain;
using PneuKnow.Runtime;
using PneuKnow.Training;

namespace PneuKnow.Tests.Runtime;

/// <summary>The one snake_case mapping of every enum that files hold, and its agreement with what the records write.</summary>
public class SnakeCaseTests
{
    [Fact]
    public void Names_are_the_attribute_name_or_the_member_in_snake_case()
    {
        Assert.Equal(["weak", "strong", "valid", "none"], SnakeCase.Names<AugmentationKind>());
        Assert.Equal(["hkd", "logit_kd"], SnakeCase.Names<DistillationMethod>());
        Assert.Equal(["roi", "raw"], SnakeCase.Names<TeacherInput>());
        Assert.Equal(["baseline", "teacher", "student"], SnakeCase.Names<Role>());
        Assert.Equal(["val_loss", "val_acc"], SnakeCase.Names<CheckpointCriterion>());
        Assert.Equal(["fp32", "bf16-mixed", "fp16-mixed"], SnakeCase.Names<Precision>());
        Assert.Equal(["paper", "cosine", "constant"], SnakeCase.Names<LearningRateScheduleKind>());
        Assert.Equal(["image", "roi"], SnakeCase.Names<ImagePlane>());
        Assert.Equal(["model", "teacher", "student"], Roles.Sections);
    }

    [Fact]
    public void Parsing_reads_every_name_back_and_names_the_place_the_expected_values_and_what_was_found()
    {
        foreach (var m in Enum.GetValues<DistillationMethod>()) Assert.Equal(m, SnakeCase.Parse<DistillationMethod>(SnakeCase.Of(m), "here"));
        Assert.Equal(DistillationMethod.LogitKd, SnakeCase.Parse<DistillationMethod>("Logit_KD", "here"));   // config values are case-insensitive
        var e = Assert.Throws<FormatException>(() => SnakeCase.Parse<DistillationMethod>("fitnet", "run.json, config.stage.method"));
        Assert.Equal("run.json, config.stage.method: expected one of hkd, logit_kd, found 'fitnet'.", e.Message);
        // A subset names only the values it allows, and the caller picks the exception type.
        var c = Assert.Throws<ConfigException>(() => SnakeCase.Parse("valid", "a.ini, [model] augmentations", StageConfig.TrainingAugmentations, m => new ConfigException(m)));
        Assert.Equal("a.ini, [model] augmentations: expected one of weak, strong, none, found 'valid'.", c.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SnakeCase.Of((Role)7));
    }

    /// <summary>
    /// The config parser reads a value with <see cref="SnakeCase"/> and the records write it with the run folder's JSON
    /// converter: both must give one text for every value, or a config written by <c>config.json</c> would not read back (and
    /// run keys, which hash that text, would depend on which of the two wrote it).
    /// </summary>
    [Fact]
    public void Every_enum_value_a_config_holds_is_written_as_its_snake_case_name_and_reads_back()
    {
        var teacher = new StageConfig(32, "resnet18", 0.5, 2, AugmentationKind.Weak, 4);
        var student = teacher with { KdEpochs = 1 };
        var cases = new List<(Func<StageConfig, StageConfig> Set, string Section, string Key, string Name)>();
        foreach (var v in StageConfig.TrainingAugmentations) cases.Add((s => s with { Augmentations = v }, "student", "augmentations", SnakeCase.Of(v)));
        foreach (var v in Enum.GetValues<DistillationMethod>()) cases.Add((s => s with { Method = v }, "student", "method", SnakeCase.Of(v)));
        foreach (var v in Enum.GetValues<TeacherInput>()) cases.Add((s => s with { TeacherInput = v }, "teacher", "teacher_input", SnakeCase.Of(v)));
        foreach (var v in Enum.GetValues<CheckpointCriterion>()) cases.Add((s => s with { Checkpoint = v }, "student", "checkpoint", SnakeCase.Of(v)));
        foreach (var v in Enum.GetValues<Precision>()) cases.Add((s => s with { Precision = v }, "student", "precision", SnakeCase.Of(v)));
        foreach (var v in Enum.GetValues<LearningRateScheduleKind>()) cases.Add((s => s with { Schedule = v }, "teacher", "schedule", SnakeCase.Of(v)));
        foreach (var (set, section, key, name) in cases)
        {
            var config = new ExperimentConfig("x", "/d/raw", "/d/roi", "/d/m.csv", "/d/out", 0, 1, null,
                section == "teacher" ? set(teacher) : teacher, section == "student" ? set(student) : student);
            var json = config.ToJson();
            Assert.Equal(name, JsonNode.Parse(json)![section]![key]!.GetValue<string>());
            var back = ExperimentConfig.FromJson(json, "/d/config.json");
            Assert.Equal(section == "teacher" ? config.Teacher : config.Student, section == "teacher" ? back.Teacher : back.Student);
        }
    }
}
