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

    [Fact]
    public void Hook_counted_flops_of_the_cntk_resnet_equal_the_hand_count()
    {
        // Its layers must be called through call(), not forward(): forward hooks (and so the zoo table) miss the rest.
        const int size = 64, classes = 5;
        using var model = CntkResNet18.Create(classes, dropout: 0, pretrained: false);

        // By hand: 7×7/2 stem conv, 3×3/2 max pool, basic blocks of two 3×3 convs (the first strided at a stage's
        // start) with a 1×1 projection where the shape changes, the classifier.
        long h = size / 2;
        long macs = 64 * h * h * 3 * 49;
        h /= 2;
        long width = 64;
        for (int s = 0; s < 4; s++)
            for (int b = 0; b < CntkResNet18.BlocksPerStage[s]; b++)
            {
                long outWidth = CntkResNet18.StageWidths[s];
                if (s > 0 && b == 0) h /= 2;
                macs += outWidth * h * h * width * 9 + outWidth * h * h * outWidth * 9;
                if (width != outWidth) macs += outWidth * h * h * width;
                width = outWidth;
            }
        macs += classes * width;

        var c = BackboneComplexity.Measure(model, size);
        Assert.Equal(2.0 * macs / 1e9, c.ForwardGFlops, 12);
        Assert.Equal(new long[] { 512, 2, 2 }, c.FeatureShape);
    }
}
