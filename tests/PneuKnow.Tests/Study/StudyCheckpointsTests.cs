using PneuKnow.Distillation;
using PneuKnow.Study;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// Which checkpoints a study keeps (<see cref="StudyCheckpoints"/>), on run folders laid out by hand: each finished run
/// has its <c>result.json</c>, <c>best.pt</c> and <c>best_extra.pt</c>, and the runner's calls come in the order a study
/// makes them (baselines, then teachers, then students; a unit's prune after it).
/// </summary>
public sealed class StudyCheckpointsTests : IDisposable
{
    // Two conditions, the main arm only (baseline and kd unit per condition), three pairs.
    static readonly StudyPreset Preset = TinyStudy.Preset with { Runs = 3 };
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("study-checkpoints-");

    public void Dispose() => _root.Delete(recursive: true);

    string Runs => Path.Combine(_root.FullName, "runs");

    static StudyUnit Unit(StudyUnitKind kind, StudyCondition condition) => new("cntk_resnet18", StudyVariant.Main, kind, condition);

    string Folder(StudyUnit unit, Role role, int k) => Experiment.RunFolderOf(Path.Combine(Runs, unit.Key), role, k);

    /// <summary>A finished run with its checkpoint, or (<paramref name="checkpoint"/> false) one reused from a commit without it.</summary>
    void Finished(StudyUnit unit, Role role, int k, bool checkpoint = true)
    {
        var f = new RunFolder(Folder(unit, role, k));
        Directory.CreateDirectory(f.Directory);
        File.WriteAllText(f.Result, "{}");
        if (!checkpoint) return;
        File.WriteAllText(f.BestModel, "weights");
        File.WriteAllText(f.BestExtra, "adapter");
    }

    bool Has(StudyUnit unit, Role role, int k) => File.Exists(new RunFolder(Folder(unit, role, k)).BestModel);

    /// <summary>The pairs (by k) whose baseline, teacher and student each keep their checkpoint, and the loose checkpoints.</summary>
    string Kept(StudyCondition condition)
    {
        var (b, kd) = (Unit(StudyUnitKind.Baseline, condition), Unit(StudyUnitKind.Distillation, condition));
        return string.Join(" ", Enumerable.Range(0, Preset.Runs).Select(k =>
            $"{k}:{(Has(b, Role.Baseline, k) ? "b" : "-")}{(Has(kd, Role.Teacher, k) ? "t" : "-")}{(Has(kd, Role.Student, k) ? "s" : "-")}"));
    }

    /// <summary>Trains one condition's arm the way the runner does, calling the keeper after each run and each unit.</summary>
    void Arm(StudyCheckpoints keeper, StudyCondition condition, Action<int>? afterStudent = null, Func<Role, int, bool>? checkpointOf = null)
    {
        var (b, kd) = (Unit(StudyUnitKind.Baseline, condition), Unit(StudyUnitKind.Distillation, condition));
        for (int k = 0; k < Preset.Runs; k++) { Finished(b, Role.Baseline, k, checkpointOf?.Invoke(Role.Baseline, k) ?? true); keeper.RunFinished(b, Role.Baseline, k); }
        keeper.Prune();
        for (int k = 0; k < Preset.Runs; k++) { Finished(kd, Role.Teacher, k, checkpointOf?.Invoke(Role.Teacher, k) ?? true); keeper.RunFinished(kd, Role.Teacher, k); }
        for (int k = 0; k < Preset.Runs; k++)
        {
            // The student needs its teacher's checkpoint: it is there until the student has finished.
            Assert.True(checkpointOf?.Invoke(Role.Teacher, k) == false || Has(kd, Role.Teacher, k), $"teacher {k}'s best.pt went before its student trained");
            Finished(kd, Role.Student, k, checkpointOf?.Invoke(Role.Student, k) ?? true);
            keeper.RunFinished(kd, Role.Student, k);
            afterStudent?.Invoke(k);
        }
        keeper.Prune();
    }

    [Fact]
    public void Used_keeps_the_lowest_pair_of_each_main_arm_and_removes_the_others_as_soon_as_a_lower_pair_is_complete()
    {
        var keeper = new StudyCheckpoints(KeepCheckpoints.Used, Runs, Preset);
        Arm(keeper, StudyCondition.Clean, afterStudent: k =>
        {
            // Pair 0 is complete once its student has finished: every later pair goes as soon as its student has.
            if (k >= 1) Assert.Equal("0:bts 1:--- " + (k == 1 ? "2:bt-" : "2:---"), Kept(StudyCondition.Clean));
        });
        Assert.Equal("0:bts 1:--- 2:---", Kept(StudyCondition.Clean));
        Assert.False(File.Exists(new RunFolder(Folder(Unit(StudyUnitKind.Distillation, StudyCondition.Clean), Role.Student, 1)).BestExtra));
        // The other condition's arm has not run: nothing of it is touched, and the clean arm's pair stays.
        Arm(keeper, StudyCondition.Shortcut);
        Assert.Equal("0:bts 1:--- 2:---", Kept(StudyCondition.Clean));
        Assert.Equal("0:bts 1:--- 2:---", Kept(StudyCondition.Shortcut));
        // What the tables read stays.
        Assert.True(File.Exists(new RunFolder(Folder(Unit(StudyUnitKind.Baseline, StudyCondition.Clean), Role.Baseline, 2)).Result));
    }

    [Fact]
    public void Used_keeps_the_lowest_complete_pair_when_a_lower_pair_lacks_a_checkpoint()
    {
        // Pair 0's teacher was reused from a commit (no best.pt): pair 1 is the lowest pair whose three checkpoints exist.
        var keeper = new StudyCheckpoints(KeepCheckpoints.Used, Runs, Preset);
        Arm(keeper, StudyCondition.Clean, checkpointOf: (role, k) => !(role == Role.Teacher && k == 0));
        Assert.Equal("0:--- 1:bts 2:---", Kept(StudyCondition.Clean));
    }

    [Fact]
    public void None_removes_each_checkpoint_once_its_run_and_any_student_of_it_have_finished()
    {
        var keeper = new StudyCheckpoints(KeepCheckpoints.None, Runs, Preset);
        Arm(keeper, StudyCondition.Clean, afterStudent: k => Assert.False(Has(Unit(StudyUnitKind.Distillation, StudyCondition.Clean), Role.Teacher, k)));
        Assert.Equal("0:--- 1:--- 2:---", Kept(StudyCondition.Clean));
        Assert.Empty(Directory.GetFiles(Runs, "*.pt", SearchOption.AllDirectories));
    }

    /// <summary>What a study keeps is packed (lossless: the bytes read back are the bytes written); what training may still read is not.</summary>
    [Fact]
    public void Kept_checkpoints_are_packed_once_training_no_longer_reads_them()
    {
        var keeper = new StudyCheckpoints(KeepCheckpoints.Used, Runs, Preset);
        var kd = Unit(StudyUnitKind.Distillation, StudyCondition.Clean);
        Arm(keeper, StudyCondition.Clean, afterStudent: k =>
        {
            // Before the unit's prune nothing is packed; a teacher whose student is still to train never is.
            Assert.False(CheckpointFile.IsPacked(new RunFolder(Folder(kd, Role.Teacher, 0)).BestModel));
        });
        foreach (var (unit, role) in new[] { (Unit(StudyUnitKind.Baseline, StudyCondition.Clean), Role.Baseline), (kd, Role.Teacher), (kd, Role.Student) })
        {
            var f = new RunFolder(Folder(unit, role, 0));
            Assert.True(CheckpointFile.IsPacked(f.BestModel), f.BestModel);
            Assert.Equal("weights"u8.ToArray(), CheckpointFile.ReadBytes(f.BestModel));
            Assert.Equal("adapter"u8.ToArray(), CheckpointFile.ReadBytes(f.BestExtra));
        }
    }

    [Fact]
    public void All_keeps_every_checkpoint()
    {
        var keeper = new StudyCheckpoints(KeepCheckpoints.All, Runs, Preset);
        Arm(keeper, StudyCondition.Clean);
        Assert.Equal("0:bts 1:bts 2:bts", Kept(StudyCondition.Clean));
    }

    [Fact]
    public void An_unfinished_run_keeps_its_checkpoint_whatever_the_setting()
    {
        var keeper = new StudyCheckpoints(KeepCheckpoints.None, Runs, Preset);
        var b = Unit(StudyUnitKind.Baseline, StudyCondition.Clean);
        Finished(b, Role.Baseline, 0);
        File.Delete(new RunFolder(Folder(b, Role.Baseline, 0)).Result);   // killed after writing best.pt, before result.json
        keeper.RunFinished(b, Role.Baseline, 0);
        Assert.True(Has(b, Role.Baseline, 0));
    }

    [Fact]
    public void Reproduce_keeps_the_used_checkpoints_unless_told_otherwise()
    {
        Assert.Equal(KeepCheckpoints.Used, new StudyOptions("out").KeepCheckpoints);
        Assert.Equal(KeepCheckpoints.Used, new PneuKnow.Cli.Commands.Reproduce.ReproduceCommand.Settings().KeepCheckpoints);
        var r = PneuKnow.Tests.Cli.PneuknowCli.Run("reproduce", "--preset", "smoke", "--keep-checkpoints", "some", "--out", Path.Combine(_root.FullName, "x"));
        Assert.Equal(2, r.Exit);
        Assert.Contains("--keep-checkpoints: expected one of used, all, none, found 'some'", r.Error);
        Assert.False(Directory.Exists(Path.Combine(_root.FullName, "x")));
    }
}

/// <summary>A finished tiny study (the runner's default, <see cref="KeepCheckpoints.Used"/>) keeps pair 0 of each main arm and nothing else.</summary>
[Collection(PneuKnow.Tests.Training.TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StudyCheckpointsStudyTests(TinyStudyRun tiny)
{
    [Fact]
    public void A_finished_study_keeps_the_checkpoints_of_the_lowest_pair_of_each_main_arm_only()
    {
        var kept = Directory.GetFiles(Path.Combine(tiny.Study, "runs"), "best.pt", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(tiny.Study, "runs"), Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["cntk_resnet18_clean_do_baseline/baseline/run_0", "cntk_resnet18_clean_do_kd/student/run_0", "cntk_resnet18_clean_do_kd/teacher/run_0",
             "cntk_resnet18_shortcut_do_baseline/baseline/run_0", "cntk_resnet18_shortcut_do_kd/student/run_0", "cntk_resnet18_shortcut_do_kd/teacher/run_0"],
            kept);
        // Every run, kept or not, still has what the tables read.
        var runs = Directory.GetDirectories(Path.Combine(tiny.Study, "runs"), "run_*", SearchOption.AllDirectories);
        Assert.Equal(TinyStudy.Preset.Runs * 6, runs.Length);
        // The kept ones are packed, and load as the weights they were (TrainedModel reads packed checkpoints).
        Assert.All(kept, k => Assert.True(CheckpointFile.IsPacked(Path.Combine(tiny.Study, "runs", k, "best.pt")), k));
        using var model = TrainedModel.Load(Path.Combine(tiny.Study, "runs", kept[0]));
        Assert.NotEmpty(model.Model.parameters());
        Assert.All(runs, r => Assert.True(File.Exists(Path.Combine(r, "result.json")) && File.Exists(Path.Combine(r, StudyDecisionRegions.RunScoresStampFileName)), r));
    }
}
