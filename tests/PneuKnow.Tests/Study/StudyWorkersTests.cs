using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

public class StudyWorkersTests
{
    static readonly StudyPreset Quick = StudyPreset.Quick;

    [Fact]
    public void Units_run_costliest_first_in_grid_order_among_equals()
    {
        var units = StudyGrid.Units(Quick);
        var order = StudyWorkers.LongestFirst(Quick, units).Select(u => u.Key).ToList();
        // Distillation units (teacher + student: 3 × (3 + 1.25 × 5) = 27.75) before baselines (3 × 5 = 15), each group in grid order.
        Assert.Equal(
            ["cntk_resnet18_clean_do_kd", "cntk_resnet18_clean_noroi_kd", "resnet18_clean_do_kd", "cntk_resnet18_shortcut_do_kd", "cntk_resnet18_shortcut_noroi_kd",
             "cntk_resnet18_clean_do_baseline", "resnet18_clean_do_baseline", "cntk_resnet18_shortcut_do_baseline"],
            order);
        // A budget's teacher trains floor(1 / fraction · 3) epochs (the authors' factor): 30 % → 10, so 3 × (10 + 1.25 × 5) = 48.75.
        var study = StudyGrid.Units(StudyPreset.Study);
        Assert.Equal(12 * (10 + 1.25 * 5), StudyWorkers.EstimatedCost(StudyPreset.Study, study.Single(u => u.Key == "cntk_resnet18_shortcut_roi30_kd")));
        Assert.Equal(12 * (30 + 1.25 * 5), StudyWorkers.EstimatedCost(StudyPreset.Study, study.Single(u => u.Key == "cntk_resnet18_clean_roi10_kd")));
        Assert.Equal(27.75, StudyWorkers.EstimatedCost(Quick, units.Single(u => u.Key == "resnet18_clean_do_kd")));
        Assert.Equal(15, StudyWorkers.EstimatedCost(Quick, units.Single(u => u.Key == "resnet18_clean_do_baseline")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Every_unit_runs_once_and_never_more_than_the_worker_count_at_a_time(int workers)
    {
        var units = StudyGrid.Units(Quick);
        int running = 0, peak = 0;
        var started = new List<string>();
        var outcomes = await StudyWorkers.RunAsync(Quick, units, workers, async (unit, _) =>
        {
            lock (started) { started.Add(unit.Key); peak = Math.Max(peak, ++running); }
            await Task.Delay(30);
            lock (started) running--;
            return 0;
        });
        Assert.Equal(units.Select(u => u.Key).Order(), started.Order());
        Assert.Equal(units.Count, outcomes.Count);
        Assert.Equal(Math.Min(workers, units.Count), peak);
        // The first units handed out are the costliest ones.
        Assert.Equal(StudyWorkers.LongestFirst(Quick, units).Take(workers).Select(u => u.Key).Order(), started.Take(workers).Order());
    }

    [Fact]
    public async Task A_failing_or_throwing_unit_is_reported_and_the_others_still_run()
    {
        var units = StudyGrid.Units(Quick);
        var outcomes = await StudyWorkers.RunAsync(Quick, units, 2, (unit, _) => unit.Key switch
        {
            "resnet18_clean_do_kd" => Task.FromResult(3),
            "cntk_resnet18_clean_do_baseline" => throw new InvalidOperationException("no executable"),
            _ => Task.FromResult(0),
        });
        Assert.Equal(units.Count, outcomes.Count);
        Assert.Equal(3, outcomes.Single(o => o.Unit.Key == "resnet18_clean_do_kd").ExitCode);
        Assert.Equal(-1, outcomes.Single(o => o.Unit.Key == "cntk_resnet18_clean_do_baseline").ExitCode);
        Assert.Equal(units.Count - 2, outcomes.Count(o => o.ExitCode == 0));
    }

    [Fact]
    public async Task Zero_workers_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            StudyWorkers.RunAsync(Quick, StudyGrid.Units(Quick), 0, (_, _) => Task.FromResult(0)));
    }

    [Fact]
    public void A_worker_share_keeps_grid_order_and_an_unknown_unit_lists_the_valid_ones()
    {
        var units = StudyGrid.Units(Quick);
        var share = StudyRunner.Select(units, ["resnet18_clean_do_kd", "cntk_resnet18_clean_do_baseline"]);
        Assert.Equal(["cntk_resnet18_clean_do_baseline", "resnet18_clean_do_kd"], share.Select(u => u.Key));
        var e = Assert.Throws<ArgumentException>(() => StudyRunner.Select(units, ["resnet50_do_kd"]));
        Assert.Contains("resnet50_do_kd", e.Message);
        Assert.Contains("cntk_resnet18_shortcut_noroi_kd", e.Message);
    }

    [Fact]
    public void Randomly_initialised_backbones_train_at_the_scratch_rate_and_pretrained_ones_at_the_fine_tuning_rate()
    {
        var units = StudyGrid.Units(Quick);
        var scratch = StudyRunner.ConfigFor(Quick, units.Single(u => u.Key == "resnet18_clean_do_kd"), "/data/manifest.csv", "/runs");
        var tuned = StudyRunner.ConfigFor(Quick, units.Single(u => u.Key == "cntk_resnet18_clean_do_kd"), "/data/manifest.csv", "/runs");
        // resnet18 has no weights bundled; a machine whose weight store holds some fine-tunes it instead.
        bool fromScratch = PneuKnow.Models.BackboneZoo.PretrainedSource("resnet18") is null;
        Assert.Equal(!fromScratch, scratch.Teacher!.Pretrained);
        Assert.Equal(fromScratch ? 1e-3 : 2e-4, scratch.Teacher.LearningRate);
        Assert.Equal(fromScratch ? 1e-3 : 2e-4, scratch.Student!.LearningRate);
        Assert.True(tuned.Teacher!.Pretrained);
        Assert.Equal(2e-4, tuned.Teacher.LearningRate);
        Assert.Equal(2e-4, tuned.Student!.LearningRate);
        // Without a scratch rate every backbone gets the preset's one rate.
        var plain = StudyRunner.ConfigFor(Quick with { ScratchLearningRate = null }, units.Single(u => u.Key == "resnet18_clean_do_baseline"), "/data/manifest.csv", "/runs");
        Assert.Equal(2e-4, plain.Model!.LearningRate);
    }
}
