using PneuKnow.Distillation;
using PneuKnow.Study;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// The study's time breakdown on a clock the test moves by hand: the parts, the unaccounted remainder, the epochs of a
/// resumed run that another process trained, reused runs, and the seconds per pair.
/// </summary>
public sealed class StudyTimesTests
{
    static EpochTiming Epoch(int e, double train, double valid, double bn = 0) => new(e, train, valid, 100, 1, bn);

    static TrainingResult Run(bool reused, double finalPass, params EpochTiming[] timings) =>
        new("/runs/x", 0, 1, 0.5, null, null, [], timings, reused) { FinalPassSeconds = finalPass };

    [Fact]
    public void The_parts_and_the_unaccounted_remainder_add_up_to_the_total()
    {
        var now = TimeSpan.Zero;
        var times = new StudyTimes(() => now);
        using (times.Measure(StudyPhase.Setup)) now += TimeSpan.FromSeconds(2);
        using (times.Measure(StudyPhase.Data)) now += TimeSpan.FromSeconds(10);
        times.Add(StudyPhase.Data, 5);   // an experiment's decoding

        // A baseline trained here for 2 epochs; a teacher resumed at its third epoch (its first two were trained by an earlier
        // process: only the last counts); a student trained here; a reused baseline adds nothing.
        times.EpochTrained("u", Role.Baseline, 0);
        times.EpochTrained("u", Role.Baseline, 0);
        times.RunFinished("u", Role.Baseline, 0, Run(false, 3, Epoch(0, 20, 4, 1), Epoch(1, 22, 4, 1)));
        times.EpochTrained("kd", Role.Teacher, 0);
        times.RunFinished("kd", Role.Teacher, 0, Run(false, 2, Epoch(0, 99, 9), Epoch(1, 99, 9), Epoch(2, 30, 5)));
        times.EpochTrained("kd", Role.Student, 0);
        times.RunFinished("kd", Role.Student, 0, Run(false, 3, Epoch(0, 40, 6, 2)));
        times.RunFinished("u", Role.Baseline, 1, Run(true, 0, Epoch(0, 50, 5)));
        using (times.Measure(StudyPhase.DecisionRegions)) now += TimeSpan.FromSeconds(7);
        using (times.Measure(StudyPhase.Tables)) now += TimeSpan.FromSeconds(1.5);
        using (times.Measure(StudyPhase.Figures)) now += TimeSpan.FromSeconds(2.5);
        now = TimeSpan.FromSeconds(200);

        Assert.Equal(2, times.Seconds(StudyPhase.Setup));
        Assert.Equal(15, times.Seconds(StudyPhase.Data));
        Assert.Equal(20 + 1 + 22 + 1 + 30 + 40 + 2, times.Seconds(StudyPhase.Training));
        Assert.Equal(4 + 4 + 5 + 6, times.Seconds(StudyPhase.Validation));
        Assert.Equal(3 + 2 + 3, times.Seconds(StudyPhase.Test));
        Assert.Equal(7, times.Seconds(StudyPhase.DecisionRegions));
        Assert.Equal(0, times.Seconds(StudyPhase.Notebooks));
        double parts = 2 + 15 + 116 + 19 + 8 + 7 + 1.5 + 2.5;
        Assert.Equal(parts, times.AccountedSeconds, 9);
        Assert.Equal(200 - parts, times.UnaccountedSeconds, 9);
        Assert.Equal((1, 1, 1), (times.RunsTrained(Role.Baseline), times.RunsTrained(Role.Teacher), times.RunsTrained(Role.Student)));
        Assert.Equal(1, times.Pairs);
        Assert.Equal(200.0, times.SecondsPerPair);

        // Printed: every part that took time, the remainder named as such, and the pair figure; the printed seconds add up.
        var lines = times.Lines();
        Assert.Equal("time:    200.0 s (3.3 min) in this process, by part:", lines[0]);
        var rows = lines.Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, rows.Count);   // 8 parts with time, the remainder
        Assert.StartsWith("  unaccounted (model builds, checkpoints, logs, reused runs)", rows[^1]);
        Assert.DoesNotContain(rows, r => r.Contains("notebooks"));
        double printed = rows.Sum(r => double.Parse(System.Text.RegularExpressions.Regex.Match(r, @" (\d+\.\d) s ").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(200, printed, 6);
        Assert.StartsWith("pairs:   1 trained here (1 baseline, 1 teacher, 1 student runs); 200.0 s per pair", lines[^1]);
    }

    [Fact]
    public void A_process_that_trains_no_pair_says_so_and_blocks_do_not_nest()
    {
        var now = TimeSpan.Zero;
        var times = new StudyTimes(() => now);
        times.RunFinished("u", Role.Student, 0, Run(true, 0, Epoch(0, 10, 1)));
        Assert.Null(times.SecondsPerPair);
        Assert.StartsWith("pairs:   none trained here (0 baseline, 0 teacher, 0 student runs)", times.Lines()[^1]);

        using (times.Measure(StudyPhase.Tables))
        {
            var e = Assert.Throws<InvalidOperationException>(() => times.Measure(StudyPhase.Figures));
            Assert.Equal("study times: figures measured inside tables; parts must not overlap.", e.Message);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => times.Add(StudyPhase.Data, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => times.Add(StudyPhase.Data, double.NaN));
    }
}
