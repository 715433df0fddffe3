using PneuKnow.Models;
using PneuKnow.Runtime;

namespace PneuKnow.Tests.Models;

public class BackboneComplexityTests
{
    public BackboneComplexityTests() => TorchRuntime.Initialize("cpu");

    [Fact]
    public void Hook_counted_flops_equal_the_hand_count_of_a_small_convnext()
    {
        int[] dims = { 8, 16, 24, 32 }, depths = { 1, 1, 2, 1 };
        const int size = 64, classes = 4;
        using var model = new ConvNeXt("convnext_small_dims", new ConvNeXtConfig(depths, dims), classes);

        // By hand: stem 4×4/4 conv; per block a 7×7 depthwise conv and two linear layers (d→4d→d) per pixel;
        // 2×2/2 downsampling convs; the classifier. FLOPs = 2 × MACs.
        long h = size / 4;
        long macs = dims[0] * h * h * 3 * 16;
        for (int s = 0; s < 4; s++)
        {
            if (s > 0)
            {
                h /= 2;
                macs += dims[s] * h * h * dims[s - 1] * 4;
            }
            macs += depths[s] * dims[s] * h * h * (49 + 8L * dims[s]);
        }
        macs += classes * dims[3];

        var c = BackboneComplexity.Measure(model, size);
        Assert.Equal(2.0 * macs / 1e9, c.ForwardGFlops, 12);
        Assert.Equal(new long[] { 32, 2, 2 }, c.FeatureShape);
        Assert.Equal(model.parameters().Sum(p => p.numel()), c.Parameters);
    }
}
