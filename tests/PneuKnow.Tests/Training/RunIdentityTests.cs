using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>A run folder moved to another clone keeps its identity; any other difference still makes it another run.</summary>
public sealed class RunIdentityTests
{
    static RunRecord Run(string clone, int epochs = 5, string data = "phantom-1300-112px-seed2023", int teacherRun = 2)
    {
        var r = RunRecordTests.Student(clone);
        return r with
        {
            Epochs = epochs,
            Config = r.Config! with
            {
                RawDataDir = $"{clone}/data/generated/{data}/raw",
                RoiDataDir = $"{clone}/data/generated/{data}/roi",
                MetadataFile = $"{clone}/data/generated/{data}/manifest.csv",
                TeacherRun = $"{clone}/results/study/runs/cntk_resnet18_clean_do_kd/teacher/run_{teacherRun}",
            },
        };
    }

    [Fact]
    public void The_same_run_under_another_clone_root_is_a_relocation()
    {
        Assert.True(RunIdentity.IsRelocation(Run("/tmp/quickref"), Run("/work/main")));
    }

    [Fact]
    public void The_identical_run_is_the_same_run_and_another_setting_is_never_one()
    {
        // A record with relative paths moved with its data resolves to the requested paths: only its key (hashed at the old
        // place) differs, and it is the same run.
        Assert.True(RunIdentity.IsRelocation(Run("/tmp/quickref"), Run("/tmp/quickref")));
        Assert.False(RunIdentity.IsRelocation(Run("/tmp/quickref"), Run("/work/main", epochs: 6)));
        Assert.Contains("epochs (5 → 6)", RunIdentity.Differences(Run("/tmp/quickref"), Run("/work/main", epochs: 6)));

        var otherStage = Run("/work/main");
        otherStage = otherStage with { Config = otherStage.Config! with { Stage = otherStage.Config.Stage with { Resolution = 64 } } };
        Assert.False(RunIdentity.IsRelocation(Run("/work/main"), otherStage));
        Assert.Contains("config.stage.resolution (112 → 64)", RunIdentity.Differences(Run("/work/main"), otherStage));
    }

    [Fact]
    public void Other_data_or_another_teacher_is_not_a_relocation()
    {
        var recorded = Run("/tmp/quickref");
        Assert.False(RunIdentity.IsRelocation(recorded, Run("/work/main", data: "phantom-1300-112px-seed7")));
        Assert.False(RunIdentity.IsRelocation(recorded, Run("/work/main", teacherRun: 4)));
        Assert.False(RunIdentity.IsRelocation(null, Run("/work/main")));
        Assert.Equal("", RunIdentity.Differences(null, Run("/work/main")));
    }
}
