using System.Globalization;
using PneuKnow.Evaluation;
using PneuKnow.Study;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// Per-arm run counts (<see cref="StudyPreset.PrimaryRuns"/>): the primary backbones' main arm runs more pairs than the
/// secondary arms, every count flows from <see cref="StudyPreset.RunsOf"/>, the stamp records it, and comparisons between
/// a long and a short arm pair run k with run k over the shorter one's runs.
/// </summary>
public sealed class PrimaryRunsTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("primary-runs-");
    public void Dispose() => _root.Delete(true);

    // The primary endpoints' units of the study preset: the pretrained ResNet's main-arm baseline and distillation unit, per condition.
    static readonly string[] PrimaryUnits =
        ["cntk_resnet18_clean_do_baseline", "cntk_resnet18_clean_do_kd", "cntk_resnet18_shortcut_do_baseline", "cntk_resnet18_shortcut_do_kd"];

    static StudyUnit UnitOf(StudyPreset p, string key) => StudyGrid.Units(p).Single(u => u.Key == key);

    [Fact]
    public void The_study_runs_30_pairs_in_the_primary_main_arm_and_12_everywhere_else()
    {
        var p = StudyPreset.Study;
        Assert.Equal((12, 30), (p.Runs, p.PrimaryRuns));
        var units = StudyGrid.Units(p);
        // Every unit of the grid, not only a sample: exactly the four primary units get 30.
        Assert.Equal(PrimaryUnits.Order(StringComparer.Ordinal), units.Where(u => p.RunsOf(u) == 30).Select(u => u.Key).Order(StringComparer.Ordinal));
        Assert.All(units.Where(u => !PrimaryUnits.Contains(u.Key)), u => Assert.Equal(12, p.RunsOf(u)));
        // The secondary backbone, the noroi control and the ROI budgets are among the 12-run units.
        foreach (var key in new[] { "resnet18_clean_do_baseline", "resnet18_clean_do_kd", "cntk_resnet18_clean_noroi_kd", "cntk_resnet18_shortcut_noroi_kd",
                                    "cntk_resnet18_clean_roi10_kd", "cntk_resnet18_shortcut_roi30_kd", "cntk_resnet18_clean_roi60_kd" })
            Assert.Equal(12, p.RunsOf(UnitOf(p, key)));
    }

    [Fact]
    public void The_quick_preset_keeps_three_pairs_in_every_arm()
    {
        var q = StudyPreset.Quick;
        Assert.Null(q.PrimaryRuns);
        Assert.All(StudyGrid.Units(q), u => Assert.Equal(3, q.RunsOf(u)));
    }

    [Fact]
    public void Without_primary_backbones_every_backbones_main_arm_is_primary()
    {
        // PrimaryBackbones null means every backbone is primary (IsPrimary); the controls still run Runs.
        var p = StudyPreset.Paper with { PrimaryRuns = 8 };
        var units = StudyGrid.Units(p);
        Assert.All(units, u => Assert.Equal(u.Variant.Name == StudyVariant.Main.Name ? 8 : 5, p.RunsOf(u)));
        Assert.Contains(units, u => p.RunsOf(u) == 5);
    }

    [Fact]
    public void Fewer_primary_runs_than_runs_are_refused_naming_expected_and_found()
    {
        var p = StudyPreset.Study with { PrimaryRuns = 10 };
        // Refused whatever the unit: a secondary unit's count would be right, but the preset cannot pair 10 with 12.
        var e = Assert.Throws<ArgumentException>(() => p.RunsOf(UnitOf(p, "resnet18_clean_do_kd")));
        Assert.Contains("preset study", e.Message);
        Assert.Contains("primary_runs ≥ runs (12)", e.Message);
        Assert.Contains("found primary_runs 10", e.Message);
    }

    [Fact]
    public void The_experiment_config_of_each_unit_repeats_its_own_count()
    {
        var p = StudyPreset.Study;
        foreach (var unit in StudyGrid.Units(p))
            Assert.Equal(p.RunsOf(unit), StudyRunner.ConfigFor(p, unit, "/data/manifest.csv", "/runs").RepeatedRuns);
        Assert.Equal(30, StudyRunner.ConfigFor(p, UnitOf(p, "cntk_resnet18_shortcut_do_kd"), "/data/manifest.csv", "/runs").RepeatedRuns);
        Assert.Equal(12, StudyRunner.ConfigFor(p, UnitOf(p, "cntk_resnet18_shortcut_noroi_kd"), "/data/manifest.csv", "/runs").RepeatedRuns);
        // The pairs' seeds come from the condition and k, not from the count: run k of a 30-run arm is run k of a 12-run arm.
        Assert.Equal(StudyRunner.ConfigFor(p, UnitOf(p, "cntk_resnet18_clean_do_kd"), "/d/m.csv", "/r").Seed,
            StudyRunner.ConfigFor(p, UnitOf(p, "cntk_resnet18_clean_noroi_kd"), "/d/m.csv", "/r").Seed);
    }

    [Fact]
    public void A_runs_override_means_that_many_runs_in_every_arm()
    {
        var two = StudyRunner.Restrict(StudyPreset.Study, null, 2);
        Assert.Null(two.PrimaryRuns);
        Assert.All(StudyGrid.Units(two), u => Assert.Equal(2, two.RunsOf(u)));
        Assert.All(StudyGrid.Units(two), u => Assert.Equal(2, StudyRunner.ConfigFor(two, u, "/d/m.csv", "/r").RepeatedRuns));
        // More runs than the preset's primary count is no error either: the override replaces both.
        var forty = StudyRunner.Restrict(StudyPreset.Study, null, 40);
        Assert.All(StudyGrid.Units(forty), u => Assert.Equal(40, forty.RunsOf(u)));
        // A backbone restriction alone keeps the per-arm counts.
        var one = StudyRunner.Restrict(StudyPreset.Study, ["cntk_resnet18"], null);
        Assert.Equal(30, one.RunsOf(UnitOf(one, "cntk_resnet18_clean_do_baseline")));
        Assert.Equal(12, one.RunsOf(UnitOf(one, "cntk_resnet18_clean_noroi_kd")));
    }

    [Fact]
    public void An_arms_restriction_keeps_the_named_arms_and_the_primary_arms_alone_are_four_units_of_30_pairs()
    {
        // What a replication of the primary endpoints runs: reproduce --preset study --arms do --backbones cntk_resnet18.
        var primary = StudyRunner.Restrict(StudyPreset.Study, ["cntk_resnet18"], null, ["do"]);
        Assert.Equal(["cntk_resnet18_clean_do_baseline", "cntk_resnet18_clean_do_kd", "cntk_resnet18_shortcut_do_baseline", "cntk_resnet18_shortcut_do_kd"],
            StudyGrid.Units(primary).Select(u => u.Key).Order(StringComparer.Ordinal));
        Assert.All(StudyGrid.Units(primary), u => Assert.Equal(30, primary.RunsOf(u)));
        // The stamp records the arms only when they differ from the preset's, so existing stamps read as before.
        Assert.Equal(["do"], StudyRunner.ArmsOf(primary)!);
        Assert.Null(StudyRunner.ArmsOf(StudyPreset.Study));
        Assert.Null(StudyRunner.ArmsOf(StudyRunner.Restrict(StudyPreset.Study, ["cntk_resnet18"], null)));
        // Arms keep the preset's order whatever the order asked.
        Assert.Equal(["do", "roi30"], StudyRunner.Restrict(StudyPreset.Study, null, null, ["roi30", "do"]).Variants.Select(v => v.Name));
        var e = Assert.Throws<ArgumentException>(() => StudyRunner.Restrict(StudyPreset.Quick, null, null, ["do", "roi30"]));
        Assert.Equal("arms: roi30 not in preset quick; expected some of do, noroi.", e.Message);
    }

    [Fact]
    public void The_cost_estimate_scales_with_each_units_runs()
    {
        var p = StudyPreset.Study;
        // Baseline: runs × 5 epochs; distillation: runs × (3 teacher epochs + 1.25 × 5 student epochs).
        Assert.Equal(30 * 5, StudyWorkers.EstimatedCost(p, UnitOf(p, "cntk_resnet18_clean_do_baseline")));
        Assert.Equal(12 * 5, StudyWorkers.EstimatedCost(p, UnitOf(p, "resnet18_clean_do_baseline")));
        Assert.Equal(30 * (3 + 1.25 * 5), StudyWorkers.EstimatedCost(p, UnitOf(p, "cntk_resnet18_shortcut_do_kd")));
        Assert.Equal(12 * (3 + 1.25 * 5), StudyWorkers.EstimatedCost(p, UnitOf(p, "cntk_resnet18_shortcut_noroi_kd")));
        // Workers take the 10 % budgets first (12 × (30 + 6.25) = 435: their teacher trains 30 epochs), then the primary
        // distillation units (30 × 9.25 = 277.5), which at 12 runs (111) would have come after the 30 % budgets (195).
        var order = StudyWorkers.LongestFirst(p, StudyGrid.Units(p)).Select(u => u.Key).ToList();
        Assert.Equal(["cntk_resnet18_clean_roi10_kd", "cntk_resnet18_shortcut_roi10_kd", "cntk_resnet18_clean_do_kd", "cntk_resnet18_shortcut_do_kd"], order.Take(4));
    }

    static StudyStamp Stamp(int runs, int? primaryRuns, params string[] units) =>
        new("study", StudyStamp.CurrentCodeVersion, "0/1", ["cntk_resnet18", "resnet18"], runs, units, [StudyCondition.Clean, StudyCondition.Shortcut], 42, "test machine", primaryRuns);

    string Folder(string name) => Directory.CreateDirectory(Path.Combine(_root.FullName, name)).FullName;

    [Fact]
    public void The_stamp_records_primary_runs_and_reads_back_with_and_without_it()
    {
        var with = Folder("with");
        Stamp(12, 30).Write(with);
        Assert.Contains("\"primary_runs\": 30", File.ReadAllText(Path.Combine(with, StudyStamp.FileName)));
        Assert.Equal(30, StudyStamp.Read(with).PrimaryRuns);
        Assert.Equal(12, StudyStamp.Read(with).Runs);

        var without = Folder("without");
        Stamp(12, null).Write(without);
        Assert.Null(StudyStamp.Read(without).PrimaryRuns);

        // A stamp written before per-arm counts existed has no such key at all.
        var old = Folder("old");
        File.WriteAllText(Path.Combine(old, StudyStamp.FileName),
            """{ "preset": "study", "code_version": "0.1.0+abc", "shard": "0/1", "backbones": ["cntk_resnet18"], "runs": 12, "units": [], "seed": 42 }""");
        var read = StudyStamp.Read(old);
        Assert.Equal((12, (int?)null), (read.Runs, read.PrimaryRuns));

        var bad = Folder("bad");
        Stamp(12, 5).Write(bad);
        var e = Assert.Throws<InvalidDataException>(() => StudyStamp.Read(bad));
        Assert.Contains(Path.Combine(bad, StudyStamp.FileName), e.Message);
        Assert.Contains("expected primary_runs ≥ runs (12), found primary_runs 5", e.Message);
    }

    [Fact]
    public void Evaluating_a_study_rebuilds_the_per_arm_counts_it_ran_from_its_stamp()
    {
        // Stamps without units: Evaluate reads no run folder, so its preset is what the stamp alone rebuilds.
        StudyPreset Rebuilt(StudyStamp stamp, string name)
        {
            var dir = Folder(name);
            stamp.Write(dir);
            return StudyReport.Evaluate(dir).Preset;
        }
        var primary = UnitOf(StudyPreset.Study, "cntk_resnet18_clean_do_kd");
        var secondary = UnitOf(StudyPreset.Study, "cntk_resnet18_clean_noroi_kd");

        var now = Rebuilt(Stamp(12, 30), "now");
        Assert.Equal((30, 12), (now.RunsOf(primary), now.RunsOf(secondary)));
        // A study run before per-arm counts (or with --runs 12) ran 12 everywhere, although today's preset would run 30.
        var before = Rebuilt(Stamp(12, null), "before");
        Assert.Equal((12, 12), (before.RunsOf(primary), before.RunsOf(secondary)));
        var two = Rebuilt(Stamp(2, null), "two");
        Assert.Equal((2, 2), (two.RunsOf(primary), two.RunsOf(secondary)));
    }

    [Fact]
    public void Shards_that_ran_different_primary_counts_are_not_merged_and_a_merge_keeps_the_count()
    {
        var a = Folder("a");
        Stamp(12, 30, "u1").Write(a);
        var b = Folder("b");
        Stamp(12, null, "u2").Write(b);
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains($"{b} covers backbones [cntk_resnet18, resnet18] × 12 runs but {a} covers [cntk_resnet18, resnet18] × 12 runs (primary arms 30)", e.Message);

        var c = Folder("c");
        Stamp(12, 30, "u2").Write(c);
        var merged = ShardMerge.Merge([a, c], Path.Combine(_root.FullName, "m2"));
        Assert.Equal(30, merged.PrimaryRuns);
        Assert.Equal(30, StudyStamp.Read(Path.Combine(_root.FullName, "m2")).PrimaryRuns);
    }

    // ---- A fake study folder: the primary arm runs 3 pairs, the noroi control 2. ----

    static readonly string[] Classes = ["B", "NB", "V"];
    const int Images = 10;

    // Writes run_k of a role with its test predictions (the first `right` of the 10 images right, the others wrong), the
    // run.json naming the manifest (for the patients) and a one-column-per-quantity log (for the convergence rows).
    void Run(string study, string manifest, string unit, string role, int k, int right)
    {
        var dir = Directory.CreateDirectory(Path.Combine(study, "runs", unit, role, $"run_{k}")).FullName;
        new Predictions(Classes, Enumerable.Range(0, Images).Select(i =>
        {
            int label = i % 3, predicted = i < right ? label : (label + 1) % 3;
            return new PredictionRow(i, $"img{i}.png", label, predicted, Enumerable.Range(0, 3).Select(c => c == predicted ? 1.0 : 0.0).ToArray());
        }).ToList()).Write(Path.Combine(dir, "predictions_test.csv"));
        var record = PneuKnow.Tests.Training.RunRecordTests.Student(study);
        (record with { Classes = Classes, Config = record.Config! with { MetadataFile = manifest } }).Write(new PneuKnow.Training.RunFolder(dir));
        File.WriteAllText(Path.Combine(dir, "log.csv"),
            $"epochs,fold{k}_val_acc,fold{k}_val_loss\n1,0.4,1.2\n2,{(right / 10.0).ToString(CultureInfo.InvariantCulture)},0.9\n");
    }

    [Fact]
    public void A_comparison_of_a_long_and_a_short_arm_pairs_run_k_with_run_k_over_the_shorter_arm()
    {
        var study = Folder("study");
        var manifest = Path.Combine(study, "manifest.csv");
        File.WriteAllText(manifest, "file_name,patient_id\n" + string.Concat(Enumerable.Range(0, Images).Select(i => $"img{i}.png,p{i}\n")));
        // Accuracies (right of 10) per run k: baseline 5, 5, 5; HKD student 8, 7, 2; noroi student 5, 6. Run 2 of the
        // student is far from the others, so any pairing but k with k moves the noroi row's estimate.
        int[] baseline = [5, 5, 5], student = [8, 7, 2], teacher = [9, 9, 9], noroi = [5, 6], rawTeacher = [6, 6];
        for (int k = 0; k < 3; k++)
        {
            Run(study, manifest, "cntk_resnet18_do_baseline", "baseline", k, baseline[k]);
            Run(study, manifest, "cntk_resnet18_do_kd", "teacher", k, teacher[k]);
            Run(study, manifest, "cntk_resnet18_do_kd", "student", k, student[k]);
        }
        for (int k = 0; k < 2; k++)
        {
            Run(study, manifest, "cntk_resnet18_noroi_kd", "teacher", k, rawTeacher[k]);
            Run(study, manifest, "cntk_resnet18_noroi_kd", "student", k, noroi[k]);
        }
        // The quick design on clean data only (unit keys without a condition), its primary backbone alone, 2 runs and 3 in the primary arm.
        new StudyStamp("quick", StudyStamp.CurrentCodeVersion, "0/1", ["cntk_resnet18"], 2,
            ["cntk_resnet18_do_baseline", "cntk_resnet18_do_kd", "cntk_resnet18_noroi_kd"], [StudyCondition.Clean], PrimaryRuns: 3).Write(study);

        var e = StudyReport.Evaluate(study);
        Assert.Equal([3, 3, 3, 2, 2], e.Cells.Select(c => c.RunFolders.Count));
        Assert.Equal(3, e.Preset.RunsOf(e.Cells[0].Unit));
        Assert.Equal(2, e.Preset.RunsOf(e.Cells[^1].Unit));
        Assert.Equal("2–3", StudyEvaluation.RunCount(e.Cells));
        Assert.Contains("mean ± std over 2–3 run(s) per cell", e.Headline());

        var claims = StudyClaims.Evaluate(e, [], resamples: 200);
        // The primary row uses all three pairs: (0.8 − 0.5 + 0.7 − 0.5 + 0.2 − 0.5) / 3.
        var accuracy = claims.Single(c => c.Claim == "accuracy" && c.Metric.StartsWith("accuracy:", StringComparison.Ordinal));
        Assert.Equal(3, accuracy.Difference.Pairs);
        Assert.Equal(0.2 / 3, accuracy.Difference.Estimate, 9);
        // The noroi row pairs the student's runs 0 and 1 with the control's runs 0 and 1: (0.8 − 0.5 + 0.7 − 0.6) / 2.
        var control = claims.Single(c => c.Claim == "annotation" && c.Metric.StartsWith("accuracy:", StringComparison.Ordinal));
        Assert.Equal(2, control.Difference.Pairs);
        Assert.Equal(0.2, control.Difference.Estimate, 9);

        // The teachers' table pairs by run folder name: the raw teacher's run k with the baseline's run k.
        var teachers = StudyTeachers.Evaluate(e).Where(r => r.Variant == "noroi").ToList();
        Assert.Equal([0, 1], teachers.Select(r => r.Run));
        Assert.Equal([0.5, 0.5], teachers.Select(r => r.BaselineAccuracy!.Value));
        Assert.Equal([0.5, 0.6], teachers.Select(r => r.StudentAccuracy!.Value));
    }
}
