namespace PneuKnow.Data;

/// <summary>Where a manifest's annotations come from.</summary>
public enum AnnotationFormat
{
    /// <summary>The authors' layout: <c>roi/&lt;file&gt;</c> is the image with everything outside the regions suppressed (mask = ROI &gt; 0, or <c>masks/&lt;file&gt;</c> when that folder exists).</summary>
    RoiImages,
    /// <summary>Binary mask images <c>masks/&lt;file&gt;</c> (any non-zero pixel is inside); ROI = image × mask.</summary>
    MaskImages,
    /// <summary>An RSNA-style box CSV <c>patientId,x,y,width,height,Target</c>, <c>patientId</c> = file name without extension.</summary>
    RsnaBoxes,
    /// <summary>A JSON object mapping file names to a list of regions, each a list of <c>[x, y]</c> points.</summary>
    Polygons,
}

/// <summary>An annotation of one image, in the image's own pixel coordinates.</summary>
public abstract record Annotation;

/// <summary>The authors' ROI image, plus the mask image when one exists.</summary>
/// <param name="RoiPath">The ROI image.</param>
/// <param name="MaskPath">A mask image, or null to derive the mask as ROI &gt; 0.</param>
public sealed record RoiImageAnnotation(string RoiPath, string? MaskPath) : Annotation;

/// <summary>A binary mask image.</summary>
/// <param name="MaskPath">The mask image.</param>
public sealed record MaskImageAnnotation(string MaskPath) : Annotation;

/// <summary>An axis-aligned box in pixels; a pixel belongs to it when its centre lies inside.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public sealed record Box(double X, double Y, double Width, double Height);

/// <summary>Bounding boxes (empty: nothing annotated).</summary>
/// <param name="Boxes">The boxes.</param>
public sealed record BoxAnnotation(IReadOnlyList<Box> Boxes) : Annotation
{
    /// <inheritdoc />
    public bool Equals(BoxAnnotation? other) => other is not null && Boxes.SequenceEqual(other.Boxes);
    /// <inheritdoc />
    public override int GetHashCode() => Boxes.Count;
}

/// <summary>Polygons (empty: nothing annotated); a pixel belongs to a region when its centre lies inside (even-odd).</summary>
/// <param name="Regions">Each region's vertices in pixels.</param>
public sealed record PolygonAnnotation(IReadOnlyList<IReadOnlyList<Vec2>> Regions) : Annotation
{
    /// <inheritdoc />
    public bool Equals(PolygonAnnotation? other) =>
        other is not null && Regions.Count == other.Regions.Count && Regions.Zip(other.Regions).All(z => z.First.SequenceEqual(z.Second));
    /// <inheritdoc />
    public override int GetHashCode() => Regions.Count;
}

/// <summary>Rasterises box and polygon annotations to masks at the image's resolution.</summary>
public static class AnnotationRaster
{
    /// <summary>A 0/1 mask of <paramref name="width"/>×<paramref name="height"/> for boxes.</summary>
    public static byte[] Boxes(IReadOnlyList<Box> boxes, int width, int height)
    {
        var m = new byte[width * height];
        foreach (var b in boxes)
        {
            // Pixel centres x+0.5 in [X, X+W): columns ceil(X-0.5) .. ceil(X+W-0.5)-1.
            int x0 = Math.Max(0, (int)Math.Ceiling(b.X - 0.5)), x1 = Math.Min(width, (int)Math.Ceiling(b.X + b.Width - 0.5));
            int y0 = Math.Max(0, (int)Math.Ceiling(b.Y - 0.5)), y1 = Math.Min(height, (int)Math.Ceiling(b.Y + b.Height - 0.5));
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[y * width + x] = 1;
        }
        return m;
    }

    /// <summary>A 0/1 mask for polygons: a pixel is inside when its centre is inside any region (even-odd per region).</summary>
    public static byte[] Polygons(IReadOnlyList<IReadOnlyList<Vec2>> regions, int width, int height)
    {
        var m = new byte[width * height];
        var xs = new List<double>();
        foreach (var poly in regions)
        {
            int n = poly.Count;
            if (n < 3) continue;
            int y0 = Math.Max(0, (int)Math.Floor(poly.Min(p => p.Y))), y1 = Math.Min(height - 1, (int)Math.Ceiling(poly.Max(p => p.Y)));
            for (int y = y0; y <= y1; y++)
            {
                double cy = y + 0.5;
                xs.Clear();
                for (int i = 0, j = n - 1; i < n; j = i++)
                {
                    var a = poly[i]; var b = poly[j];
                    if ((a.Y > cy) != (b.Y > cy)) xs.Add(a.X + (cy - a.Y) / (b.Y - a.Y) * (b.X - a.X));
                }
                xs.Sort();
                for (int k = 0; k + 1 < xs.Count; k += 2)
                {
                    // Centres x+0.5 in [xa, xb).
                    int xa = Math.Max(0, (int)Math.Ceiling(xs[k] - 0.5)), xb = Math.Min(width, (int)Math.Ceiling(xs[k + 1] - 0.5));
                    for (int x = xa; x < xb; x++) m[y * width + x] = 1;
                }
            }
        }
        return m;
    }
}
