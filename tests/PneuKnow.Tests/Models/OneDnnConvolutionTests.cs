using PneuKnow.Runtime;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

/// <summary>
/// libtorch 2.10's oneDNN computes dense 3×3 float32 convolutions wrongly (about 20 % relative error, NaN seen)
/// for batch ≥ 2 when the channel count is not a multiple of the vector width on the AMD EPYC build machine
/// (AVX-512: 20, 24, 40 channels; with ONEDNN_MAX_CPU_ISA=AVX2: 12, 20). The zoo's full-size networks only use
/// dense 3×3 convolutions with multiples of 64 channels; this guards those shapes against a float64 reference.
/// </summary>
public class OneDnnConvolutionTests
{
    public OneDnnConvolutionTests() => TorchRuntime.Initialize("cpu");

    [Theory]
    [InlineData(2, 64, 14)]
    [InlineData(8, 128, 7)]
    [InlineData(2, 256, 5)]
    [InlineData(2, 48, 6)]   // the widths of the ResNet equivalence fixture
    [InlineData(2, 16, 12)]
    public void Float32_dense_convolution_matches_float64(int batch, int channels, int size)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(42);
        var x = randn(new long[] { batch, channels, size, size }, generator: g);
        var w = randn(new long[] { channels, channels, 3, 3 }, generator: g);
        var reference = nn.functional.conv2d(x.to_type(float64), w.to_type(float64), padding: new long[] { 1, 1 });
        var actual = nn.functional.conv2d(x, w, padding: new long[] { 1, 1 }).to_type(float64);
        double relative = ((actual - reference).abs().max() / reference.abs().max()).item<double>();
        Assert.True(relative < 1e-5, $"batch {batch}, {channels} channels, {size}×{size}: relative error {relative:G3}");
    }
}
