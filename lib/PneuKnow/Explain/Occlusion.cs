using PneuKnow.Data;
using PneuKnow.Models;
using static TorchSharp.torch;

namespace PneuKnow.Explain;

/// <summary>
/// Occlusion as a faithfulness check that needs no explanation method: how much the probability of the true class falls
/// when the expert's region is hidden, against hiding a region of equal area elsewhere (the mask mirrored left-right,
/// roughly the same place in the other lung). A model whose decision rests on the annotated finding loses more from
/// the first than from the second.
/// </summary>
public static class Occlusion
{
    /// <summary>The mask mirrored left-right (same area, same rows; row-major <paramref name="height"/>×<paramref name="width"/>).</summary>
    /// <exception cref="ArgumentException">The mask is not height × width.</exception>
    public static byte[] Mirror(byte[] mask, int height, int width)
    {
        if (mask.Length != height * width) throw new ArgumentException($"Expected a {height}×{width} mask ({height * width} pixels), found {mask.Length}.", nameof(mask));
        var mirrored = new byte[mask.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                mirrored[y * width + x] = mask[y * width + width - 1 - x];
        return mirrored;
    }

    /// <summary>
    /// A copy of the example with the region's pixels (image and ROI planes) set to the image's mean intensity: a flat
    /// patch of the image's own brightness hides texture without adding a dark or bright blob the model never saw.
    /// </summary>
    /// <exception cref="ArgumentException">The region is not the example's size.</exception>
    public static AnnotatedImage Occlude(AnnotatedImage example, byte[] region)
    {
        if (region.Length != example.Image.Length)
            throw new ArgumentException($"Expected a region of {example.Image.Length} pixels like the image, found {region.Length}.", nameof(region));
        byte fill = (byte)Math.Round(example.Image.Average(v => (double)v), MidpointRounding.AwayFromZero);
        var image = (byte[])example.Image.Clone();
        var roi = (byte[])example.Roi.Clone();
        for (int i = 0; i < region.Length; i++)
            if (region[i] != 0) (image[i], roi[i]) = (fill, fill);
        return example with { Image = image, Roi = roi };
    }

    /// <summary>The model's softmax probability of each example's true class, in batches, in eval mode (its mode restored).</summary>
    /// <param name="model">The network (on <paramref name="device"/>).</param>
    /// <param name="examples">Examples of one size.</param>
    /// <param name="plane">The plane the model looks at.</param>
    /// <param name="device">Where to compute; CPU if null.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static double[] TrueClassProbabilities(Backbone model, IReadOnlyList<AnnotatedImage> examples, ImagePlane plane = ImagePlane.Image,
        Device? device = null, int batchSize = 16)
    {
        device ??= CPU;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var result = new List<double>(examples.Count);
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                var batch = examples.Skip(start).Take(batchSize).ToArray();
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var logits = model.forward(model.Normalize(GradCam.ToRgb01(batch, plane).to(device)));
                var index = tensor(batch.Select(e => (long)e.Label).ToArray(), device: logits.device).view(-1, 1);
                result.AddRange(nn.functional.softmax(logits, 1).gather(1, index).to(ScalarType.Float64).cpu().data<double>().ToArray());
            }
            return result.ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
