using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Runtime;

namespace PneuKnow.Tests.Data;

public class SplitTests
{
    // 600 images of 3 classes (300/200/100); patients with 1 to 4 images.
    private static List<(string PatientId, int Label)> Items()
    {
        var rng = new SplitMix64(42);
        var items = new List<(string, int)>();
        int p = 0;
        foreach (var (label, count) in new[] { (0, 300), (1, 200), (2, 100) })
            for (int left = count; left > 0; p++)
            {
                int k = Math.Min(left, rng.Next(1, 5));
                for (int i = 0; i < k; i++) items.Add(($"pat{p}", label));
                left -= k;
            }
        return items;
    }

    [Fact]
    public void No_patient_in_two_splits_stratified_within_half_a_patient_and_seeded()
    {
        var items = Items();
        var f = SplitFractions.Default;
        var map = PatientSplits.Assign(items, f, 7);
        Assert.Equal(items.Select(i => i.PatientId).Distinct().Count(), map.Count);
        foreach (var label in new[] { 0, 1, 2 })
        {
            var ofClass = items.Where(i => i.Label == label).ToList();
            foreach (var split in SplitNames.All)
            {
                double target = ofClass.Count * f.Of(split);
                int got = ofClass.Count(i => map[i.PatientId] == split);
                // Each boundary can be off by half of the largest patient (4 images): test ±2, valid ±4, train ±2.
                Assert.InRange(got, target - 4, target + 4);
            }
        }
        Assert.Equal(map, PatientSplits.Assign(items, f, 7));
        Assert.NotEqual(map, PatientSplits.Assign(items, f, 8));
        // Images of one patient stay together by construction; the leakage check agrees.
        Assert.Empty(PatientSplits.FindLeaks(items.Select(i => (i.PatientId, map[i.PatientId], i.PatientId + ".png"))));
    }

    [Fact]
    public void Authors_fractions_make_no_test_split()
    {
        var map = PatientSplits.Assign(Items(), SplitFractions.Authors, 1);
        Assert.DoesNotContain(SplitNames.Test, map.Values);
        Assert.Equal(new SplitFractions(0.8, 0.2, 0), SplitFractions.Parse("0.8,0.2"));
        var e = Assert.Throws<ArgumentException>(() => SplitFractions.Parse("0.8,0.3"));
        Assert.Contains("found 0.8/0.3/0", e.Message);
    }

    [Fact]
    public void Leakage_check_names_offending_patients_of_a_split()
    {
        var items = new[] { ("p1", "train", "a.png"), ("p1", "test", "b.png"), ("p2", "valid", "c.png"), ("p2", "train", "d.png"), ("p3", "test", "e.png") };
        var leaks = PatientSplits.FindLeaks(items, "test");
        Assert.Single(leaks);
        Assert.Equal("patient 'p1' is in test and train (a.png, b.png)", PatientSplits.Describe(leaks));
        Assert.Equal(["p1", "p2"], PatientSplits.FindLeaks(items).Select(l => l.PatientId));
    }

    [Fact]
    public void Existing_splits_are_kept_and_a_test_split_can_be_carved_from_train()
    {
        using var t = new TempDir();
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 60, Size = 32, Seed = 3, Splits = SplitFractions.Authors }, t.Path);
        var m = Manifest.Load(ds.ManifestPath);
        Assert.Equal(ds.Cases.Select(c => c.Split), m.Records.Select(r => r.Split));
        var carved = m.CarveTest(0.25, 9);
        Assert.Equal(m.InSplit("valid").Select(r => r.FileName), carved.InSplit("valid").Select(r => r.FileName));
        int train = m.InSplit("train").Count, test = carved.InSplit("test").Count;
        Assert.InRange(test, 0.25 * train - 6, 0.25 * train + 6);
        Assert.Equal(train, test + carved.InSplit("train").Count);
        Assert.Empty(PatientSplits.FindLeaks(carved.Records.Select(r => (r.PatientId, r.Split, r.FileName))));
        carved.Save(t["carved.csv"]);
        Assert.Equal(carved.Records.Select(r => (r.FileName, r.Split)), Manifest.Load(t["carved.csv"]).Records.Select(r => (r.FileName, r.Split)));
    }
    /// <summary>Carving into a manifest that has a test split is bad input (exit 1, a message with the remedy), not a bug (exit 3).</summary>
    [Fact]
    public void Carving_a_test_split_from_a_manifest_that_has_one_is_a_data_error_naming_the_remedy()
    {
        using var t = new TempDir();
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 40, Size = 32, Seed = 3 }, t.Path);
        int tests = Manifest.Load(ds.ManifestPath).InSplit("test").Count;
        Assert.True(tests > 0);
        var r = PneuKnow.Tests.Cli.PneuknowCli.Run("data", "split", "--manifest", ds.ManifestPath, "--out", t["split.csv"], "--carve-test", "0.15");
        Assert.Equal(1, r.Exit);
        Assert.Contains($"{ds.ManifestPath}, column 'split': expected no test split to carve a test split from, found {tests} test images", r.Error);
        Assert.Contains("--fractions", r.Error);
        Assert.DoesNotContain("internal error", r.Error);
        Assert.False(File.Exists(t["split.csv"]));
        // The remedy it names works on the same manifest.
        var ok = PneuKnow.Tests.Cli.PneuknowCli.Run("data", "split", "--manifest", ds.ManifestPath, "--out", t["split.csv"], "--fractions", "0.6,0.2,0.2");
        Assert.Equal(0, ok.Exit);
        Assert.True(File.Exists(t["split.csv"]));
    }
}
