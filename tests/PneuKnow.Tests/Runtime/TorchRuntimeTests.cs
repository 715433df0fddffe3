using PneuKnow.Runtime;
using TorchSharp;

namespace PneuKnow.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Initialize_loads_the_package_libtorch_and_computes_on_cpu()
    {
        var report = TorchRuntime.Initialize("cpu");
        Assert.Equal("cpu", report.Device);
        Assert.True(report.Threads > 0);
        // Whatever the system has (e.g. Debian's libtorch-dev), the mapped libtorch must be the package's.
        Assert.Contains("libtorch_cpu.so", report.LibTorchPath);
        Assert.DoesNotContain("/usr/lib", report.LibTorchPath);

        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    public void Unknown_device_spellings_are_rejected_with_the_valid_ones(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.Initialize(spec));
        Assert.Contains("expected auto, cpu, cuda or cuda:N", e.Message);
        Assert.Contains(spec, e.Message);
    }
}
