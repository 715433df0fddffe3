using System.Diagnostics;
using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

public class StudyGridTests
{
    [Fact]
    public void Paper_grid_has_a_baseline_and_a_distillation_unit_per_backbone_plus_the_controls()
    {
        var p = StudyPreset.Paper;
        var units = StudyGrid.Units(p);
        // Per backbone: main arm = baseline + kd; noroi = kd; on ConvNeXt-small also 4 ROI budgets = kd each.
        Assert.Equal(p.Backbones.Count * (2 + 1) + 4, units.Count);
        Assert.Equal(units.Count, units.Select(u => u.Key).Distinct().Count());
        Assert.Equal(p.Backbones.Count, units.Count(u => u.Kind == StudyUnitKind.Baseline));
        Assert.Contains(units, u => u.Key == "convnext_small_noroi_kd" && u.Variant.TeacherOnRaw);
        Assert.Contains(units, u => u.Key == "convnext_small_roi30_kd" && u.Variant.RoiFraction == 0.3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(40)]
    public void Shards_are_disjoint_and_cover_the_grid(int n)
    {
        var units = StudyGrid.Units(StudyPreset.Paper);
        var seen = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var shard = StudyGrid.Shard(units, new ShardSpec(i, n));
            Assert.InRange(shard.Count, units.Count / n, units.Count / n + 1);
            seen.AddRange(shard.Select(u => u.Key));
        }
        Assert.Equal(units.Select(u => u.Key).OrderBy(k => k), seen.OrderBy(k => k));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2/2")]
    [InlineData("-1/3")]
    [InlineData("a/b")]
    [InlineData("0/0")]
    public void Bad_shard_specs_are_rejected_showing_the_expected_form(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => ShardSpec.Parse(spec));
        Assert.Contains(spec, e.Message);
        Assert.Contains("i/n", e.Message);
    }

    [Fact]
    public void Unknown_preset_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => StudyPreset.Get("fast"));
        Assert.Contains("smoke, quick, study, paper", e.Message);
        Assert.Contains("'fast'", e.Message);
    }

    [Fact]
    public void Slurm_script_is_valid_bash_with_an_array_per_shard_and_a_dependent_merge()
    {
        var script = SlurmScript.Render(new SlurmOptions("paper", Shards: 6, OutputDir: "/scratch/pk", Partition: "gpu", GpusPerTask: 1));
        Assert.Contains("#SBATCH --array=0-5\n", script);
        Assert.Contains("#SBATCH --partition=gpu\n", script);
        Assert.Contains("#SBATCH --gpus-per-task=1\n", script);
        Assert.Contains("--dependency=afterok:\"$SLURM_ARRAY_JOB_ID\"", script);
        Assert.Contains("--shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\"", script);
        Assert.Contains(" merge ", script);
        // What a real sbatch needed (see SlurmSubmissionTests): the lowest task of each submission queues a merge that
        // a failed task cancels, logs by array index under the study folder, threads from the allocation.
        Assert.Contains("-eq \"${SLURM_ARRAY_TASK_MIN:-0}\"", script);
        Assert.Contains("--kill-on-invalid-dep=yes", script);
        Assert.Contains("exec >>\"$OUT/logs/shard-$SLURM_ARRAY_TASK_ID.log\" 2>&1", script);
        Assert.Contains("--threads \"$SLURM_CPUS_PER_TASK\"", script);

        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, script);
            using var bash = Process.Start(new ProcessStartInfo("bash", ["-n", path]) { RedirectStandardError = true })!;
            var err = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            Assert.True(bash.ExitCode == 0, $"bash -n rejected the script: {err}");
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("/scratch/\"pk")]
    [InlineData("/scratch/`id`")]
    [InlineData("")]
    public void Slurm_script_refuses_an_output_path_it_cannot_quote(string outDir)
    {
        var e = Assert.Throws<ArgumentException>(() => SlurmScript.Render(new SlurmOptions("smoke", Shards: 2, OutputDir: outDir)));
        Assert.StartsWith("out: expected a non-empty path without quotes", e.Message);
        Assert.EndsWith($"found '{outDir}'.", e.Message);
    }

    [Fact]
    public void Quick_and_study_share_one_design_with_controls_in_both_conditions_and_independent_teachers()
    {
        var quick = StudyGrid.Units(StudyPreset.Quick).Select(u => u.Key).ToList();
        var study = StudyGrid.Units(StudyPreset.Study).Select(u => u.Key).ToList();
        // The random-init ResNet-18 runs on clean data only; the controls run on the pretrained backbone in both conditions.
        Assert.DoesNotContain(quick, k => k.StartsWith("resnet18_shortcut", StringComparison.Ordinal));
        foreach (var condition in new[] { "clean", "shortcut" })
        {
            Assert.Contains($"cntk_resnet18_{condition}_noroi_kd", quick);
            foreach (var budget in new[] { 10, 30, 60 }) Assert.Contains($"cntk_resnet18_{condition}_roi{budget}_kd", study);
        }
        Assert.Equal(quick, study.Where(k => !k.Contains("_roi", StringComparison.Ordinal)));
        Assert.Equal((3, 12), (StudyPreset.Quick.Runs, StudyPreset.Study.Runs));
        static object Design(StudyPreset p) => (p.Data, p.Resolution, string.Join(",", p.Backbones), p.Epochs, p.TeacherEpochs, p.KdEpochs, p.BatchSize,
            p.LearningRate, p.ScratchLearningRate, p.OutputStride, p.DecisionRegionImages, p.Seed, string.Join(",", p.Conditions));
        Assert.Equal(Design(StudyPreset.Quick), Design(StudyPreset.Study));
        Assert.True(StudyPreset.Quick.IsPrimary("cntk_resnet18") && !StudyPreset.Quick.IsPrimary("resnet18"));

        // Teachers (and pairs) of the two conditions draw different seeds; units of one condition share theirs.
        var units = StudyGrid.Units(StudyPreset.Quick);
        long SeedOf(string key) => StudyRunner.ConfigFor(StudyPreset.Quick, units.Single(u => u.Key == key), "/data/manifest.csv", "/runs").Seed;
        Assert.NotEqual(SeedOf("cntk_resnet18_clean_do_kd"), SeedOf("cntk_resnet18_shortcut_do_kd"));
        Assert.Equal(SeedOf("cntk_resnet18_clean_do_kd"), SeedOf("cntk_resnet18_clean_noroi_kd"));
        Assert.Equal(SeedOf("cntk_resnet18_clean_do_kd"), SeedOf("cntk_resnet18_clean_do_baseline"));
    }
}
