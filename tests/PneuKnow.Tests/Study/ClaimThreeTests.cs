using PneuKnow.Data;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Explain;
using PneuKnow.Tests.Explain;
using TorchSharp;
using PneuKnow.Study;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Study;

/// <summary>Claim 3 (decision regions): behavioural shortcut reliance, outcome-independent CAM scores and the positive controls.</summary>
public sealed class ClaimThreeTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("pneuknow-claim3-");

    public void Dispose() => _root.Delete(true);

    [Fact]
    public void Reliance_is_the_share_predicted_confounded_with_a_device_minus_without()
    {
        bool[] predicted = [true, true, false, false, true, false];
        bool[] device = [true, true, true, false, false, false];
        // With a device: 2 of 3 predicted COVID-19/fungal; without: 1 of 3.
        Assert.Equal(2.0 / 3 - 1.0 / 3, ShortcutReliance.Of(predicted, device), 12);
        // A bootstrap draw with repeats counts each drawn image: with {0, 0} → 1, without {3} → 0.
        Assert.Equal(1.0, ShortcutReliance.Of(predicted, device, [0, 0, 3]), 12);
        // A draw without images of one group leaves reliance undefined.
        Assert.True(double.IsNaN(ShortcutReliance.Of(predicted, device, [0, 1])));
        Assert.Throws<ArgumentException>(() => ShortcutReliance.Of(predicted, [true]));
    }

    [Fact]
    public void Paired_reliance_is_the_mean_over_pairs_of_baseline_minus_student()
    {
        bool[] device = [true, true, false, false];
        // Pair 0: baseline 1 − 0 = 1, student 0.5 − 0 = 0.5; pair 1: baseline 0.5 − 0.5 = 0, student 0 − 0.5 = −0.5.
        var baseline = new List<bool[]> { new[] { true, true, false, false }, new[] { true, false, true, false } };
        var student = new List<bool[]> { new[] { true, false, false, false }, new[] { false, false, true, false } };
        // Patients 0 and 1 each have one image with and one without a device, so every patient draw defines reliance.
        var d = ShortcutReliance.Paired(device, [0, 1, 0, 1], baseline, student, resamples: 200, seed: 1);
        Assert.Equal(0.5, d.Estimate, 12);
        Assert.Equal(2, d.Pairs);
        Assert.Equal(4, d.Images);
        Assert.Equal(2, d.Clusters);
    }

    [Fact]
    public void Per_model_rows_count_images_and_shares()
    {
        var model = new ShortcutRelianceModel("shortcut", "resnet18", "baseline", Role.Baseline, true, ["a", "b", "c", "d", "e"],
            [true, true, false, false, false], [new[] { true, false, true, false, false }]);
        var r = Assert.Single(StudyShortcutReliance.Rows([model]));
        Assert.Equal((2, 3), (r.WithDevice, r.WithoutDevice));
        Assert.Equal(0.5, r.ShareWith, 12);
        Assert.Equal(1.0 / 3, r.ShareWithout, 12);
        Assert.Equal(0.5 - 1.0 / 3, r.Reliance, 12);
        var path = Path.Combine(_root.FullName, StudyShortcutReliance.FileName);
        StudyShortcutReliance.Write([r], path);
        Assert.Equal("condition,backbone,model,run,n_with_device,n_without,share_with,share_without,reliance", File.ReadLines(path).First());
    }

    [Fact]
    public void An_image_has_a_device_when_its_mask_has_any_non_zero_pixel()
    {
        var devices = Directory.CreateDirectory(Path.Combine(_root.FullName, "devices"));
        using (var empty = new Image<L8>(8, 8)) empty.SaveAsPng(Path.Combine(devices.FullName, "empty.png"));
        using (var one = new Image<L8>(8, 8)) { one[7, 7] = new L8(1); one.SaveAsPng(Path.Combine(devices.FullName, "one.png")); }
        Assert.False(StudyShortcutReliance.HasDevice(_root.FullName, "empty.png"));
        Assert.True(StudyShortcutReliance.HasDevice(_root.FullName, "one.png"));
        Assert.False(StudyShortcutReliance.HasDevice(_root.FullName, "missing.png"));
    }

    [Fact]
    public void An_all_zero_map_scores_zero_and_is_counted_and_only_an_absent_region_is_undefined()
    {
        byte[] mask = [1, 1, 0, 0];
        byte[] none = [0, 0, 0, 0];
        float[] zero = [0, 0, 0, 0];
        float[] cam = [3, 1, 0, 4];
        Assert.Equal(0.0, DecisionRegions.EnergyOrZero(zero, mask));
        Assert.Equal(0.0, DecisionRegions.PointingGameOrZero(zero, mask));
        Assert.Equal(0.5, DecisionRegions.EnergyOrZero(cam, mask), 12);
        Assert.True(double.IsNaN(DecisionRegions.EnergyOrZero(cam, none)));

        var allZero = new CamMap(0, 2, 0.4, 2, 2, zero);
        var truth = new CamMap(0, 1, 0.3, 2, 2, cam);
        var row = StudyDecisionRegions.Row("shortcut", "resnet18", "baseline", Role.Baseline, 0, "x.png", 1, allZero, truth, mask, [0, 0, 1, 1]);
        Assert.Equal(2, row.Predicted);
        Assert.Equal((0.0, 0.0, 0.0, true), (row.EnergyInMask, row.PointingGame, row.EnergyOnConfounder, row.CamAllZero));
        Assert.Equal((0.5, 0.5, false), (row.EnergyInMaskTrueClass, row.EnergyOnConfounderTrueClass, row.CamAllZeroTrueClass));
        var healthy = StudyDecisionRegions.Row("shortcut", "resnet18", "baseline", Role.Baseline, 0, "y.png", 2, truth, truth, none, null);
        Assert.True(double.IsNaN(healthy.EnergyInMask) && double.IsNaN(healthy.EnergyOnConfounder));

        var path = Path.Combine(_root.FullName, StudyDecisionRegions.ZeroMapsFileName);
        StudyDecisionRegions.WriteZeroMaps([row, healthy], path);
        Assert.Equal(["condition,backbone,model,run,images,all_zero_predicted,all_zero_true_class", "shortcut,resnet18,baseline,0,2,1,0"],
            File.ReadAllLines(path));
    }

    [Fact]
    public void Scores_keep_6_significant_digits_and_a_row_made_equals_the_row_read_back_from_either_file_form()
    {
        // Energy in the mask 1/3, on the confounder 2/3: stored (and held) as 0.333333 and 0.666667.
        byte[] mask = [1, 0, 0, 0];
        float[] cam = [1, 2, 0, 0];
        var map = new CamMap(0, 1, 0.3, 2, 2, cam);
        var row = StudyDecisionRegions.Row("shortcut", "resnet18", "baseline", Role.Baseline, 0, "x.png", 1, map, map, mask, [0, 1, 0, 0]);
        Assert.Equal((0.333333, 0.0, 0.666667), (row.EnergyInMask, row.PointingGame, row.EnergyOnConfounder));
        var healthy = StudyDecisionRegions.Row("shortcut", "resnet18", "baseline", Role.Baseline, 0, "y.png", 2, map, map, [0, 0, 0, 0], null);
        var path = Path.Combine(_root.FullName, StudyDecisionRegions.RunScoresFileName);
        StudyDecisionRegions.Write([row, healthy], path);
        Assert.Equal("shortcut,resnet18,baseline,0,x.png,1,1,0.333333,0,0.666667,0,0.333333,0.666667,0", File.ReadAllLines(path)[1]);
        Assert.Equal("shortcut,resnet18,baseline,0,y.png,2,1,,,,0,,,0", File.ReadAllLines(path)[2]);   // NaN stays an empty field
        Assert.Equal([row, healthy], StudyDecisionRegions.ReadRows(path));

        // Occlusion rows: each value written to 6 significant digits, faithfulness too; small and negative values as well.
        // Read back, the rows hold those values exactly.
        var occlusion = new OcclusionRow("clean", "cntk_resnet18", "baseline", Role.Baseline, 0, "img0011.png", 0.8374685049057007, 0.7900228761136532, -0.08014059066772461);
        var tiny = new OcclusionRow("clean", "cntk_resnet18", "baseline", Role.Baseline, 0, "img0012.png", 0.99999999, 1.234567891e-7, -0.0);
        var occlusionPath = Path.Combine(_root.FullName, StudyDecisionRegions.RunOcclusionFileName);
        StudyDecisionRegions.WriteOcclusion([occlusion, tiny], occlusionPath);
        Assert.Equal(["clean,cntk_resnet18,baseline,0,img0011.png,0.837469,0.790023,-0.0801406,0.870163",
            "clean,cntk_resnet18,baseline,0,img0012.png,1,1.23457E-07,-0,1.23457E-07"], File.ReadAllLines(occlusionPath)[1..]);
        var back = StudyDecisionRegions.ReadOcclusion(occlusionPath);
        Assert.Equal((0.837469, 0.790023, -0.0801406), (back[0].Probability, back[0].DropMask, back[0].DropMirror));
        Assert.Equal((1.0, 1.23457e-7), (back[1].Probability, back[1].DropMask));

        // A file written before the rounding (all 17 digits) reads as the values a run scored now holds.
        File.WriteAllText(occlusionPath, "condition,backbone,model,run,file_name,probability,drop_mask,drop_mirror,faithfulness\n" +
            "clean,cntk_resnet18,baseline,0,img0011.png,0.8374685049057007,0.7900228761136532,-0.08014059066772461,0.8701634667813778\n");
        var old = StudyDecisionRegions.ReadOcclusion(occlusionPath)[0];
        Assert.Equal((0.837469, 0.790023, -0.0801406), (old.Probability, old.DropMask, old.DropMirror));

        // The gzip-compressed copy reads the same rows.
        using (var gz = new System.IO.Compression.GZipStream(File.Create(path + ".gz"), System.IO.Compression.CompressionLevel.SmallestSize))
            gz.Write(File.ReadAllBytes(path));
        File.Delete(path);
        Assert.Equal([row, healthy], StudyDecisionRegions.ReadRows(path));
    }

    [Fact]
    public void Rows_read_from_a_file_carry_the_role_their_label_names_and_an_unknown_label_is_refused()
    {
        // Every label the study writes, in every arm, names its role back (the claims select rows by role, never by label).
        foreach (var variant in new[] { StudyVariant.Main, StudyVariant.NoRoi, StudyVariant.RoiBudget(0.3) })
            foreach (var role in Enum.GetValues<Role>())
            {
                Assert.True(StudyReport.TryRoleOfLabel(StudyReport.ModelLabel(role, variant), out var back), StudyReport.ModelLabel(role, variant));
                Assert.Equal(role, back);
            }
        var path = Path.Combine(_root.FullName, "labels.csv");
        const string header = "condition,backbone,model,run,file_name,label,predicted,energy_in_mask,pointing_game,energy_on_confounder,cam_all_zero,energy_in_mask_true_class,energy_on_confounder_true_class,cam_all_zero_true_class\n";
        File.WriteAllText(path, header + "clean,b,HKD student (roi30),0,x.png,1,1,0.5,1,,0,0.5,,0\nclean,b,ROI teacher,0,x.png,1,1,0.5,1,,0,0.5,,0\n");
        Assert.Equal([Role.Student, Role.Teacher], StudyDecisionRegions.ReadRows(path).Select(r => r.Role));
        File.WriteAllText(path, header + "clean,b,student,0,x.png,1,1,0.5,1,,0,0.5,,0\n");
        var e = Assert.Throws<DataException>(() => StudyDecisionRegions.ReadRows(path));
        Assert.Contains("found 'student'", e.Message);
        Assert.Contains("labels.csv", e.Message);
    }

    [Fact]
    public void The_first_images_of_the_split_are_scored_whatever_their_class()
    {
        var preset = StudyPreset.Quick with { DecisionRegionImages = 3 };
        Assert.Equal([0, 1, 2], StudyDecisionRegions.ImagesScored(10, preset));
        Assert.Equal([0, 1], StudyDecisionRegions.ImagesScored(2, preset));
    }

    [Fact]
    public void Occlusion_hides_the_region_with_the_image_mean_and_the_control_region_is_the_mirror()
    {
        byte[] mask = [1, 0, 0,
                       1, 1, 0];
        Assert.Equal([0, 0, 1, 0, 1, 1], Occlusion.Mirror(mask, 2, 3));
        var example = new AnnotatedImage(2, 3, [10, 20, 30, 40, 50, 60], [10, 0, 0, 40, 50, 0], mask, 1);
        var hidden = Occlusion.Occlude(example, mask);
        Assert.Equal([35, 20, 30, 35, 35, 60], hidden.Image);   // mean 35
        Assert.Equal([35, 0, 0, 35, 35, 0], hidden.Roi);
        Assert.Equal([10, 20, 30, 40, 50, 60], example.Image);  // the original is untouched
    }

    [Fact]
    public void Occlusion_probabilities_are_those_grad_cam_reports_for_the_true_class()
    {
        PneuKnow.Runtime.TorchRuntime.Initialize("cpu");   // loads libtorch the way the other Grad-CAM tests do
        torch.manual_seed(9);
        var net = new QuadrantNet();
        var data = new QuadrantImages(5, seed: 2);
        int[] all = [0, 1, 2, 3, 4];
        var cams = GradCam.OfImages(net, data, all, CamTarget.Label, batchSize: 2);
        var p = Occlusion.TrueClassProbabilities(net, all.Select(data.Get).ToArray(), batchSize: 3);
        for (int i = 0; i < all.Length; i++) Assert.Equal(cams[i].Probability, p[i], 6);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void The_occlusion_row_is_the_paired_faithfulness_difference_and_no_control_gates_it()
    {
        var occlusion = new List<OcclusionRow>();
        foreach (var condition in new[] { "clean", "shortcut" })
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < 10; i++)
                {
                    occlusion.Add(new OcclusionRow(condition, "resnet18", "HKD student", Role.Student, k, $"img{i:000}.png", 0.9, 0.3 + 0.01 * i, 0.1));
                    occlusion.Add(new OcclusionRow(condition, "resnet18", "baseline", Role.Baseline, k, $"img{i:000}.png", 0.9, 0.2 + 0.01 * i, 0.15));
                }
        // The oracle control fails, yet the occlusion row (no explanation method) keeps its verdict.
        var claims = StudyClaims.Evaluate(NoCells, Regions(teacherInMask: 0.2, shortcutDevice: 0.3, cleanDevice: 0.05), resamples: 300, occlusion: occlusion);
        var rows = claims.Where(c => c.Metric.StartsWith("occlusion", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        // Student (0.2 + 0.01 i) − baseline (0.05 + 0.01 i) = 0.15 on every image.
        Assert.All(rows, r => Assert.Equal(0.15, r.Difference.Estimate, 9));
        Assert.All(rows, r => Assert.Equal("supported", r.Verdict));
    }

    // Synthetic Grad-CAM rows: 3 pairs × 30 images per model; images 0..14 have a mask, even ones a device.
    static List<DecisionRegionRow> Regions(double teacherInMask, double shortcutDevice, double cleanDevice)
    {
        var rows = new List<DecisionRegionRow>();
        var rng = new Random(3);
        foreach (var condition in new[] { "clean", "shortcut" })
            foreach (var (model, role, inMask) in new[] { ("baseline", Role.Baseline, 0.3), ("HKD student", Role.Student, 0.35), ("ROI teacher", Role.Teacher, teacherInMask) })
                for (int k = 0; k < 3; k++)
                    for (int i = 0; i < 30; i++)
                    {
                        double mask = i < 15 ? inMask + 0.02 * rng.NextDouble() : double.NaN;
                        double device = i % 2 == 0 ? (model == "baseline" ? (condition == "shortcut" ? shortcutDevice : cleanDevice) : 0.01) + 0.01 * rng.NextDouble() : double.NaN;
                        rows.Add(new DecisionRegionRow(condition, "resnet18", model, role, k, $"img{i:000}.png", i % 5, i % 5, mask, i < 15 ? 1 : double.NaN, device, false, mask, device, false));
                    }
        return rows;
    }

    static ShortcutRelianceModel Reliance(Role role, double withDevice)
    {
        // 40 images, half with a device; the model predicts a confounded class on the first `withDevice` share of them.
        bool[] device = Enumerable.Range(0, 40).Select(i => i < 20).ToArray();
        var runs = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 40).Select(i => i < 20 ? i < withDevice * 20 : i < 24).ToArray()).ToList();
        return new ShortcutRelianceModel("shortcut", "resnet18", StudyReport.ModelLabel(role, StudyVariant.Main), role, true, Enumerable.Range(0, 40).Select(i => $"img{i:000}.png").ToList(), device, runs);
    }

    static StudyEvaluation NoCells => new("", StudyPreset.Quick, "test", []);

    [Fact]
    public void Attribution_rows_say_the_measure_failed_its_control_when_the_oracle_does_not_beat_the_baseline()
    {
        // The oracle's in-mask energy below the baseline's: the control fails; the device control holds.
        var regions = Regions(teacherInMask: 0.2, shortcutDevice: 0.3, cleanDevice: 0.05);
        var claims = StudyClaims.Evaluate(NoCells, regions, resamples: 300, reliance: [Reliance(Role.Baseline, 0.9), Reliance(Role.Student, 0.4)]);

        var controls = claims.Where(c => c.Claim == StudyClaims.ControlClaim).ToList();
        Assert.Equal(3, controls.Count);   // the oracle in both conditions, the device in the shortcut one
        Assert.All(controls.Where(c => c.Metric.Contains("ROI oracle")), c => Assert.Equal("contradicted", c.Verdict));
        Assert.Equal("supported", controls.Single(c => c.Metric.Contains("shortcut baseline − clean baseline")).Verdict);
        Assert.DoesNotContain("per-run means", controls.Single(c => c.Metric.Contains("clean baseline")).Metric);

        var attribution = claims.Where(c => c.Claim == "decision_regions" && c.Metric.Contains("Grad-CAM") || c.Metric.StartsWith("pointing", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, attribution.Count);   // mask energy and pointing game in both conditions, device energy in the shortcut one
        Assert.All(attribution, c => Assert.Equal(StudyClaims.FailedControl, c.Verdict));

        // The behavioural row is not an attribution measure: it keeps its verdict (0.9 − 0.2 vs 0.4 − 0.2 → +0.5).
        var reliance = claims.Single(c => c.Metric.StartsWith("shortcut reliance", StringComparison.Ordinal));
        Assert.Equal(0.5, reliance.Difference.Estimate, 12);
        Assert.Equal("supported", reliance.Verdict);

        // The CSV, the Markdown and the reader carry the failed control.
        var tables = Path.Combine(_root.FullName, "tables");
        StudyClaims.Write(claims, tables, StudyPreset.Quick);
        Assert.Contains($",{StudyClaims.FailedControl}", File.ReadAllText(Path.Combine(tables, "claims.csv")));
        Assert.Contains("A control failed in resnet18 · clean, resnet18 · shortcut", File.ReadAllText(Path.Combine(tables, "claims.md")));
        var read = StudyClaims.Read(Path.Combine(tables, "claims.csv"));
        Assert.Equal(claims.Select(c => c.Verdict), read.Select(c => c.Verdict));
        Assert.Contains("5 without a verdict", StudyClaims.Summary(claims, StudyPreset.Quick));
    }

    [Fact]
    public void A_failed_device_control_gates_the_shortcut_rows_and_passing_controls_leave_verdicts()
    {
        // Oracle far above the baseline in both conditions; the shortcut baseline no more on the device than the clean one.
        var claims = StudyClaims.Evaluate(NoCells, Regions(teacherInMask: 0.8, shortcutDevice: 0.05, cleanDevice: 0.05), resamples: 300);
        Assert.All(claims.Where(c => c.Condition == "clean" && c.Claim == "decision_regions"), c => Assert.NotEqual(StudyClaims.FailedControl, c.Verdict));
        Assert.All(claims.Where(c => c.Condition == "shortcut" && c.Claim == "decision_regions"), c => Assert.Equal(StudyClaims.FailedControl, c.Verdict));
        // The student's in-mask energy (0.35) beats the baseline's (0.3) where the controls hold.
        Assert.Equal("supported", claims.Single(c => c.Condition == "clean" && c.Metric.StartsWith("Grad-CAM (predicted class) energy inside", StringComparison.Ordinal)).Verdict);
        // Without device flags there is no behavioural row.
        Assert.DoesNotContain(claims, c => c.Metric.StartsWith("shortcut reliance", StringComparison.Ordinal));
    }
}
