using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>
/// A classification network split the way every method in PneuKnow needs it:
/// <see cref="Features"/> gives the last feature map before pooling (timm's
/// <c>forward_features</c>), <see cref="Head"/> turns it into class logits (pool, norm,
/// dropout, linear; timm's <c>forward_head</c>). HKD's consistency loss and Grad-CAM are
/// written against this split.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>
    /// Input pixels per feature-map cell of the reference networks (timm's and torchvision's, the CNTK ONNX ResNet-18): the
    /// output stride every architecture has, and the default of every setting that chooses one.
    /// </summary>
    public const int ReferenceOutputStride = 32;

    /// <summary>The output stride of a ResNet whose last stage is dilated instead of strided (the only other one implemented).</summary>
    public const int DilatedOutputStride = 16;

    /// <summary>The output strides a setting may choose: <see cref="ReferenceOutputStride"/>, <see cref="DilatedOutputStride"/>.</summary>
    public static IReadOnlyList<int> OutputStrides { get; } = [ReferenceOutputStride, DilatedOutputStride];

    /// <summary>Creates the module; subclasses call <c>RegisterComponents()</c> once their layers exist.</summary>
    protected Backbone(string name) : base(name) { }

    /// <summary>The architecture name as timm spells it, e.g. <c>convnext_small</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>Channels of the feature map returned by <see cref="Features"/>.</summary>
    public abstract int FeatureChannels { get; }

    /// <summary>Number of classes the head predicts.</summary>
    public abstract int Classes { get; }

    /// <summary>The last feature map before pooling, N×C×h×w, for a normalised N×3×H×W input.</summary>
    public abstract Tensor Features(Tensor x);

    /// <summary>Class logits N×classes from a feature map given by <see cref="Features"/>.</summary>
    public abstract Tensor Head(Tensor features);

    /// <summary>
    /// Turns an RGB batch scaled to [0, 1] (N×3×H×W) into this network's expected input.
    /// ImageNet mean/std by default; networks trained with other preprocessing override it.
    /// </summary>
    public virtual Tensor Normalize(Tensor rgb01)
    {
        using var scope = NewDisposeScope();
        var mean = tensor(new float[] { 0.485f, 0.456f, 0.406f }, device: rgb01.device).view(1, 3, 1, 1);
        var std = tensor(new float[] { 0.229f, 0.224f, 0.225f }, device: rgb01.device).view(1, 3, 1, 1);
        return ((rgb01 - mean) / std).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Head(Features(x));
}
