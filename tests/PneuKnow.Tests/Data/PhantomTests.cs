using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Data;

public class PhantomTests
{
    private static readonly PhantomOptions Small = new() { Images = 14, Size = 64, Seed = 11, ClassShares = new Dictionary<string, double> { ["B"] = 1, ["C"] = 1, ["NB"] = 1, ["P"] = 1, ["V"] = 1 } };

    [Fact]
    public void SplitMix64_matches_the_published_reference_stream()
    {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var r = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, r.NextUInt64());
    }

    [Fact]
    public void Same_seed_gives_byte_identical_folders_whatever_the_thread_count()
    {
        using var t = new TempDir();
        PhantomGenerator.Generate(Small with { Threads = 1 }, t["a"]);
        PhantomGenerator.Generate(Small with { Threads = 3 }, t["b"]);
        var files = Directory.GetFiles(t["a"], "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(t["a"], f)).OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.Equal(4 * 14 + 2, files.Count); // raw/, roi/, masks/ and devices/ per image; manifest and phantom.json
        Assert.Equal(files, Directory.GetFiles(t["b"], "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(t["b"], f)).OrderBy(f => f, StringComparer.Ordinal));
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(t["a"], f)).SequenceEqual(File.ReadAllBytes(Path.Combine(t["b"], f))), $"{f} differs");

        PhantomGenerator.Generate(Small with { Seed = 12 }, t["c"]);
        Assert.False(File.ReadAllBytes(Path.Combine(t["a"], "raw", "img0001.png")).SequenceEqual(File.ReadAllBytes(Path.Combine(t["c"], "raw", "img0001.png"))));
    }

    [Fact]
    public void Writes_the_authors_csv_format_with_patient_ids_and_consistent_planes()
    {
        using var t = new TempDir();
        var ds = PhantomGenerator.Generate(Small, t.Path);
        var lines = File.ReadAllLines(ds.ManifestPath);
        Assert.Equal("file_name,class,split,patient_id", lines[0]);
        Assert.Equal(15, lines.Length);
        foreach (var c in ds.Cases)
        {
            var raw = Load(t[$"raw/{c.FileName}"]); var roi = Load(t[$"roi/{c.FileName}"]); var mask = Load(t[$"masks/{c.FileName}"]);
            Assert.All(mask, v => Assert.True(v is 0 or 255));
            for (int i = 0; i < raw.Length; i++) Assert.Equal(mask[i] == 255 ? raw[i] : 0, roi[i]);
            int inside = mask.Count(v => v == 255);
            if (c.Label == PhantomFindings.Healthy) Assert.Equal(0, inside);
            else Assert.True(inside > 10, $"{c.FileName} ({c.Label}) has an almost empty annotation: {inside} pixels");
        }
    }

    [Fact]
    public void Healthy_roi_lungs_annotates_both_lung_fields()
    {
        var options = Small with { HealthyRoi = HealthyRoi.Lungs, Images = 5, ClassShares = new Dictionary<string, double> { ["NB"] = 1 } };
        var c = PhantomGenerator.Plan(options)[0];
        var img = PhantomGenerator.Render(options, c);
        int inside = img.Mask.Count(v => v == 255);
        // Two lung fields cover roughly a quarter to a half of a chest radiograph.
        Assert.InRange(inside / (double)img.Mask.Length, 0.15, 0.5);
        int left = 0, right = 0;
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) if (img.Mask[y * 64 + x] == 255) { if (x < 32) left++; else right++; }
        Assert.True(left > 0.3 * inside && right > 0.3 * inside, $"lungs unbalanced: {left} / {right}");
    }

    [Fact]
    public void Default_plan_has_the_studys_class_balance_and_patients_with_several_images()
    {
        var cases = PhantomGenerator.Plan(new PhantomOptions());
        Assert.Equal(1082, cases.Count);
        var counts = cases.GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["B"] = 95, ["C"] = 115, ["NB"] = 653, ["P"] = 145, ["V"] = 74 }, counts);
        var perPatient = cases.GroupBy(c => c.PatientId).Select(g => g.Count()).ToList();
        Assert.Contains(perPatient, n => n >= 2);
        Assert.All(cases.GroupBy(c => c.PatientId), g => Assert.Single(g.Select(c => c.Label).Distinct()));
        Assert.Empty(PatientSplits.FindLeaks(cases.Select(c => (c.PatientId, c.Split, c.FileName))));
        Assert.DoesNotContain(PhantomGenerator.Plan(new PhantomOptions { Splits = SplitFractions.Authors }), c => c.Split == SplitNames.Test);
    }

    [Fact]
    public void Findings_change_only_pixels_inside_the_lungs_and_the_confounder_stays_outside_the_annotation()
    {
        // Same case drawn with and without its finding: every changed pixel must lie in the lungs' neighbourhood,
        // i.e. the annotation mask of a disease case covers where the image differs most.
        var options = Small with { AtypicalShare = 0, ShortcutStrength = 0, Images = 10, ClassShares = new Dictionary<string, double> { ["B"] = 1 } };
        var c = PhantomGenerator.Plan(options)[0];
        var withFinding = PhantomGenerator.Render(options with { Conspicuity = 1 }, c);
        var without = PhantomGenerator.Render(options with { Conspicuity = 0 }, c);
        double insideDiff = 0, outsideDiff = 0; int nIn = 0, nOut = 0;
        for (int i = 0; i < withFinding.Raw.Length; i++)
        {
            double d = Math.Abs(withFinding.Raw[i] - without.Raw[i]);
            if (withFinding.Mask[i] == 255) { insideDiff += d; nIn++; } else { outsideDiff += d; nOut++; }
        }
        Assert.True(nIn > 0);
        Assert.True(insideDiff / nIn > 8 * (outsideDiff / nOut + 0.1), $"mean change inside {insideDiff / nIn:F2}, outside {outsideDiff / nOut:F2}");
    }

    [Fact]
    public void Shortcut_strength_correlates_the_device_with_class_in_train_but_not_in_test()
    {
        var options = new PhantomOptions { Images = 400, Size = 32, Seed = 5, ShortcutStrength = 1, ClassShares = new Dictionary<string, double> { ["C"] = 1, ["NB"] = 1 } };
        var cases = PhantomGenerator.Plan(options);
        double Rate(string label, Func<string, bool> split) =>
            cases.Where(c => c.Label == label && split(c.Split)).Select(c => PhantomGenerator.HasDevice(options, c) ? 1.0 : 0.0).Average();
        // Rendering agrees with the cheap query, and the device changes no pixel of the annotation.
        var covid = cases.First(c => c.Label == "C" && c.Split != SplitNames.Test && !PhantomGenerator.HasDevice(options, c with { Split = SplitNames.Test }));
        var on = PhantomGenerator.Render(options, covid);
        var off = PhantomGenerator.Render(options, covid with { Split = SplitNames.Test });
        Assert.True(on.Device && !off.Device);
        Assert.Equal(on.Mask, off.Mask);
        int changed = 0;
        for (int i = 0; i < on.Raw.Length; i++)
            if (on.Raw[i] != off.Raw[i]) { changed++; Assert.Equal(0, on.Mask[i]); }
        Assert.True(changed > 10, $"the device changed only {changed} pixels");
        Assert.Equal(1.0, Rate("C", s => s != SplitNames.Test));
        Assert.Equal(0.0, Rate("NB", s => s != SplitNames.Test));
        Assert.InRange(Rate("C", s => s == SplitNames.Test), 0.2, 0.8);
        Assert.InRange(Rate("NB", s => s == SplitNames.Test), 0.2, 0.8);
    }

    [Fact]
    public void Options_out_of_range_name_the_option_and_the_value()
    {
        var e = Assert.Throws<ArgumentException>(() => PhantomGenerator.Plan(new PhantomOptions { AtypicalShare = 1.5 }));
        Assert.Equal("PhantomOptions.AtypicalShare: expected 0..1, found 1.5.", e.Message);
        e = Assert.Throws<ArgumentException>(() => PhantomGenerator.Plan(new PhantomOptions { ClassShares = new Dictionary<string, double> { ["X"] = 1 } }));
        Assert.Equal("PhantomOptions.ClassShares: expected labels among B, C, NB, P, V, found 'X'.", e.Message);
    }

    private static byte[] Load(string path)
    {
        using var img = Image.Load<L8>(path);
        var px = new byte[img.Width * img.Height];
        img.CopyPixelDataTo(px);
        return px;
    }
}
