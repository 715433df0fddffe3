using PneuKnow.Data;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Explain;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) on a backbone's last feature map A = <see cref="Backbone.Features"/>:
/// the gradient of the target class's logit from <see cref="Backbone.Head"/> with respect to A, averaged
/// over space, weights A's channels; the ReLU of the weighted sum is upsampled bilinearly to the input size.
/// The model is evaluated in eval mode (dropout off, batch-norm statistics frozen) and its mode restored.
/// </summary>
public static class GradCam
{
    /// <summary>CAMs of a normalised batch N×3×H×W for one class per image.</summary>
    /// <param name="model">The network.</param>
    /// <param name="input">Normalised input (see <see cref="Backbone.Normalize"/>) on the model's device.</param>
    /// <param name="target">Which class to explain per image.</param>
    /// <param name="labels">True class codes, needed for <see cref="CamTarget.Label"/>.</param>
    /// <param name="indices">Image indices to record in the maps; 0..N-1 if null.</param>
    /// <exception cref="ArgumentException">A class code outside the model's classes, or labels missing for <see cref="CamTarget.Label"/>.</exception>
    public static CamMap[] Compute(Backbone model, Tensor input, CamTarget target, IReadOnlyList<int>? labels = null, IReadOnlyList<int>? indices = null) =>
        Compute(model, input, [target], labels, indices)[0];

    /// <summary>
    /// CAMs of a normalised batch for several targets at once, one array per target in <paramref name="targets"/>' order:
    /// the backbone's forward pass is shared (only the head is differentiated per target), so a second target costs
    /// little more than the first.
    /// </summary>
    /// <param name="model">The network.</param>
    /// <param name="input">Normalised input on the model's device.</param>
    /// <param name="targets">Which class to explain per image, one entry per set of maps.</param>
    /// <param name="labels">True class codes, needed for <see cref="CamTarget.Label"/>.</param>
    /// <param name="indices">Image indices to record in the maps; 0..N-1 if null.</param>
    /// <exception cref="ArgumentException">A class code outside the model's classes, or labels missing for <see cref="CamTarget.Label"/>.</exception>
    public static CamMap[][] Compute(Backbone model, Tensor input, IReadOnlyList<CamTarget> targets, IReadOnlyList<int>? labels = null, IReadOnlyList<int>? indices = null)
    {
        int n = (int)input.shape[0], height = (int)input.shape[2], width = (int)input.shape[3];
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            Tensor features;
            using (no_grad()) features = model.Features(input);
            using var gradScope = enable_grad();
            features = features.detach().requires_grad_(true);
            var logits = model.Head(features);
            return targets.Select((target, t) => Maps(target, retain: t < targets.Count - 1)).ToArray();

            CamMap[] Maps(CamTarget target, bool retain)
            {
                var classes = target switch
                {
                    CamTarget.PredictedClass => logits.argmax(1).to(ScalarType.Int64).cpu().data<long>().Select(c => (int)c).ToArray(),
                    CamTarget.TrueClass => labels is { } l && l.Count == n ? l.ToArray()
                        : throw new ArgumentException($"Expected {n} labels to explain the true class, found {labels?.Count.ToString() ?? "none"}.", nameof(labels)),
                    CamTarget.FixedClass f => Enumerable.Repeat(f.Code, n).ToArray(),
                    _ => throw new ArgumentException($"Unknown target {target}.", nameof(target)),
                };
                foreach (var c in classes)
                    if ((uint)c >= model.Classes) throw new ArgumentException($"Expected a class code in 0..{model.Classes - 1}, found {c}.", nameof(target));
                var index = tensor(classes.Select(c => (long)c).ToArray(), device: logits.device).view(-1, 1);
                var selected = logits.gather(1, index);
                var gradient = autograd.grad([selected.sum()], [features], retain_graph: retain)[0];
                var weights = gradient.mean([2, 3], keepdim: true);
                var cam = nn.functional.relu((weights * features.detach()).sum(1, keepdim: true));
                cam = nn.functional.interpolate(cam, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
                var values = cam.squeeze(1).to(ScalarType.Float32).cpu().data<float>().ToArray();
                var probabilities = nn.functional.softmax(logits.detach(), 1).gather(1, index).to(ScalarType.Float64).cpu().data<double>().ToArray();
                int plane = height * width;
                return Enumerable.Range(0, n).Select(i => new CamMap(indices?[i] ?? i, classes[i], probabilities[i], height, width,
                    values.AsSpan(i * plane, plane).ToArray())).ToArray();
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// CAMs of images of a dataset, in batches: each 8-bit gray plane is scaled to [0, 1], replicated to 3
    /// channels and passed through <see cref="Backbone.Normalize"/>.
    /// </summary>
    /// <param name="model">The network (on <paramref name="device"/>).</param>
    /// <param name="images">The dataset; images are used at its working size.</param>
    /// <param name="indices">Which images.</param>
    /// <param name="target">Which class to explain.</param>
    /// <param name="plane">The full image or the ROI image as input.</param>
    /// <param name="batchSize">Images per forward/backward pass.</param>
    /// <param name="device">Where to compute; CPU if null.</param>
    /// <param name="progress">Progress per batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..Count-1 of the dataset.</exception>
    public static IReadOnlyList<CamMap> OfImages(Backbone model, IAnnotatedImageSet images, IReadOnlyList<int> indices, CamTarget target,
        ImagePlane plane = ImagePlane.Image, int batchSize = 16, Device? device = null, IProgress? progress = null) =>
        OfImages(model, images, indices, [target], plane, batchSize, device, progress)[0];

    /// <summary>CAMs of images of a dataset for several targets, one list per target, sharing each batch's forward pass.</summary>
    /// <param name="model">The network (on <paramref name="device"/>).</param>
    /// <param name="images">The dataset; images are used at its working size.</param>
    /// <param name="indices">Which images.</param>
    /// <param name="targets">Which classes to explain.</param>
    /// <param name="plane">The full image or the ROI image as input.</param>
    /// <param name="batchSize">Images per forward/backward pass.</param>
    /// <param name="device">Where to compute; CPU if null.</param>
    /// <param name="progress">Progress per batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index outside 0..Count-1 of the dataset.</exception>
    public static IReadOnlyList<IReadOnlyList<CamMap>> OfImages(Backbone model, IAnnotatedImageSet images, IReadOnlyList<int> indices, IReadOnlyList<CamTarget> targets,
        ImagePlane plane = ImagePlane.Image, int batchSize = 16, Device? device = null, IProgress? progress = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Expected a batch size of at least 1.");
        foreach (var i in indices)
            if ((uint)i >= images.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Expected image indices in 0..{images.Count - 1} of the dataset, found {i}.");
        device ??= CPU;
        var maps = targets.Select(_ => new List<CamMap>(indices.Count)).ToArray();
        using var task = (progress ?? SilentProgress.Instance).Start(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Grad-CAM of {indices.Count} images"), (indices.Count + batchSize - 1) / batchSize);
        for (int start = 0; start < indices.Count; start += batchSize)
        {
            var batch = indices.Skip(start).Take(batchSize).ToArray();
            var examples = batch.Select(images.Get).ToArray();
            using var scope = NewDisposeScope();
            var input = model.Normalize(ToRgb01(examples, plane).to(device));
            var computed = Compute(model, input, targets, examples.Select(e => e.Label).ToArray(), batch);
            for (int t = 0; t < targets.Count; t++) maps[t].AddRange(computed[t]);
            task.Advance();
        }
        return maps;
    }

    /// <summary>N×3×H×W float in [0, 1] from the chosen gray plane of each example (all of one size).</summary>
    /// <exception cref="ArgumentException">Examples of different sizes.</exception>
    public static Tensor ToRgb01(IReadOnlyList<AnnotatedImage> examples, ImagePlane plane)
    {
        int h = examples[0].Height, w = examples[0].Width;
        var data = new float[examples.Count * h * w];
        for (int n = 0; n < examples.Count; n++)
        {
            var e = examples[n];
            if (e.Height != h || e.Width != w)
                throw new ArgumentException($"Example {n}: expected {h}×{w} like the first example of the batch, found {e.Height}×{e.Width}.", nameof(examples));
            var pixels = plane == ImagePlane.Roi ? e.Roi : e.Image;
            for (int i = 0; i < h * w; i++) data[n * h * w + i] = pixels[i] / 255f;
        }
        return tensor(data, [examples.Count, 1, h, w]).expand(examples.Count, 3, h, w).contiguous();
    }
}
