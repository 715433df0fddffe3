using System.Globalization;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

public class LearningRateScheduleTests
{
    // Found by walking up from the test binaries to the source tree, so the csproj needs no copy rule.
    static string Fixture(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "PneuKnow.Tests", "Fixtures", "Training", name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Paper_schedule_reproduces_torch_cosine_annealing_stepped_per_batch_exactly()
    {
        // cosine_annealing_lr.csv: torch 1.13's CosineAnnealingLR, one scheduler step per optimizer step (make_lr_schedule.py).
        var rows = File.ReadAllLines(Fixture("cosine_annealing_lr.csv")).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .GroupBy(r => (r[0], r[1], r[2]));
        int compared = 0;
        foreach (var g in rows)
        {
            var (tMax, eta, baseRate) = g.Key;
            var s = new LearningRateSchedule(LearningRateScheduleKind.Paper, baseRate, (int)tMax + 1, eta);
            Assert.Equal((int)tMax, s.TMax);
            foreach (var r in g.OrderBy(r => r[3]))
            {
                while (s.Steps < (long)r[3]) s.AfterBatch();
                Assert.Equal(r[4], s.Rate);   // bit-exact: same double arithmetic as Python
                compared++;
            }
        }
        Assert.Equal(413, compared);
    }

    [Fact]
    public void Paper_schedule_matches_hand_computed_values_and_oscillates_past_t_max()
    {
        var s = new LearningRateSchedule(LearningRateScheduleKind.Paper, 1e-4, epochs: 4);   // T_max = 3
        var seen = new List<double> { s.Rate };
        for (int i = 0; i < 6; i++) { s.AfterBatch(); seen.Add(s.Rate); }
        // (1 + cos(pi t / 3)) / 2 · 1e-4 for t = 0..6: 1, .75, .25, 0, .25, .75, 1
        double[] expected = [1e-4, 0.75e-4, 0.25e-4, 0, 0.25e-4, 0.75e-4, 1e-4];
        for (int t = 0; t < expected.Length; t++) Assert.Equal(expected[t], seen[t], 12);
        s.AfterEpoch();
        Assert.Equal(6, s.Steps);   // the paper schedule ignores epoch ends
    }

    [Fact]
    public void Cosine_schedule_steps_per_epoch_and_constant_never_moves()
    {
        var c = new LearningRateSchedule(LearningRateScheduleKind.Cosine, 2e-4, epochs: 4);
        c.AfterBatch();
        Assert.Equal(2e-4, c.Rate);
        c.AfterEpoch();
        Assert.Equal(LearningRateSchedule.ClosedForm(2e-4, 0, 4, 1), c.Rate, 15);
        c.AfterEpoch();
        Assert.Equal(1e-4, c.Rate, 15);
        var k = new LearningRateSchedule(LearningRateScheduleKind.Constant, 3e-4, epochs: 1);
        for (int i = 0; i < 5; i++) { k.AfterBatch(); k.AfterEpoch(); }
        Assert.Equal(3e-4, k.Rate);
    }

    [Fact]
    public void Paper_schedule_needs_two_epochs_and_says_why()
    {
        var e = Assert.Throws<ArgumentException>(() => new LearningRateSchedule(LearningRateScheduleKind.Paper, 1e-4, epochs: 1));
        Assert.Contains("T_max = epochs − 1", e.Message);
        Assert.Contains("learning_rate", Assert.Throws<ArgumentException>(() => new LearningRateSchedule(LearningRateScheduleKind.Cosine, -1, 3)).Message);
    }
}
