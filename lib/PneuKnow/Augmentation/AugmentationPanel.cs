using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Augmentation;

/// <summary>One augmentation draw of a dataset example: the image, ROI and mask that drew it together.</summary>
/// <param name="Index">Index of the example in its dataset.</param>
/// <param name="Draw">Which draw: the epoch whose augmentation it is (the loader draws from (seed, epoch, index)).</param>
/// <param name="Planes">The augmented image, ROI and mask.</param>
public sealed record AugmentedExample(int Index, int Draw, PairedPlanes Planes);

/// <summary>
/// Augmented (image, ROI, mask) triples as a <see cref="BatchLoader"/> seeded the same way would produce them, and a
/// figure of them: one row per draw, image | ROI | mask drawn over the image, so that one can see that the three took
/// the same random draw and the annotation still covers the same anatomy.
/// </summary>
public static class AugmentationPanel
{
    /// <summary>
    /// Draws <paramref name="draws"/> augmentations of each example in <paramref name="indices"/>: draw d is
    /// <see cref="AugmentationPipeline.Apply(AnnotatedImage, long, int, long)"/> with epoch d, exactly what a loader
    /// seeded <paramref name="seed"/> feeds the model for that example in epoch d.
    /// </summary>
    /// <example><code>var triples = AugmentationPanel.Draw(store.All, AugmentationPipeline.Create(AugmentationKind.Strong, 96), [0, 5], draws: 3);</code></example>
    /// <exception cref="ArgumentOutOfRangeException">No indices, an index outside the set, or <paramref name="draws"/> ≤ 0.</exception>
    public static IReadOnlyList<AugmentedExample> Draw(IAnnotatedImageSet set, AugmentationPipeline pipeline, IReadOnlyList<int> indices, int draws, long seed = 0)
    {
        if (indices.Count == 0) throw new ArgumentOutOfRangeException(nameof(indices), "AugmentationPanel: expected at least one example index, found none");
        if (draws <= 0) throw new ArgumentOutOfRangeException(nameof(draws), draws, "AugmentationPanel: expected a positive number of draws");
        foreach (var i in indices)
            if (i < 0 || i >= set.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"AugmentationPanel: expected indices in 0..{set.Count - 1}");
        return indices.SelectMany(i => Enumerable.Range(0, draws).Select(d => new AugmentedExample(i, d, pipeline.Apply(set.Get(i), seed, d, i)))).ToList();
    }

    /// <summary>
    /// Renders triples as an RGB PNG: one row each, image | ROI | image with the mask in translucent red,
    /// <paramref name="gap"/> mid-grey pixels between panels. All triples must have one size.
    /// </summary>
    /// <exception cref="ArgumentException">No triples, or triples of different sizes.</exception>
    public static byte[] Png(IReadOnlyList<AugmentedExample> triples, int gap = 4)
    {
        if (triples.Count == 0) throw new ArgumentException("AugmentationPanel: expected at least one triple, found none", nameof(triples));
        if (gap < 0) throw new ArgumentOutOfRangeException(nameof(gap), gap, "AugmentationPanel: expected a gap ≥ 0");
        int h = triples[0].Planes.Height, w = triples[0].Planes.Width;
        foreach (var t in triples)
            if (t.Planes.Height != h || t.Planes.Width != w)
                throw new ArgumentException($"AugmentationPanel: expected triples of one size {h}×{w}, found {t.Planes.Height}×{t.Planes.Width} (example {t.Index}, draw {t.Draw})", nameof(triples));
        int width = 3 * w + 2 * gap, height = triples.Count * h + (triples.Count - 1) * gap;
        var canvas = new Rgb24[width * height];
        Array.Fill(canvas, new Rgb24(96, 96, 96));
        for (var r = 0; r < triples.Count; r++)
        {
            var p = triples[r].Planes;
            for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var i = y * w + x;
                var at = (r * (h + gap) + y) * width + x;
                var image = new Rgb24(p.Image.Channel(0)[i], p.Image.Channel(1)[i], p.Image.Channel(2)[i]);
                canvas[at] = image;
                canvas[at + w + gap] = new Rgb24(p.Roi.Channel(0)[i], p.Roi.Channel(1)[i], p.Roi.Channel(2)[i]);
                canvas[at + 2 * (w + gap)] = p.Mask[i] != 0
                    ? new Rgb24((byte)((image.R + 255) / 2), (byte)(image.G / 2), (byte)(image.B / 2))
                    : image;
            }
        }
        using var img = Image.LoadPixelData<Rgb24>(canvas, width, height);
        using var ms = new MemoryStream();
        img.Save(ms, new PngEncoder { ColorType = PngColorType.Rgb });
        return ms.ToArray();
    }
}
