using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>
/// The random initialisers every backbone uses, written here rather than taken from <c>nn.init</c> so that each
/// is the reference rule (torchvision's or timm's) by construction and is checked by this project's tests.
/// TorchSharp 0.107's <c>nn.init.trunc_normal_</c> is wrong: it scales by the mean and shifts by the standard
/// deviation, so with mean 0 every value becomes the constant std, or NaN where its uniform draw hits ±1.
/// </summary>
/// <remarks>
/// Every initialiser draws from its <c>generator</c> argument when given, else from torch's global generator,
/// which <c>Experiment</c> seeds from the run's seed just before it builds a network: the same run seed gives the
/// same initial weights.
/// </remarks>
public static class WeightInit
{
    /// <summary>
    /// Fills <paramref name="tensor"/> with draws from N(<paramref name="mean"/>, <paramref name="std"/>²)
    /// truncated to [<paramref name="a"/>, <paramref name="b"/>] (absolute bounds, as in PyTorch's and timm's
    /// <c>trunc_normal_</c>, whose defaults are a = −2, b = 2).
    /// </summary>
    /// <remarks>
    /// Inverse-CDF sampling as PyTorch and timm do it: u ~ U(2Φ(α) − 1, 2Φ(β) − 1), x = mean + std·√2·erfinv(u),
    /// clamped to [a, b], computed in float32 (float64 for a float64 tensor; other types via float32). Where a draw
    /// lands on −1 exactly (a float32 uniform does so with probability 2⁻²⁴, a few times per ConvNeXt), erfinv is
    /// −∞ and PyTorch clamps the weight to the bound a, 100 std from the mean at std 0.02; such draws are drawn again.
    /// </remarks>
    /// <param name="tensor">The tensor to fill in place (any floating type, any device).</param>
    /// <param name="mean">Mean of the untruncated normal.</param>
    /// <param name="std">Standard deviation of the untruncated normal (positive).</param>
    /// <param name="a">Lower bound.</param>
    /// <param name="b">Upper bound (greater than <paramref name="a"/>).</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    /// <exception cref="ArgumentException">A non-finite or non-positive std, bounds not increasing, or an interval with no probability mass.</exception>
    public static Tensor TruncatedNormal(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!double.IsFinite(mean)) throw new ArgumentException($"truncated normal: expected a finite mean, found {mean}.", nameof(mean));
        if (!(std > 0) || !double.IsFinite(std)) throw new ArgumentException($"truncated normal: expected a positive finite std, found {std}.", nameof(std));
        if (!(a < b)) throw new ArgumentException($"truncated normal: expected bounds a < b, found a = {a}, b = {b}.", nameof(b));
        // 2Φ(x) − 1 = erf(x/√2), taken directly: no cancellation when a bound is far in a tail.
        double low = Erf((a - mean) / (std * Math.Sqrt(2))), high = Erf((b - mean) / (std * Math.Sqrt(2)));
        var compute = tensor.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        if (!((float)low < (float)high) || !(low < high))
            throw new ArgumentException($"truncated normal: [{a}, {b}] has no probability mass under N({mean}, {std}²) at float32 precision; expected bounds nearer the mean.", nameof(b));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        bool inPlace = tensor.dtype == compute && tensor.is_contiguous();
        var draw = inPlace ? tensor : empty(tensor.shape, compute, tensor.device);
        draw.uniform_(low, high, generator).erfinv_();
        var flat = draw.view(-1);
        // Only the lower end of [low, high) can be drawn, so only −∞ can appear, and only when low is −1.
        bool pinned = low == -1 && flat.numel() > 0 && double.IsNegativeInfinity(flat.min().to(ScalarType.Float64).item<double>());
        for (var bad = pinned ? flat.isinf().nonzero().view(-1) : flat.new_empty(0, ScalarType.Int64); bad.numel() > 0; )
        {
            var again = empty(bad.numel(), compute, tensor.device).uniform_(low, high, generator).erfinv_();
            var finite = again.isfinite();
            flat.index_put_(again[finite], bad[finite]);
            bad = bad[finite.logical_not()];
        }
        draw.mul_(std * Math.Sqrt(2));
        if (mean != 0) draw.add_(mean);
        draw.clamp_(a, b);
        if (!inPlace) tensor.copy_(draw);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with draws from N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    /// <param name="tensor">The tensor to fill in place.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation (positive).</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static Tensor Normal(Tensor tensor, double mean, double std, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std > 0) || !double.IsFinite(std)) throw new ArgumentException($"normal: expected a positive finite std, found {std}.", nameof(std));
        using var _ = no_grad();
        return tensor.normal_(mean, std, generator);
    }

    /// <summary>Fills <paramref name="tensor"/> with draws from U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="tensor">The tensor to fill in place.</param>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound (greater than <paramref name="low"/>).</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static Tensor Uniform(Tensor tensor, double low, double high, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(low < high)) throw new ArgumentException($"uniform: expected low < high, found {low} and {high}.", nameof(high));
        using var _ = no_grad();
        return tensor.uniform_(low, high, generator);
    }

    /// <summary>
    /// torchvision's ResNet convolutions (<c>kaiming_normal_(mode="fan_out", nonlinearity="relu")</c>):
    /// N(0, 2 / fan_out) with fan_out = out_channels · kernel height · kernel width (groups ignored, as torch's
    /// <c>_calculate_fan_in_and_fan_out</c> does).
    /// </summary>
    /// <param name="weight">A convolution weight, out × in/groups × kh × kw.</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static Tensor KaimingNormalFanOut(Tensor weight, Generator? generator = null)
    {
        if (weight.dim() < 2) throw new ArgumentException($"kaiming normal: expected a weight of at least 2 dimensions, found shape [{string.Join(", ", weight.shape)}].", nameof(weight));
        double fanOut = weight.shape[0] * ReceptiveField(weight);
        return Normal(weight, 0, Math.Sqrt(2.0 / fanOut), generator);
    }

    /// <summary>
    /// timm's EfficientNet convolutions (<c>_init_weight_goog</c>): N(0, 2 / fan_out) with
    /// fan_out = kernel height · kernel width · out_channels / groups; the bias, if any, zero.
    /// </summary>
    /// <param name="conv">The convolution.</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static void EfficientNetConv(Conv2d conv, Generator? generator = null)
    {
        var w = conv.weight!;
        double fanOut = w.shape[0] * ReceptiveField(w) / (double)conv.groups;
        Normal(w, 0, Math.Sqrt(2.0 / fanOut), generator);
        Zero(conv.bias);
    }

    /// <summary>timm's EfficientNet classifier (<c>_init_weight_goog</c>): U(±1/√out_features), bias zero.</summary>
    /// <param name="linear">The linear layer.</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static void EfficientNetLinear(Linear linear, Generator? generator = null)
    {
        double range = 1.0 / Math.Sqrt(linear.weight!.shape[0]);
        Uniform(linear.weight, -range, range, generator);
        Zero(linear.bias);
    }

    /// <summary>
    /// PyTorch's own <c>nn.Linear.reset_parameters</c> (what torchvision's ResNet head keeps):
    /// weight and bias U(±1/√in_features) (<c>kaiming_uniform_(a=√5)</c> works out to that bound).
    /// </summary>
    /// <param name="linear">The linear layer.</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static void TorchLinear(Linear linear, Generator? generator = null)
    {
        double bound = 1.0 / Math.Sqrt(linear.weight!.shape[1]);
        Uniform(linear.weight, -bound, bound, generator);
        if (linear.bias is { } bias) Uniform(bias, -bound, bound, generator);
    }

    /// <summary>timm's and torchvision's ConvNeXt convolutions and linear layers: truncated N(0, 0.02²) on [−2, 2], bias zero.</summary>
    /// <param name="weight">The weight.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="generator">The generator to draw from; null for torch's global one.</param>
    public static void ConvNeXtLayer(Tensor weight, Tensor? bias, Generator? generator = null)
    {
        TruncatedNormal(weight, 0, 0.02, -2, 2, generator);
        Zero(bias);
    }

    /// <summary>Sets a BatchNorm's affine weight to 1 and bias to 0 (both references; running statistics are already 0 and 1).</summary>
    /// <param name="norm">The BatchNorm.</param>
    public static void UnitBatchNorm(BatchNorm2d norm)
    {
        using var _ = no_grad();
        norm.weight?.fill_(1);
        Zero(norm.bias);
    }

    static void Zero(Tensor? t)
    {
        if (t is null) return;
        using var _ = no_grad();
        t.zero_();
    }

    static long ReceptiveField(Tensor weight)
    {
        long r = 1;
        for (int d = 2; d < weight.dim(); d++) r *= weight.shape[d];
        return r;
    }

    /// <summary>erf(x) in float64 (libtorch's; .NET has none).</summary>
    static double Erf(double x) => Scalar(x, t => t.erf_());

    static double Scalar(double x, Func<Tensor, Tensor> f)
    {
        using var t = torch.tensor(x, ScalarType.Float64);
        return f(t).item<double>();
    }
}
