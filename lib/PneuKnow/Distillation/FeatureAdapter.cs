using PneuKnow.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Distillation;

/// <summary>
/// Maps a student's feature map onto the teacher's when the two backbones differ: a learned 1×1
/// convolution from the student's to the teacher's channel count, then bilinear resizing to the
/// teacher's spatial size. Trained together with the student; the paper's homogeneous pairs need none.
/// </summary>
public sealed class FeatureAdapter : nn.Module<Tensor, Tensor>
{
    readonly Conv2d projection;

    /// <summary>Student channels the adapter expects.</summary>
    public int InChannels { get; }

    /// <summary>Teacher channels the adapter produces.</summary>
    public int OutChannels { get; }

    /// <summary>Teacher feature-map height the output is resized to.</summary>
    public long Height { get; }

    /// <summary>Teacher feature-map width the output is resized to.</summary>
    public long Width { get; }

    /// <summary>Creates an adapter from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels at <paramref name="height"/>×<paramref name="width"/>.</summary>
    public FeatureAdapter(int inChannels, int outChannels, long height, long width) : base(nameof(FeatureAdapter))
    {
        if (inChannels <= 0 || outChannels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels),
                $"feature adapter: expected positive channels and size, found {inChannels}→{outChannels} channels at {height}×{width}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Height = height;
        Width = width;
        projection = nn.Conv2d(inChannels, outChannels, 1, bias: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor studentFeatures)
    {
        using var scope = NewDisposeScope();
        var y = projection.forward(studentFeatures);
        if (y.shape[2] != Height || y.shape[3] != Width)
            y = nn.functional.interpolate(y, [Height, Width], mode: InterpolationMode.Bilinear, align_corners: false);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Compares the two backbones' feature maps for a <paramref name="resolution"/>² input and
    /// returns an adapter when they differ in channels or size, or null when the paper's plain MSE applies.
    /// </summary>
    /// <param name="teacher">The teacher (its feature map is the target).</param>
    /// <param name="student">The student.</param>
    /// <param name="resolution">Training input size in pixels.</param>
    /// <param name="device">Device both networks live on; the adapter is moved there.</param>
    public static FeatureAdapter? Between(Backbone teacher, Backbone student, int resolution, Device device)
    {
        var (tc, th, tw) = FeatureShape(teacher, resolution, device);
        var (sc, sh, sw) = FeatureShape(student, resolution, device);
        if (tc == sc && th == sh && tw == sw) return null;
        var adapter = new FeatureAdapter((int)sc, (int)tc, th, tw);
        adapter.to(device);
        return adapter;
    }

    static (long C, long H, long W) FeatureShape(Backbone net, int resolution, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = net.training;
        net.eval();
        var dtype = net.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        var f = net.Features(zeros([1, 3, resolution, resolution], dtype: dtype, device: device));
        if (wasTraining) net.train();
        return (f.shape[1], f.shape[2], f.shape[3]);
    }
}
