using PneuKnow.Augmentation;
using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Augmentation;

/// <summary>The OpenCV reference files under tests/PneuKnow.Tests/Fixtures/Augmentation (see make_augmentation_fixtures.py).</summary>
internal static class Fixtures
{
    static readonly Lazy<string> Dir = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "PneuKnow.Tests", "Fixtures", "Augmentation");
            if (File.Exists(Path.Combine(d.FullName, "PneuKnow.sln")) && Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/PneuKnow.Tests/Fixtures/Augmentation not found above {AppContext.BaseDirectory}");
    });

    public static string PathOf(string name) => Path.Combine(Dir.Value, name);

    public static (byte[] Pixels, int Height, int Width) Gray(string name)
    {
        using var img = Image.Load<L8>(PathOf(name));
        var p = new byte[img.Height * img.Width];
        for (var y = 0; y < img.Height; y++)
        for (var x = 0; x < img.Width; x++)
            p[y * img.Width + x] = img[x, y].PackedValue;
        return (p, img.Height, img.Width);
    }

    public static (byte[] R, byte[] G, byte[] B) Rgb(string name)
    {
        using var img = Image.Load<Rgb24>(PathOf(name));
        var n = img.Height * img.Width;
        byte[] r = new byte[n], g = new byte[n], b = new byte[n];
        for (var y = 0; y < img.Height; y++)
        for (var x = 0; x < img.Width; x++)
        {
            var px = img[x, y];
            (r[y * img.Width + x], g[y * img.Width + x], b[y * img.Width + x]) = (px.R, px.G, px.B);
        }
        return (r, g, b);
    }

    public static double[] CsvRow(string name) =>
        File.ReadAllLines(PathOf(name))[0].Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static IEnumerable<double[]> CsvRows(string name) =>
        File.ReadAllLines(PathOf(name)).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray());

    /// <summary>Share of pixels within <paramref name="tolerance"/> grey levels, and the largest difference.</summary>
    public static (double Share, int MaxDiff) Agreement(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected, int tolerance = 1)
    {
        Assert.Equal(expected.Length, actual.Length);
        int ok = 0, max = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs(actual[i] - expected[i]);
            if (d <= tolerance) ok++;
            max = Math.Max(max, d);
        }
        return ((double)ok / actual.Length, max);
    }
}

/// <summary>
/// An in-memory dataset of structured synthetic chest-like pictures (shading, two bright "lungs", noise),
/// the ROI suppressed outside a rectangle mask; deterministic from its seed. Counts its decodes.
/// </summary>
internal sealed class SyntheticSet : IAnnotatedImageSet
{
    readonly AnnotatedImage[] _items;
    int _gets;

    public SyntheticSet(int count, int height, int width, int seed = 1, int classes = 3)
    {
        var rng = new Random(seed);
        Classes = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        _items = Enumerable.Range(0, count).Select(i => Make(rng, height, width, i % classes)).ToArray();
    }

    public SyntheticSet(IEnumerable<AnnotatedImage> items)
    {
        _items = items.ToArray();
        Classes = ["a", "b", "c"];
    }

    static AnnotatedImage Make(Random rng, int h, int w, int label)
    {
        var image = new byte[h * w];
        var mask = new byte[h * w];
        var roi = new byte[h * w];
        int y0 = rng.Next(h / 4), x0 = rng.Next(w / 4), y1 = h / 2 + rng.Next(h / 3), x1 = w / 2 + rng.Next(w / 3);
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var dl = Math.Pow((x - 0.3 * w) / (0.2 * w), 2) + Math.Pow((y - 0.5 * h) / (0.3 * h), 2);
            var dr = Math.Pow((x - 0.7 * w) / (0.2 * w), 2) + Math.Pow((y - 0.5 * h) / (0.3 * h), 2);
            var v = 40 + 60.0 * x / w + 120 * (Math.Exp(-dl) + Math.Exp(-dr)) + rng.Next(-10, 11);
            var i = y * w + x;
            image[i] = (byte)Math.Clamp(v, 0, 255);
            mask[i] = y >= y0 && y < y1 && x >= x0 && x < x1 ? (byte)255 : (byte)0;
            roi[i] = mask[i] != 0 ? image[i] : (byte)0;
        }
        return new AnnotatedImage(h, w, image, roi, mask, label);
    }

    public int Gets => Volatile.Read(ref _gets);
    public int Count => _items.Length;
    public IReadOnlyList<string> Classes { get; }
    public int LabelOf(int index) => _items[index].Label;

    public AnnotatedImage Get(int index)
    {
        Interlocked.Increment(ref _gets);
        return _items[index];
    }
}

internal static class Planes
{
    public static PairedPlanes Of(byte[] image, byte[] roi, byte[] mask, int h, int w) =>
        new(h, w, new ColorPlanes((byte[])image.Clone()), new ColorPlanes((byte[])roi.Clone()), (byte[])mask.Clone(), 0);
}
