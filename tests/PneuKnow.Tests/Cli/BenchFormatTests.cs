using PneuKnow.Cli.Commands;

namespace PneuKnow.Tests.Cli;

public class BenchFormatTests
{
    [Theory]
    [InlineData(0.3, "0.300")]
    [InlineData(0.92345, "0.923")]
    [InlineData(0.9996, "1.00")]
    [InlineData(17.64, "17.6")]
    [InlineData(99.96, "100")]
    [InlineData(1.0, "1.00")]
    [InlineData(2910.4, "2910")]
    [InlineData(0.012345, "0.0123")]
    public void Rates_print_with_three_significant_figures(double value, string expected) =>
        Assert.Equal(expected, BenchMachine.Significant3(value));
}

/// <summary>
/// <c>bench train</c>'s memory verdict (issue 25: RSS growth ≤ 1 MiB per epoch from epoch 2 to the last): the end-to-end
/// growth and the least-squares slope, both against the goal, on resident sizes given here.
/// </summary>
public class BenchTrainRssTests
{
    static long[] MiB(params double[] values) => values.Select(v => (long)(v * 1048576)).ToArray();

    [Fact]
    public void Flat_memory_after_the_first_epoch_passes()
    {
        // Epoch 1 allocates the working set; from epoch 2 on it holds (+0.5 MiB over 8 epochs).
        var lines = PneuKnow.Cli.Commands.Training.BenchTrainCommand.RssLines(MiB(700, 900, 900.5, 899.5, 900, 900.2, 900.1, 900.3, 899.9, 900.5)).ToList();
        Assert.Equal("rss per epoch (MiB): 1: 700.0, 2: 900.0, 3: 900.5, 4: 899.5, 5: 900.0, 6: 900.2, 7: 900.1, 8: 900.3, 9: 899.9, 10: 900.5", lines[0]);
        Assert.StartsWith("rss growth epoch 2 → 10: +0.5 MiB, +0.06 MiB/epoch (fitted slope +0.03 MiB/epoch); goal ≤ 1 MiB/epoch: pass", lines[1]);
    }

    [Fact]
    public void Steady_growth_fails_even_when_the_last_epoch_dips()
    {
        // +4 MiB per epoch, the last epoch back near epoch 2: the end-to-end figure passes, the slope does not.
        var rss = MiB(700, 900, 904, 908, 912, 916, 920, 924, 928, 901.2);
        Assert.Equal(BenchSlope(rss), PneuKnow.Cli.Commands.Training.BenchTrainCommand.RssSlope(rss), 9);
        var verdict = PneuKnow.Cli.Commands.Training.BenchTrainCommand.RssLines(rss).Last();
        Assert.EndsWith("FAIL", verdict);
        Assert.Contains("+1.2 MiB, +0.15 MiB/epoch", verdict);
    }

    [Fact]
    public void The_verdict_reads_the_trimmed_series_and_shows_both()
    {
        // Swings of the heap's cache (the untrimmed series) fail the goal; what the process holds after a trim is flat.
        var cached = MiB(825, 885, 837, 861, 898, 899, 936, 876, 877, 889);
        var held = MiB(610, 640, 640.2, 639.8, 640.1, 640.3, 640.0, 640.4, 640.2, 640.5);
        var lines = PneuKnow.Cli.Commands.Training.BenchTrainCommand.MemoryLines(cached, held).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("rss (heap cache included) per epoch (MiB): 1: 825.0, 2: 885.0", lines[0]);
        Assert.EndsWith("FAIL", lines[1]);
        Assert.StartsWith("rss after malloc_trim (the verdict) growth epoch 2 → 10: +0.5 MiB, +0.06 MiB/epoch", lines[3]);
        Assert.EndsWith("pass", lines[3]);

        // And the other way round: a leak that the cache hides in its swings fails on the trimmed series.
        var leaking = MiB(610, 640, 643, 646, 649, 652, 655, 658, 661, 664);
        Assert.EndsWith("FAIL", PneuKnow.Cli.Commands.Training.BenchTrainCommand.MemoryLines(cached, leaking).Last());

        // Where the C library cannot trim, the report says so instead of a verdict it cannot give.
        var untrimmed = PneuKnow.Cli.Commands.Training.BenchTrainCommand.MemoryLines(cached, []).ToList();
        Assert.Equal(3, untrimmed.Count);
        Assert.StartsWith("rss after malloc_trim: not measured", untrimmed[2]);
    }

    /// <summary>The least-squares slope written out (x = 0..8 for epochs 2..10).</summary>
    static double BenchSlope(long[] rss)
    {
        var y = rss.Skip(1).Select(b => b / 1048576.0).ToArray();
        double n = y.Length, sx = 0, sy = 0, sxy = 0, sxx = 0;
        for (int i = 0; i < y.Length; i++) { sx += i; sy += y[i]; sxy += i * y[i]; sxx += i * i; }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
