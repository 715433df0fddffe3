namespace PneuKnow.Models;

/// <summary>Argument checks shared by the builders.</summary>
/// <remarks>
/// In its own file, apart from <see cref="BackboneZoo"/>: every architecture calls these checks, and none of them
/// should reach into the registry that lists them all (the zoo depends on the architectures, not the reverse).
/// </remarks>
static class BackboneChecks
{
    /// <summary>
    /// Stride and dilations of the four stages of a ResNet for an output stride, by timm's rule: once the stride reached
    /// so far (4 after the stem) equals the output stride, a stage that would halve the resolution keeps it and multiplies
    /// the dilation instead; its first block's first 3×3 convolution keeps the previous dilation.
    /// </summary>
    public static (int Stride, int FirstDilation, int Dilation)[] ResNetStages(int outputStride)
    {
        OutputStride(outputStride);
        var stages = new (int, int, int)[4];
        int netStride = 4, dilation = 1;
        for (int s = 0; s < 4; s++)
        {
            int stride = s == 0 ? 1 : 2, previous = dilation;
            if (netStride >= outputStride) { dilation *= stride; stride = 1; }
            else netStride *= stride;
            stages[s] = (stride, previous, dilation);
        }
        return stages;
    }

    /// <summary>Checks an output stride: 32 (the reference networks) or 16 (dilated last stage).</summary>
    public static void OutputStride(int outputStride)
    {
        if (!Backbone.OutputStrides.Contains(outputStride))
            throw new ArgumentOutOfRangeException(nameof(outputStride), outputStride, "output_stride: expected 32 (the reference network) or 16 (dilated last stage).");
    }

    /// <summary>Checks a classifier head's settings: at least one class, dropout and drop-path rates in [0, 1).</summary>
    public static void Head(int classes, double dropout, double dropPath)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes: expected at least 1.");
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout: expected a probability in [0, 1).");
        if (dropPath is < 0 or >= 1 || double.IsNaN(dropPath))
            throw new ArgumentOutOfRangeException(nameof(dropPath), dropPath, "drop path: expected a rate in [0, 1).");
    }
}
