using static TorchSharp.torch;

namespace PneuKnow.Distillation;

/// <summary>
/// HKD's consistency loss: the mean squared error between the frozen teacher's feature map of
/// the ROI image and the student's feature map of the full image, over all elements (the
/// authors flatten both maps and call <c>nn.MSELoss()</c>).
/// </summary>
public static class DistillationLoss
{
    /// <summary>
    /// MSE over all elements of two feature maps of the same shape.
    /// </summary>
    /// <param name="teacherFeatures">N×C×h×w, the target (no gradient flows into it).</param>
    /// <param name="studentFeatures">N×C×h×w, the prediction.</param>
    /// <param name="normalized">
    /// When true, each example's feature map is first scaled to unit L2 norm (over C·h·w), so the
    /// loss compares the maps' shapes and not their magnitudes; architectures whose features have
    /// very different scales (or a teacher whose activations grew during ROI training) then give a
    /// consistency term of comparable size. The paper uses false.
    /// </param>
    /// <exception cref="ArgumentException">The shapes differ; use a <see cref="FeatureAdapter"/> for heterogeneous pairs.</exception>
    public static Tensor Consistency(Tensor teacherFeatures, Tensor studentFeatures, bool normalized = false)
    {
        if (!teacherFeatures.shape.SequenceEqual(studentFeatures.shape))
            throw new ArgumentException(
                $"consistency loss: teacher and student feature maps must have the same shape, found teacher [{string.Join(", ", teacherFeatures.shape)}] " +
                $"and student [{string.Join(", ", studentFeatures.shape)}]; heterogeneous pairs need a FeatureAdapter.");
        using var scope = NewDisposeScope();
        var t = teacherFeatures.detach().to(ScalarType.Float32);
        var s = studentFeatures.to(ScalarType.Float32);
        if (normalized)
        {
            t = UnitNorm(t);
            s = UnitNorm(s);
        }
        return nn.functional.mse_loss(s, t, nn.Reduction.Mean).MoveToOuterDisposeScope();
    }

    /// <summary>HKD's training loss <c>a · consistency + (1 − a) · classification</c>.</summary>
    /// <param name="consistency">The consistency term (a scalar).</param>
    /// <param name="classification">The cross-entropy term (a scalar).</param>
    /// <param name="weight">a_e from <see cref="ConsistencyWeight.At"/>.</param>
    public static Tensor Combined(Tensor consistency, Tensor classification, double weight)
    {
        using var scope = NewDisposeScope();
        return (consistency * weight + classification * (1.0 - weight)).MoveToOuterDisposeScope();
    }

    static Tensor UnitNorm(Tensor x)
    {
        var flat = x.flatten(1);
        var norm = flat.norm(1, keepdim: true).clamp_min(1e-12);
        return (flat / norm).view(x.shape);
    }
}
