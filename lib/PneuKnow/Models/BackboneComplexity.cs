using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>Size and cost of a backbone at one input resolution.</summary>
/// <param name="Architecture">The architecture name.</param>
/// <param name="Parameters">Number of trainable and frozen parameters (buffers excluded).</param>
/// <param name="FeatureShape">Shape of <see cref="Backbone.Features"/> for one image (C, h, w).</param>
/// <param name="ForwardGFlops">Forward cost per image in GFLOPs, counted as 2 × multiply-accumulates of convolutions and linear layers.</param>
public sealed record BackboneComplexity(string Architecture, long Parameters, long[] FeatureShape, double ForwardGFlops)
{
    /// <summary>
    /// Counts parameters and runs one image of <paramref name="size"/>² through the model with forward hooks on every
    /// convolution and linear layer (MACs = output elements × input channels per group × kernel area; linear: output × inputs).
    /// Element-wise work (norms, activations, pooling) is not counted, as in fvcore/timm's usual figures.
    /// </summary>
    public static BackboneComplexity Measure(Backbone model, int size = 224)
    {
        if (size < 32) throw new ArgumentOutOfRangeException(nameof(size), size, "size: expected at least 32 pixels (five stride-2 stages).");
        long macs = 0;
        var hooks = new List<Action>();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is Conv2d conv)
            {
                var remover = conv.register_forward_hook((_, _, output) =>
                {
                    var w = conv.weight!.shape;
                    macs += output.numel() * w[1] * w[2] * w[3];
                    return output;
                });
                hooks.Add(() => remover.remove());
            }
            else if (m is Linear linear)
            {
                var remover = linear.register_forward_hook((_, _, output) =>
                {
                    macs += output.numel() * linear.weight!.shape[1];
                    return output;
                });
                hooks.Add(() => remover.remove());
            }
        }
        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = model.parameters().First().device;
            var x = zeros(new long[] { 1, 3, size, size }, device: device);
            var features = model.Features(x);
            model.Head(features);
            return new BackboneComplexity(model.Architecture, model.parameters().Sum(p => p.numel()),
                features.shape.Skip(1).ToArray(), 2.0 * macs / 1e9);
        }
        finally
        {
            foreach (var remove in hooks) remove();
            model.train(wasTraining);
        }
    }
}

/// <summary>Throughput of one backbone on the current device.</summary>
/// <param name="Architecture">The architecture name.</param>
/// <param name="ForwardImagesPerSecond">Evaluation-mode forward passes, images per second.</param>
/// <param name="TrainImagesPerSecond">Forward + backward (training mode, gradient of the logits' sum), images per second.</param>
/// <param name="ForwardUtilisation">Model FLOP utilisation of the forward pass: achieved GFLOP/s ÷ measured GEMM GFLOP/s.</param>
/// <param name="TrainUtilisation">Same for forward + backward, counting backward as twice the forward FLOPs.</param>
public sealed record BackboneThroughput(string Architecture, double ForwardImagesPerSecond, double TrainImagesPerSecond, double ForwardUtilisation, double TrainUtilisation);

/// <summary>Timings behind <c>pneuknow bench models</c>.</summary>
public static class BackboneBenchmark
{
    /// <summary>
    /// The machine's dense matrix-multiply rate (GFLOP/s) from <c>torch.mm</c> of two n×n matrices of <paramref name="dtype"/>
    /// (float32 unless given), best of several runs after a warm-up — the ceiling against which model FLOP utilisation is
    /// stated, and in bfloat16 or float16 the ceiling of mixed precision on this machine.
    /// </summary>
    public static double GemmGFlops(Device device, int n = 2048, int repeats = 5, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(0);
        if (dtype != ScalarType.Float32)
        {
            // A type the device has no fast kernel for (float16 on most CPUs) multiplies at a fraction of a GFLOP/s, where a
            // 2048² product takes minutes: a 256² probe sizes the product to about half a second.
            var p = randn(new long[] { 256, 256 }, generator: g).to(device).to(dtype);
            mm(p, p);
            Synchronise(device);
            var probe = Stopwatch.StartNew();
            mm(p, p);
            Synchronise(device);
            double rate = 2.0 * 256 * 256 * 256 / Math.Max(probe.Elapsed.TotalSeconds, 1e-9);
            n = (int)Math.Clamp(Math.Cbrt(rate * 0.5 / 2) / 64, 4, n / 64) * 64;
        }
        var a = randn(new long[] { n, n }, generator: g).to(device).to(dtype);
        var b = randn(new long[] { n, n }, generator: g).to(device).to(dtype);
        mm(a, b);
        Synchronise(device);
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using var c = mm(a, b);
            Synchronise(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * (double)n / best / 1e9;
    }

    /// <summary>
    /// The forward rate (GFLOP/s) of a 3×3 convolution, stride 1, padding 1, over <paramref name="batch"/> × <paramref name="channels"/> ×
    /// <paramref name="size"/>² in <paramref name="dtype"/>, best of several runs after a warm-up: the operator that dominates a
    /// ResNet, so its bfloat16 ÷ float32 ratio bounds what bf16-mixed can gain.
    /// </summary>
    public static double ConvGFlops(Device device, ScalarType dtype = ScalarType.Float32, int batch = 8, int channels = 128, int size = 56, int repeats = 5)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(0);
        var x = randn(new long[] { batch, channels, size, size }, generator: g).to(device).to(dtype);
        var w = (randn(new long[] { channels, channels, 3, 3 }, generator: g) * 0.05).to(device).to(dtype);
        var warm = Stopwatch.StartNew();
        using (no_grad()) nn.functional.conv2d(x, w, padding: [1, 1]);
        Synchronise(device);
        // A type without a fast kernel (float16 on most CPUs) takes tens of seconds per call: then one timed call suffices.
        if (warm.Elapsed.TotalSeconds > 1) repeats = 1;
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            using (no_grad())
            using (nn.functional.conv2d(x, w, padding: [1, 1])) Synchronise(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * batch * channels * channels * 9.0 * size * size / best / 1e9;
    }

    /// <summary>
    /// Images per second of the forward pass and of forward + backward, each timed over at least
    /// <paramref name="minSeconds"/> (and at least two batches) after one warm-up batch.
    /// </summary>
    /// <param name="model">The backbone, on its device, with float32 weights.</param>
    /// <param name="complexity">Its cost at <paramref name="size"/>.</param>
    /// <param name="gemmGFlops">The GEMM rate the utilisation is stated against.</param>
    /// <param name="batch">Images per batch.</param>
    /// <param name="size">Input size.</param>
    /// <param name="minSeconds">Minimum timed seconds per measurement.</param>
    /// <param name="autocast">Run the forward passes under libtorch's autocast to this type (mixed precision, weights float32), or null for float32.</param>
    public static BackboneThroughput Measure(Backbone model, BackboneComplexity complexity, double gemmGFlops, int batch, int size, double minSeconds = 2.0,
        ScalarType? autocast = null)
    {
        var device = model.parameters().First().device;
        using var x = randn(new long[] { batch, 3, size, size }, generator: new Generator(0)).to(device);
        double forward = Time(() =>
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var mixed = autocast is { } t ? new Runtime.Autocast(device.type, t) : null;
            model.forward(x);
        }, model, train: false, device, minSeconds);
        double train = Time(() =>
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            Tensor y;
            using (autocast is { } t ? new Runtime.Autocast(device.type, t) : null) y = model.forward(x);
            y.to(ScalarType.Float32).sum().backward();
        }, model, train: true, device, minSeconds);
        double fwdRate = batch / forward, trainRate = batch / train;
        return new BackboneThroughput(model.Architecture, fwdRate, trainRate,
            fwdRate * complexity.ForwardGFlops / gemmGFlops, trainRate * 3 * complexity.ForwardGFlops / gemmGFlops);
    }

    static double Time(Action step, Backbone model, bool train, Device device, double minSeconds)
    {
        model.train(train);
        step();
        Synchronise(device);
        int n = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            step();
            n++;
            Synchronise(device);
        } while (n < 2 || sw.Elapsed.TotalSeconds < minSeconds);
        return sw.Elapsed.TotalSeconds / n;
    }

    static void Synchronise(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
