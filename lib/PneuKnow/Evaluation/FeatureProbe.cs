using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Evaluation;

/// <summary>Images and labels a probe reads: RGB in [0, 1] (gray replicated to 3 channels).</summary>
/// <param name="Images">N×3×H×W float32 on the CPU, values in [0, 1].</param>
/// <param name="Labels">Class code of each image (index into <paramref name="Classes"/>).</param>
/// <param name="Classes">Class labels in code order.</param>
public sealed record ProbeSet(Tensor Images, long[] Labels, IReadOnlyList<string> Classes)
{
    /// <summary>
    /// Renders one split of the phantom in memory (nothing is written): the images of <paramref name="split"/> in
    /// plan order, at <see cref="PhantomOptions.Size"/>, labels in the phantom's class order.
    /// </summary>
    /// <example><code>var valid = ProbeSet.FromPhantom(new PhantomOptions { Images = 200, Size = 64 }, SplitNames.Valid);</code></example>
    /// <exception cref="ArgumentException">Invalid options, or a split that holds no image.</exception>
    public static ProbeSet FromPhantom(PhantomOptions options, string split)
    {
        ArgumentNullException.ThrowIfNull(options);
        var classes = options.EffectiveShares().Select(kv => kv.Key).ToList();
        var cases = PhantomGenerator.Plan(options).Where(c => c.Split == split).ToList();
        if (cases.Count == 0)
            throw new ArgumentException($"phantom split '{split}': expected images, found none (splits: {string.Join(", ", SplitNames.All)}; {options.Images} images planned).", nameof(split));
        int n = options.Size, plane = n * n;
        var pixels = new float[cases.Count * 3 * plane];
        Parallel.For(0, cases.Count, i =>
        {
            var raw = PhantomGenerator.Render(options, cases[i]).Raw;
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p++)
                    pixels[(i * 3 + c) * plane + p] = raw[p] / 255f;
        });
        var labels = cases.Select(c => (long)classes.IndexOf(c.Label)).ToArray();
        return new ProbeSet(tensor(pixels, [cases.Count, 3, n, n]).DetachFromDisposeScope(), labels, classes);
    }
}

/// <summary>Accuracy of the two probes on one backbone's features.</summary>
/// <param name="LinearProbe">Validation accuracy of multinomial logistic regression on the pooled features.</param>
/// <param name="NearestNeighbour">Validation accuracy of 1-nearest-neighbour retrieval (cosine) among the training features.</param>
public sealed record ProbeAccuracy(double LinearProbe, double NearestNeighbour);

/// <summary>Pretrained features against the same architecture at random initialisation.</summary>
/// <param name="Architecture">The backbone.</param>
/// <param name="TrainImages">Images the probes were fitted on (and retrieved from).</param>
/// <param name="ValidImages">Images the accuracies are measured on.</param>
/// <param name="Majority">Accuracy of always predicting the training set's most frequent class, on the validation images.</param>
/// <param name="Pretrained">Probes on the pretrained backbone's features.</param>
/// <param name="RandomInit">Probes on the randomly initialised backbone's features.</param>
public sealed record FeatureProbeResult(string Architecture, int TrainImages, int ValidImages, double Majority, ProbeAccuracy Pretrained, ProbeAccuracy RandomInit)
{
    /// <summary>True when pretrained features beat random ones on both probes.</summary>
    public bool PretrainedWins => Pretrained.LinearProbe > RandomInit.LinearProbe && Pretrained.NearestNeighbour > RandomInit.NearestNeighbour;
}

/// <summary>Fit settings of <see cref="FeatureProbe.LinearProbe"/>.</summary>
/// <param name="Steps">Full-batch Adam steps (β = 0.9, 0.999) on the mean cross-entropy.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="WeightDecay">L2 penalty on the weights (not the bias), added to the mean cross-entropy.</param>
public sealed record LinearProbeOptions(int Steps = 300, double LearningRate = 0.05, double WeightDecay = 1e-3);

/// <summary>
/// Sanity checks of a backbone's features without training it: a linear probe (logistic regression on frozen,
/// globally average-pooled features) and nearest-neighbour retrieval, both fitted on a training split and scored
/// on a validation split.
/// </summary>
/// <remarks>
/// Features are standardised with the training split's per-channel mean and standard deviation, so the probes see
/// the same scale whatever the network's activations are (random initialisation gives very different scales).
/// The logistic regression starts from zero weights and is convex, so its result does not depend on a seed.
/// An experiment on backbones rather than part of one, so it lives in Evaluation: it builds backbones from the
/// zoo (Models) and renders the phantom (Data), both folders Evaluation may use, and no model depends on it.
/// </remarks>
public static class FeatureProbe
{
    /// <summary>
    /// The backbone's last feature map, averaged over its spatial positions (timm's global pool): N×C float32 on the
    /// CPU. The model runs in eval mode without gradients; its own <see cref="Backbone.Normalize"/> is applied first.
    /// </summary>
    /// <param name="model">The backbone (left in eval mode).</param>
    /// <param name="rgb01">N×3×H×W RGB in [0, 1], on any device.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static Tensor PooledFeatures(Backbone model, Tensor rgb01, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size: expected at least 1.");
        if (rgb01.dim() != 4 || rgb01.shape[1] != 3)
            throw new ArgumentException($"images: expected an N×3×H×W batch, found shape [{string.Join(", ", rgb01.shape)}].", nameof(rgb01));
        model.eval();
        var device = model.parameters().First().device;
        var parts = new List<Tensor>();
        using (no_grad())
            for (long start = 0; start < rgb01.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var x = rgb01.narrow(0, start, Math.Min(batchSize, rgb01.shape[0] - start)).to(float32, device);
                parts.Add(model.Features(model.Normalize(x)).mean([2, 3]).cpu().MoveToOuterDisposeScope());
            }
        var pooled = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return pooled;
    }

    /// <summary>
    /// Fits multinomial logistic regression on <paramref name="trainFeatures"/> and returns its accuracy on
    /// <paramref name="validFeatures"/>.
    /// </summary>
    /// <param name="trainFeatures">N×C training features.</param>
    /// <param name="trainLabels">N class codes in 0..<paramref name="classes"/>−1.</param>
    /// <param name="validFeatures">M×C validation features.</param>
    /// <param name="validLabels">M class codes.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="options">Fit settings (defaults when null).</param>
    /// <exception cref="ArgumentException">Shapes or labels that do not fit together; the message names what was expected and found.</exception>
    public static double LinearProbe(Tensor trainFeatures, long[] trainLabels, Tensor validFeatures, long[] validLabels, int classes, LinearProbeOptions? options = null)
    {
        var o = options ?? new LinearProbeOptions();
        if (o.Steps < 1 || o.LearningRate <= 0 || o.WeightDecay < 0)
            throw new ArgumentException($"linear probe options: expected Steps ≥ 1, LearningRate > 0, WeightDecay ≥ 0, found {o}.", nameof(options));
        Check(trainFeatures, trainLabels, validFeatures, validLabels, classes);
        double[,] x, v;
        using (NewDisposeScope())
        {
            var (xs, vs) = Standardise(trainFeatures, validFeatures);
            (x, v) = (ToArray(xs), ToArray(vs));
        }
        // Plain arrays: for a few hundred rows, torch's per-step overhead costs far more than the arithmetic.
        int n = x.GetLength(0), d = x.GetLength(1);
        var w = new double[d + 1, classes];           // last row: the bias
        var m = new double[d + 1, classes];
        var s2 = new double[d + 1, classes];
        var grad = new double[d + 1, classes];
        var p = new double[classes];
        const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
        for (int step = 1; step <= o.Steps; step++)
        {
            Array.Clear(grad);
            for (int i = 0; i < n; i++)
            {
                Softmax(x, i, w, p);
                p[trainLabels[i]] -= 1;
                for (int c = 0; c < classes; c++)
                {
                    double g = p[c] / n;
                    for (int k = 0; k < d; k++) grad[k, c] += x[i, k] * g;
                    grad[d, c] += g;
                }
            }
            double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
            for (int k = 0; k <= d; k++)
                for (int c = 0; c < classes; c++)
                {
                    double g = grad[k, c] + (k < d ? 2 * o.WeightDecay * w[k, c] : 0);
                    m[k, c] = beta1 * m[k, c] + (1 - beta1) * g;
                    s2[k, c] = beta2 * s2[k, c] + (1 - beta2) * g * g;
                    w[k, c] -= o.LearningRate * (m[k, c] / correction1) / (Math.Sqrt(s2[k, c] / correction2) + eps);
                }
        }
        int correct = 0;
        for (int i = 0; i < v.GetLength(0); i++)
        {
            Softmax(v, i, w, p);
            int best = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            if (best == validLabels[i]) correct++;
        }
        return correct / (double)validLabels.Length;
    }

    /// <summary>Class probabilities of row <paramref name="i"/> under weights <paramref name="w"/> (bias in the last row).</summary>
    static void Softmax(double[,] x, int i, double[,] w, double[] p)
    {
        int d = x.GetLength(1);
        double max = double.NegativeInfinity;
        for (int c = 0; c < p.Length; c++)
        {
            double z = w[d, c];
            for (int k = 0; k < d; k++) z += x[i, k] * w[k, c];
            p[c] = z;
            max = Math.Max(max, z);
        }
        double sum = 0;
        for (int c = 0; c < p.Length; c++) sum += p[c] = Math.Exp(p[c] - max);
        for (int c = 0; c < p.Length; c++) p[c] /= sum;
    }

    static double[,] ToArray(Tensor t)
    {
        var values = t.to(float64).contiguous().data<double>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var a = new double[rows, cols];
        Buffer.BlockCopy(values, 0, a, 0, values.Length * sizeof(double));
        return a;
    }

    /// <summary>
    /// Accuracy of 1-nearest-neighbour retrieval: each validation item takes the label of the training item with the
    /// highest cosine similarity of standardised features (ties: the first training item).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or labels that do not fit together.</exception>
    public static double NearestNeighbour(Tensor trainFeatures, long[] trainLabels, Tensor validFeatures, long[] validLabels)
    {
        Check(trainFeatures, trainLabels, validFeatures, validLabels, classes: null);
        using var scope = NewDisposeScope();
        var (x, v) = Standardise(trainFeatures, validFeatures);
        var similarity = nn.functional.normalize(v, dim: 1).mm(nn.functional.normalize(x, dim: 1).t());
        var nearest = similarity.argmax(1).data<long>().ToArray();
        return Accuracy(tensor(nearest.Select(i => trainLabels[i]).ToArray()), validLabels);
    }

    /// <summary>
    /// Both probes on <paramref name="architecture"/> with its local pretrained weights and at random initialisation
    /// (drawn after seeding torch's generator with <paramref name="initSeed"/>), on the current
    /// <see cref="TorchRuntime.Device"/>; head settings do not matter (only <see cref="Backbone.Features"/> is used).
    /// </summary>
    /// <example><code>var r = FeatureProbe.Compare("cntk_resnet18", train, valid); Console.WriteLine(r.PretrainedWins);</code></example>
    /// <exception cref="FileNotFoundException">No local pretrained weights for the architecture.</exception>
    /// <exception cref="ArgumentException">Unknown architecture, or train and valid sets with other class lists.</exception>
    public static FeatureProbeResult Compare(string architecture, ProbeSet train, ProbeSet valid, LinearProbeOptions? options = null, long initSeed = 0, int batchSize = 16, Runtime.IProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(valid);
        if (!train.Classes.SequenceEqual(valid.Classes))
            throw new ArgumentException($"probe sets: expected the same classes, found train [{string.Join(", ", train.Classes)}] and valid [{string.Join(", ", valid.Classes)}].");
        using var task = (progress ?? SilentProgress.Instance).Start($"feature probe {architecture}", 2);
        ProbeAccuracy Probe(bool pretrained)
        {
            if (!pretrained) manual_seed(initSeed);
            using var model = BackboneZoo.Create(new BackboneOptions(architecture, train.Classes.Count, Dropout: 0, Weights: pretrained ? BackboneZoo.Pretrained : null));
            model.to(TorchRuntime.Device);
            using var ft = PooledFeatures(model, train.Images, batchSize);
            using var fv = PooledFeatures(model, valid.Images, batchSize);
            var result = new ProbeAccuracy(
                LinearProbe(ft, train.Labels, fv, valid.Labels, train.Classes.Count, options),
                NearestNeighbour(ft, train.Labels, fv, valid.Labels));
            task.Advance(1, $"{(pretrained ? "pretrained" : "random init")}: linear {result.LinearProbe:P0}, 1-NN {result.NearestNeighbour:P0}");
            return result;
        }
        var withWeights = Probe(pretrained: true);
        var random = Probe(pretrained: false);
        long majority = train.Labels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        return new FeatureProbeResult(architecture, train.Labels.Length, valid.Labels.Length,
            valid.Labels.Count(l => l == majority) / (double)valid.Labels.Length, withWeights, random);
    }

    static (Tensor Train, Tensor Valid) Standardise(Tensor train, Tensor valid)
    {
        var x = train.to(float32, CPU);
        var mean = x.mean([0], keepdim: true);
        // A channel constant over the training split carries nothing; dividing by ~0 would only amplify noise.
        var std = x.std(0, unbiased: false, keepdim: true).clamp_min(1e-6);
        return ((x - mean) / std, (valid.to(float32, CPU) - mean) / std);
    }

    static double Accuracy(Tensor predicted, long[] labels)
    {
        var p = predicted.to(int64).data<long>().ToArray();
        return p.Zip(labels).Count(t => t.First == t.Second) / (double)labels.Length;
    }

    static void Check(Tensor trainFeatures, long[] trainLabels, Tensor validFeatures, long[] validLabels, int? classes)
    {
        if (trainFeatures.dim() != 2 || validFeatures.dim() != 2 || trainFeatures.shape[1] != validFeatures.shape[1])
            throw new ArgumentException($"features: expected N×C training and M×C validation matrices, found [{string.Join(", ", trainFeatures.shape)}] and [{string.Join(", ", validFeatures.shape)}].");
        if (trainFeatures.shape[0] != trainLabels.Length || validFeatures.shape[0] != validLabels.Length)
            throw new ArgumentException($"labels: expected one per feature row, found {trainLabels.Length} for {trainFeatures.shape[0]} training rows and {validLabels.Length} for {validFeatures.shape[0]} validation rows.");
        if (trainLabels.Length == 0 || validLabels.Length == 0)
            throw new ArgumentException("features: expected at least one training and one validation row, found none.");
        if (classes is { } k)
        {
            if (k < 2) throw new ArgumentException($"classes: expected at least 2, found {k}.");
            var bad = trainLabels.Concat(validLabels).Select((l, i) => (l, i)).FirstOrDefault(t => t.l < 0 || t.l >= k, (-1, -1));
            if (bad.i >= 0) throw new ArgumentException($"labels: expected class codes in 0..{k - 1}, found {bad.l} (label {bad.i}, counting training then validation).");
        }
    }
}
