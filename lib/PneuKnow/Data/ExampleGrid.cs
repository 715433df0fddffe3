using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Data;

/// <summary>
/// A figure of examples: one row per shown image, three panels each (image | ROI | mask), classes top to bottom
/// in code order, separated by a thin gap. Returned as PNG bytes so notebooks and reports can embed it.
/// </summary>
public static class ExampleGrid
{
    /// <summary>The indices shown: the first <paramref name="perClass"/> examples of each class, in class-code order.</summary>
    public static IReadOnlyList<int> Pick(IAnnotatedImageSet set, int perClass) =>
        Enumerable.Range(0, set.Classes.Count)
            .SelectMany(c => Enumerable.Range(0, set.Count).Where(i => set.LabelOf(i) == c).Take(perClass))
            .ToList();

    /// <summary>Renders <see cref="Pick"/>'s examples as a PNG (8-bit grayscale), <paramref name="gap"/> pixels between panels.</summary>
    public static byte[] Png(IAnnotatedImageSet set, int perClass = 2, int gap = 4)
    {
        var picks = Pick(set, perClass);
        if (picks.Count == 0) throw new ArgumentException("ExampleGrid: expected a set with at least one image, found none.", nameof(set));
        var first = set.Get(picks[0]);
        int h = first.Height, w = first.Width;
        int width = 3 * w + 2 * gap, height = picks.Count * h + (picks.Count - 1) * gap;
        var canvas = new byte[width * height];
        Array.Fill(canvas, (byte)96); // mid-grey gaps tell the black ROI background from the frame
        for (int r = 0; r < picks.Count; r++)
        {
            var item = set.Get(picks[r]);
            var planes = new[] { item.Image, item.Roi, item.Mask };
            for (int p = 0; p < 3; p++)
                for (int y = 0; y < h; y++)
                    Array.Copy(planes[p], y * w, canvas, (r * (h + gap) + y) * width + p * (w + gap), w);
        }
        using var img = Image.LoadPixelData<L8>(canvas, width, height);
        using var ms = new MemoryStream();
        img.Save(ms, new PngEncoder { ColorType = PngColorType.Grayscale });
        return ms.ToArray();
    }
}
