using PneuKnow.Data;

namespace PneuKnow.Cli.Commands.Augmentation;

/// <summary>
/// An in-memory stand-in for a decoded dataset, for benchmarks only: chest-like pictures (horizontal
/// shading, two bright elliptical "lungs", ribs as faint stripes, pixel noise), an ROI that keeps one
/// or two rectangles of the image and a matching 0/255 mask. Deterministic from the seed.
/// </summary>
internal sealed class SyntheticChestSet : IAnnotatedImageSet
{
    readonly AnnotatedImage[] _items;

    public SyntheticChestSet(int count, int size, int seed = 1)
    {
        var rng = new Random(seed);
        _items = Enumerable.Range(0, count).Select(i => Make(rng, size, i % Classes.Count)).ToArray();
    }

    public int Count => _items.Length;
    public IReadOnlyList<string> Classes { get; } = ["B", "C", "NB", "P", "V"];
    public int LabelOf(int index) => _items[index].Label;
    public AnnotatedImage Get(int index) => _items[index];

    static AnnotatedImage Make(Random rng, int n, int label)
    {
        var image = new byte[n * n];
        var roi = new byte[n * n];
        var mask = new byte[n * n];
        var boxes = Enumerable.Range(0, 1 + rng.Next(2)).Select(_ =>
        {
            int y0 = rng.Next(n / 2), x0 = rng.Next(n / 2);
            return (y0, x0, y1: y0 + n / 8 + rng.Next(n / 3), x1: x0 + n / 8 + rng.Next(n / 3));
        }).ToArray();
        double lx = 0.3 + 0.05 * rng.NextDouble(), rx = 0.7 - 0.05 * rng.NextDouble(), bright = 80 + 60 * rng.NextDouble();
        for (var y = 0; y < n; y++)
        for (var x = 0; x < n; x++)
        {
            double u = (double)x / n, v = (double)y / n;
            var lungs = Math.Exp(-(Math.Pow((u - lx) / 0.16, 2) + Math.Pow((v - 0.5) / 0.3, 2)))
                      + Math.Exp(-(Math.Pow((u - rx) / 0.16, 2) + Math.Pow((v - 0.5) / 0.3, 2)));
            var value = 30 + 50 * u + bright * lungs + 12 * Math.Sin(v * 40) + rng.Next(-8, 9);
            var i = y * n + x;
            image[i] = (byte)Math.Clamp(value, 0, 255);
            var inside = boxes.Any(b => y >= b.y0 && y < b.y1 && x >= b.x0 && x < b.x1);
            mask[i] = inside ? (byte)255 : (byte)0;
            roi[i] = inside ? image[i] : (byte)0;
        }
        return new AnnotatedImage(n, n, image, roi, mask, label);
    }
}
