using System.Runtime.Intrinsics;
using PneuKnow.Data;

namespace PneuKnow.Augmentation;

/// <summary>
/// An 8-bit picture as the reference pipeline sees it: albumentations gets 3-channel RGB from
/// cv2, and a grayscale X-ray arrives as three equal channels. While the channels are equal it is
/// stored once (<see cref="IsGray"/>); a transform that makes them differ (HueSaturationValue
/// tints a gray picture) turns it into three planes. Row-major, <c>Height×Width</c> per plane.
/// </summary>
public sealed class ColorPlanes
{
    /// <summary>One plane (gray: R = G = B) or three (R, G, B).</summary>
    public byte[][] Planes { get; private set; }

    /// <summary>True while R = G = B, stored as one plane.</summary>
    public bool IsGray => Planes.Length == 1;

    /// <summary>Wraps gray or RGB planes (not copied).</summary>
    /// <exception cref="ArgumentException">Not 1 or 3 planes, or planes of different lengths.</exception>
    public ColorPlanes(params byte[][] planes)
    {
        if (planes.Length is not (1 or 3))
            throw new ArgumentException($"expected 1 (gray) or 3 (RGB) planes, found {planes.Length}", nameof(planes));
        if (planes.Any(p => p.Length != planes[0].Length))
            throw new ArgumentException($"expected planes of equal length, found {string.Join(", ", planes.Select(p => p.Length))}", nameof(planes));
        Planes = planes;
    }

    /// <summary>Replaces the planes (after a transform produced new ones).</summary>
    public void Replace(params byte[][] planes) => Planes = new ColorPlanes(planes).Planes;

    /// <summary>Channel <paramref name="c"/> (0 R, 1 G, 2 B); a gray picture returns its one plane for each.</summary>
    public byte[] Channel(int c) => IsGray ? Planes[0] : Planes[c];
}

/// <summary>
/// What one augmentation draw transforms together (albumentations' <c>image</c>, its
/// <c>additional_targets={'roi': 'image'}</c> and <c>mask</c>): the full image, the ROI image and
/// the expert's mask, all <see cref="Height"/>×<see cref="Width"/>.
/// </summary>
public sealed class PairedPlanes
{
    /// <summary>Rows.</summary>
    public int Height { get; private set; }

    /// <summary>Columns.</summary>
    public int Width { get; private set; }

    /// <summary>The full X-ray.</summary>
    public ColorPlanes Image { get; }

    /// <summary>The ROI image; takes every transform the image takes, with the same draw.</summary>
    public ColorPlanes Roi { get; }

    /// <summary>The mask, 0 or 255; takes only geometric transforms (nearest-neighbour).</summary>
    public byte[] Mask { get; private set; }

    /// <summary>Class code, carried through unchanged.</summary>
    public int Label { get; }

    /// <summary>Wraps the planes (not copied).</summary>
    /// <exception cref="ArgumentException">A plane whose length is not <paramref name="height"/>×<paramref name="width"/>.</exception>
    public PairedPlanes(int height, int width, ColorPlanes image, ColorPlanes roi, byte[] mask, int label)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"expected a positive size, found {height}×{width}");
        var n = height * width;
        void Check(string what, byte[] p)
        {
            if (p.Length != n) throw new ArgumentException($"{what}: expected {height}×{width} = {n} bytes, found {p.Length}");
        }
        foreach (var p in image.Planes) Check("image", p);
        foreach (var p in roi.Planes) Check("roi", p);
        Check("mask", mask);
        (Height, Width, Image, Roi, Mask, Label) = (height, width, image, roi, mask, label);
    }

    /// <summary>A copy of a dataset example (the dataset's arrays are never modified).</summary>
    /// <exception cref="ArgumentException">The example's arrays do not match its size.</exception>
    public static PairedPlanes From(AnnotatedImage example) =>
        new(example.Height, example.Width,
            new ColorPlanes((byte[])example.Image.Clone()), new ColorPlanes((byte[])example.Roi.Clone()),
            (byte[])example.Mask.Clone(), example.Label);

    /// <summary>Installs the result of a geometric transform that may change the size.</summary>
    public void Resized(int height, int width, byte[][] image, byte[][] roi, byte[] mask)
    {
        Height = height;
        Width = width;
        Image.Replace(image);
        Roi.Replace(roi);
        Mask = mask;
    }

    /// <summary>
    /// Writes the image (or ROI) as 3×H×W floats in [0, 1] (value / 255), gray replicated to the
    /// three channels, into <paramref name="destination"/>.
    /// </summary>
    public static void WriteChannelsFirst(ColorPlanes planes, Span<float> destination)
    {
        var n = planes.Planes[0].Length;
        if (destination.Length < 3 * n) throw new ArgumentException($"expected room for {3 * n} floats, found {destination.Length}", nameof(destination));
        if (planes.IsGray)
        {
            // Convert once, then copy: a block copy is cheaper than two more table passes.
            var first = destination[..n];
            ToUnit(planes.Planes[0], first);
            first.CopyTo(destination.Slice(n, n));
            first.CopyTo(destination.Slice(2 * n, n));
            return;
        }
        for (var c = 0; c < 3; c++) ToUnit(planes.Planes[c], destination.Slice(c * n, n));
    }

    /// <summary>Writes the mask as H×W floats, 1 inside the expert's regions (nonzero) and 0 outside.</summary>
    public void WriteMask(Span<float> destination)
    {
        var m = Mask;
        if (destination.Length < m.Length) throw new ArgumentException($"expected room for {m.Length} floats, found {destination.Length}", nameof(destination));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<uint>.One;
            for (; i <= m.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create<byte>(m.AsSpan(i)));
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                var o = destination[i..];
                Vector256.ConvertToSingle(Vector256.Min(a, one)).CopyTo(o);
                Vector256.ConvertToSingle(Vector256.Min(b, one)).CopyTo(o[8..]);
                Vector256.ConvertToSingle(Vector256.Min(c, one)).CopyTo(o[16..]);
                Vector256.ConvertToSingle(Vector256.Min(d, one)).CopyTo(o[24..]);
            }
        }
        for (; i < m.Length; i++) destination[i] = m[i] != 0 ? 1f : 0f;
    }

    // v / 255 exactly as float division gives it (v · (1/255f) is off by an ulp for some v): the vector path divides too,
    // and IEEE division is correctly rounded lane by lane, so both paths give the same bits.
    static void ToUnit(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(255f);
            for (; i <= source.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(source[i..]));
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                var o = destination[i..];
                (Vector256.ConvertToSingle(a) / scale).CopyTo(o);
                (Vector256.ConvertToSingle(b) / scale).CopyTo(o[8..]);
                (Vector256.ConvertToSingle(c) / scale).CopyTo(o[16..]);
                (Vector256.ConvertToSingle(d) / scale).CopyTo(o[24..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = source[i] / 255f;
    }
}
