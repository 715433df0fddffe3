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
