using System.Globalization;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>The teacher's ROI-budget subset against NumPy's legacy RandomState (Fixtures/Training/make_roi_sample.py).</summary>
public class RoiSampleTests
{
    static string Fixture(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "PneuKnow.Tests", "Fixtures", "Training", name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
    }

    // One case per line: n, frac, seed, round(frac·n), NumPy's choice(n, size, replace=False) in draw order.
    static IEnumerable<(int N, double Fraction, uint Seed, int Size, int[] Drawn)> Cases() =>
        File.ReadAllLines(Fixture("roi_sample.csv")).Where(l => l.Length > 0).Select(l =>
        {
            var f = l.Split(',');
            return (int.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture),
                uint.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
                f[4].Split(' ').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray());
        });

    [Fact]
    public void Mersenne_twister_seeded_like_numpy_gives_the_reference_outputs()
    {
        // Matsumoto and Nishimura's published check: init_genrand(5489) gives 3499211612 first and 4123659995 as the 10000th output.
        var mt = new NumPyRandomState(5489);
        Assert.Equal(3499211612u, mt.NextUInt32());
        for (int i = 1; i < 9999; i++) mt.NextUInt32();
        Assert.Equal(4123659995u, mt.NextUInt32());
    }

    [Fact]
    public void Choice_without_replacement_equals_numpy_legacy_draw_order()
    {
        var cases = Cases().ToList();
        Assert.True(cases.Count >= 10, $"expected the fixture's cases, found {cases.Count}");
        foreach (var c in cases)
        {
            Assert.Equal(c.Size, c.Drawn.Length);
            Assert.Equal(c.Drawn, new NumPyRandomState(c.Seed).ChooseWithoutReplacement(c.N, c.Size));
        }
    }

    [Fact]
    public void Experiment_sample_is_the_authors_pandas_subset_in_ascending_order()
    {
        foreach (var c in Cases().Where(c => c.Seed <= int.MaxValue))
        {
            var sample = Experiment.Sample(c.N, c.Fraction, (int)c.Seed);
            // pandas sizes the sample as round(frac · n) with Python's round; 0.3 · 865 = 259.5 rounds to the even 260.
            Assert.Equal(c.Size, sample.Length);
            Assert.Equal(c.Drawn.Order(), sample);
        }
        Assert.Equal(260, Experiment.Sample(865, 0.3, 42).Length);
        Assert.Equal(Enumerable.Range(0, 10), Experiment.Sample(10, 1.0, 1));
    }
}
