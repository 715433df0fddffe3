using PneuKnow.Augmentation;
using PneuKnow.Cli.Commands;
using PneuKnow.Cli.Commands.Reproduce;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Training;
using PneuKnow.Training;

namespace PneuKnow.Tests.Runtime;

/// <summary>
/// Progress lines say what they refer to: an epoch line names its unit, backbone, condition, role and run, and the
/// study's clock; every <c>done</c> line names the images it synthesised, decoded or explained; reproduce's header names
/// the data conditions. The texts are checked against fixed inputs, written out in full.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class ProgressLabelTests
{
    /// <summary>Records the descriptions of the tasks started, in order.</summary>
    sealed class Recording : IProgress, IProgressTask
    {
        public List<string> Started { get; } = [];
        public IProgressTask Start(string description, long total) { lock (Started) Started.Add(description); return this; }
        public void Advance(long steps = 1, string? status = null) { }
        public void Dispose() { }
    }

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(42.4, "42 s")]
    [InlineData(59.4, "59 s")]
    [InlineData(59.6, "1 min")]
    [InlineData(14 * 60 + 20, "14 min")]
    [InlineData(3539, "59 min")]
    [InlineData(3570, "1 h 00 min")]
    [InlineData(2 * 3600 + 5 * 60, "2 h 05 min")]
    [InlineData(-3, "0 s")]
    public void Durations_read_as_seconds_minutes_or_hours(double seconds, string expected) =>
        Assert.Equal(expected, ProgressText.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void The_epoch_line_of_a_study_names_unit_backbone_condition_role_run_and_the_study_clock()
    {
        var unit = new StudyUnit("resnet18", StudyVariant.Main, StudyUnitKind.Distillation, StudyCondition.Shortcut);
        var label = StudyRunner.UnitLabel(2, 10, unit, StudyCondition.Shortcut);
        Assert.Equal("unit 3/10 · resnet18 · shortcut", label);
        var run = Experiment.RunLabel(label, Role.Student, 0, 3);
        Assert.Equal("[unit 3/10 · resnet18 · shortcut · student · run 1/3]", run);
        // The trainer writes "<run label> epoch e/E", the study appends its clock, the terminal adds the status and the time.
        var clock = StudyClock.Format(TimeSpan.FromMinutes(14.2), TimeSpan.FromMinutes(31));
        Assert.Equal("[unit 3/10 · resnet18 · shortcut · student · run 1/3] epoch 2/5 (study 14 min, about 31 min left): loss 0.5200 acc 0.800 (5.2 s)",
            TerminalProgress.Line($"{run} epoch 2/5 ({clock})", "loss 0.5200 acc 0.800", TimeSpan.FromSeconds(5.2)));
        // Another arm than the main one is named after the condition; a single-condition preset still names its condition.
        Assert.Equal("unit 1/4 · cntk_resnet18 · clean · noroi",
            StudyRunner.UnitLabel(0, 4, new StudyUnit("cntk_resnet18", StudyVariant.NoRoi, StudyUnitKind.Distillation, StudyCondition.Clean), StudyCondition.Clean));
        Assert.Equal("unit 2/2 · cntk_resnet18 · clean",
            StudyRunner.UnitLabel(1, 2, new StudyUnit("cntk_resnet18", StudyVariant.Main, StudyUnitKind.Baseline), StudyCondition.Clean));
    }

    [Fact]
    public void A_done_line_says_what_it_refers_to()
    {
        var recording = new Recording();
        using (RelabelledProgress.Prefixed(recording, ProgressText.Label("data", "clean")).Start("synth 120 images at 64 px", 120)) { }
        Assert.Equal(["[data · clean] synth 120 images at 64 px"], recording.Started);
        Assert.Equal("[data · clean] synth 120 images at 64 px: done (2.1 s)", TerminalProgress.Line(recording.Started[0], null, TimeSpan.FromSeconds(2.1)));
        // An empty label leaves the progress as it is.
        Assert.Same(recording, RelabelledProgress.Prefixed(recording, ""));
    }

    [Fact]
    public void The_study_clock_estimates_the_time_left_from_the_epochs_trained_here()
    {
        var elapsed = TimeSpan.FromSeconds(12);
        var clock = new StudyClock(plannedEpochs: 10, () => elapsed);
        Assert.Equal("study 12 s", clock.Text);   // nothing trained yet: no rate, no estimate
        clock.EpochTrained("u", Role.Baseline, 0);
        clock.EpochTrained("u", Role.Baseline, 0);
        elapsed = TimeSpan.FromSeconds(60);
        // 30 s per epoch, 8 epochs left.
        Assert.Equal(TimeSpan.FromSeconds(240), clock.Remaining);
        Assert.Equal("study 1 min, about 4 min left", clock.Text);
        // The run had 5 epochs and finished after the 2 trained here (it resumed): the 3 it did not need leave the plan.
        clock.RunFinished("u", Role.Baseline, 0, 5);
        Assert.Equal(5, clock.EpochsLeft);
        // A reused run of 5 epochs, none trained here.
        clock.RunFinished("u", Role.Teacher, 0, 5);
        Assert.Equal(0, clock.EpochsLeft);
        Assert.Equal("study 1 min, about 0 s left", clock.Text);
    }

    [Fact]
    public void Reproduce_names_its_conditions_and_units_in_its_header()
    {
        Assert.Equal(
            ["preset:  smoke: 1 run(s) per arm, 64 px, 2 epochs, base seed 42; conditions clean",
             "units:   2 in shard 0/1: cntk_resnet18 · clean [do]"],
            ReproduceCommand.Header(StudyPreset.Smoke, ShardSpec.All));
        var quick = ReproduceCommand.Header(StudyPreset.Quick, ShardSpec.All);
        Assert.Equal("preset:  quick: 3 run(s) per arm, 112 px, 5 epochs, base seed 42; conditions clean, shortcut", quick[0]);
        Assert.Equal($"units:   {StudyGrid.Units(StudyPreset.Quick).Count} in shard 0/1: cntk_resnet18 · clean [do, noroi], resnet18 · clean [do], cntk_resnet18 · shortcut [do, noroi]", quick[1]);
        Assert.Equal("units:   1 in shard 0/1: cntk_resnet18 · shortcut [noroi]",
            ReproduceCommand.Header(StudyPreset.Quick, ShardSpec.All, "cntk_resnet18_shortcut_noroi_kd")[1]);
    }

    [Fact]
    public void Synthesis_decoding_and_training_tasks_are_named_by_what_they_work_on()
    {
        TorchRuntime.Initialize("cpu");
        var root = TrainingSetup.TempDir("progress-labels");
        try
        {
            var data = Path.Combine(root, "phantom");
            var progress = new Recording();
            PhantomGenerator.Generate(new PhantomOptions
            {
                Images = 24, Size = 32, Seed = 5, Conspicuity = 2,
                ClassShares = new Dictionary<string, double> { ["B"] = 1, ["NB"] = 1 },
                Splits = new SplitFractions(0.5, 0.25, 0.25),
            }, data, progress);
            Assert.Equal(["synth 24 images at 32 px"], progress.Started);

            progress.Started.Clear();
            var config = new ExperimentConfig("labels", Path.Combine(data, "raw"), Path.Combine(data, "roi"), Path.Combine(data, "manifest.csv"),
                Path.Combine(root, "runs"), Cuda: 0, RepeatedRuns: 2,
                Model: new StageConfig(32, "resnet18", 0.0, 1, AugmentationKind.None, 6) { Pretrained = false, Schedule = LearningRateScheduleKind.Constant },
                Teacher: null, Student: null);
            Experiment.Run(config, progress, new ExperimentOptions(OutputRoot: Path.Combine(root, "runs")) { ProgressLabel = "unit 3/10 · resnet18 · clean" });
            Assert.Equal(["[unit 3/10 · resnet18 · clean] decode 24 images at 32 px",
                          "[unit 3/10 · resnet18 · clean · baseline · run 1/2] epoch 1/1",
                          "[unit 3/10 · resnet18 · clean · baseline · run 2/2] epoch 1/1"], progress.Started);

            // The decision-region scoring of a run names the run it explains.
            progress.Started.Clear();
            StudyDecisionRegions.ScoreRun(Experiment.RunFolderOf(Path.Combine(root, "runs", "labels"), Role.Baseline, 1),
                new RunScoring("clean", "resnet18", "baseline", Role.Baseline, 1, PneuKnow.Explain.ImagePlane.Image, "test", 3, Occlusion: false), progress);
            Assert.Equal(["[clean · resnet18 · baseline · run_1] Grad-CAM of 3 images"], progress.Started);

            // Without a label the experiment's name stands in.
            progress.Started.Clear();
            Experiment.Run(config with { ExperimentName = "plain", RepeatedRuns = 1 }, progress, new ExperimentOptions(OutputRoot: Path.Combine(root, "runs")));
            Assert.Equal(["[plain] decode 24 images at 32 px", "[plain · baseline · run 1/1] epoch 1/1"], progress.Started);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
