using PneuKnow.Augmentation;
using PneuKnow.Models;
using PneuKnow.Distillation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Training;

/// <summary>
/// "Precise BatchNorm" (Wu &amp; Johnson 2021, <i>Rethinking "Batch" in BatchNorm</i>): recomputes every BatchNorm
/// layer's running mean and variance over the training inputs with the weights frozen. After a few dozen Adam
/// steps the exponential moving averages (momentum 0.1) still describe the activations of weights long gone, and
/// an eval-mode network can then answer one class for every input of a kind (issue 21: every healthy ROI is the
/// same black image). The recomputed statistics are what PyTorch's cumulative average (<c>momentum=None</c>) gives:
/// the equal-weight mean over batches of each batch's mean and unbiased variance of the layer's input, with every
/// BatchNorm layer normalising by its batch statistics as in training.
/// </summary>
public static class PreciseBatchNorm
{
    /// <summary>The BatchNorm layers of <paramref name="model"/> that keep running statistics.</summary>
    public static IReadOnlyList<BatchNorm> Layers(nn.Module model) =>
        model.modules().OfType<BatchNorm>().Where(b => b.track_running_stats && b.running_mean is not null && b.running_var is not null).ToList();

    /// <summary>
    /// Replaces the running statistics of every BatchNorm layer of <paramref name="model"/> by their average over
    /// <paramref name="batches"/>. Only the BatchNorm layers run in training mode (dropout and stochastic depth stay
    /// off, so no random number is drawn); no gradient is computed; weights, momenta and <c>num_batches_tracked</c>
    /// are left as they were. A model without BatchNorm returns at once without reading a batch. The model is left
    /// in eval mode.
    /// </summary>
    /// <param name="model">The network; its parameters' type decides the inputs' type.</param>
    /// <param name="batches">The training batches (disposed here); read only when the model has BatchNorm layers.</param>
    /// <param name="input">What the model sees of a batch (the ROI for a ROI teacher, the full image otherwise).</param>
    /// <returns>The number of batches averaged (0 when the model has no BatchNorm layer).</returns>
    /// <exception cref="InvalidOperationException">The model has BatchNorm layers but <paramref name="batches"/> yielded none.</exception>
    public static int Recompute(Backbone model, IEnumerable<Batch> batches, Func<Batch, Tensor> input)
    {
        var layers = Layers(model);
        if (layers.Count == 0) return 0;
        var dtype = Forward.TypeOf(model);
        var momenta = layers.Select(b => b.momentum).ToArray();
        var counters = layers.Select(b => b.num_batches_tracked?.clone()).ToArray();
        // Sums in float64: a bfloat16 model's statistics would otherwise lose the average's precision.
        var sumMean = layers.Select(b => zeros_like(b.running_mean!, dtype: ScalarType.Float64)).ToArray();
        var sumVar = layers.Select(b => zeros_like(b.running_var!, dtype: ScalarType.Float64)).ToArray();
        int n = 0;
        try
        {
            model.eval();
            // Momentum 1: after each forward a layer's running statistics are exactly that batch's (mean, unbiased
            // variance), which are summed here; TorchSharp's own cumulative mode depends on its momentum convention.
            foreach (var b in layers) { b.train(); b.momentum = 1.0; }
            using var noGrad = no_grad();
            foreach (var raw in batches)
            {
                using var scope = NewDisposeScope();
                using var _ = raw;
                var x = input(raw);
                if (x.dtype != dtype) x = x.to(dtype);
                model.Head(model.Features(Forward.Normalized(model, x)));
                for (int i = 0; i < layers.Count; i++)
                {
                    sumMean[i].add_(layers[i].running_mean!.to(ScalarType.Float64));
                    sumVar[i].add_(layers[i].running_var!.to(ScalarType.Float64));
                }
                n++;
            }
            if (n == 0)
                throw new InvalidOperationException($"precise BatchNorm of {model.Architecture}: expected at least one training batch, found none.");
            using (no_grad())
                for (int i = 0; i < layers.Count; i++)
                {
                    layers[i].running_mean!.copy_(sumMean[i].div(n));
                    layers[i].running_var!.copy_(sumVar[i].div(n));
                }
        }
        finally
        {
            for (int i = 0; i < layers.Count; i++)
            {
                layers[i].momentum = momenta[i];
                if (counters[i] is { } c) layers[i].num_batches_tracked!.copy_(c);
                counters[i]?.Dispose();
                sumMean[i].Dispose();
                sumVar[i].Dispose();
            }
            model.eval();
        }
        return n;
    }
}
