using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>
/// Stochastic depth for one residual branch, as timm's <c>drop_path</c> and torchvision's
/// <c>StochasticDepth(p, "row")</c> define it: in training, each sample's branch output is zeroed
/// with probability <see cref="Probability"/> and the survivors are scaled by 1 / (1 - p);
/// in evaluation it is the identity.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="probability">Probability of dropping a sample's branch, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1).</exception>
    public DropPath(double probability) : base(nameof(DropPath))
    {
        if (probability is < 0 or >= 1 || double.IsNaN(probability))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "drop path: expected a probability in [0, 1).");
        Probability = probability;
    }

    /// <summary>Probability of dropping a sample's residual branch during training.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (!training || Probability == 0) return x.alias();
        var keep = 1 - Probability;
        var shape = new long[x.dim()];
        shape[0] = x.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        using var mask = empty(shape, x.dtype, x.device).bernoulli_(keep).div_(keep);
        return x * mask;
    }

    /// <summary>
    /// The linearly increasing rates that timm and torchvision assign to a network's residual blocks:
    /// block i of n gets <paramref name="rate"/> · i / (n - 1) or · i / n, see <paramref name="lastGetsFullRate"/>.
    /// </summary>
    /// <param name="rate">The network's drop path rate (the last block's, for ConvNeXt).</param>
    /// <param name="blocks">Number of residual blocks in the network.</param>
    /// <param name="lastGetsFullRate">
    /// True for ConvNeXt (timm <c>linspace(0, rate, n)</c>, torchvision divides by n - 1);
    /// false for EfficientNet and ResNet-style schedules that divide by n.
    /// </param>
    public static double[] Schedule(double rate, int blocks, bool lastGetsFullRate)
    {
        var r = new double[blocks];
        double denominator = lastGetsFullRate ? Math.Max(1, blocks - 1) : blocks;
        for (int i = 0; i < blocks; i++) r[i] = rate * i / denominator;
        return r;
    }
}

/// <summary>
/// LayerNorm over the channel dimension of an N×C×H×W map (timm's and torchvision's <c>LayerNorm2d</c>):
/// normalises each pixel's channel vector, with per-channel <c>weight</c> and <c>bias</c>.
/// </summary>
public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
{
    readonly long channels;
    readonly double eps;
    // Field names are the state-dict names.
    readonly Parameter weight;
    readonly Parameter bias;

    /// <summary>Creates the layer with weight 1 and bias 0.</summary>
    /// <param name="channels">Number of channels C.</param>
    /// <param name="eps">Variance epsilon (1e-6 in ConvNeXt).</param>
    public LayerNorm2d(long channels, double eps = 1e-6) : base(nameof(LayerNorm2d))
    {
        this.channels = channels;
        this.eps = eps;
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        using var normed = nn.functional.layer_norm(nhwc, new[] { channels }, weight, bias, eps);
        return normed.permute(0, 3, 1, 2);
    }
}
