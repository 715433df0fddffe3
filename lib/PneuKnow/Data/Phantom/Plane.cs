using PneuKnow.Runtime;

namespace PneuKnow.Data.Phantom;

/// <summary>
/// A single-channel float image with the drawing operations the phantom needs: anti-aliased
/// polygon and disc coverage, capsule strokes, separable Gaussian blur. Written here because
/// SixLabors.ImageSharp.Drawing is not part of the toolchain, and because owning the
/// rasteriser keeps every pixel deterministic.
/// </summary>
public sealed class Plane
{
    /// <summary>Columns.</summary>
    public int Width { get; }
    /// <summary>Rows.</summary>
    public int Height { get; }
    /// <summary>Row-major pixels.</summary>
    public float[] Data { get; }

    /// <summary>A plane filled with <paramref name="value"/>.</summary>
    public Plane(int width, int height, float value = 0f)
    {
        Width = width; Height = height;
        Data = new float[width * height];
        if (value != 0f) Array.Fill(Data, value);
    }

    /// <summary>Pixel accessor.</summary>
    public float this[int x, int y] { get => Data[y * Width + x]; set => Data[y * Width + x] = value; }

    /// <summary>A copy.</summary>
    public Plane Clone()
    {
        var p = new Plane(Width, Height);
        Array.Copy(Data, p.Data, Data.Length);
        return p;
    }

    private const int SubRows = 4;

    /// <summary>
    /// Adds the anti-aliased coverage (0..1) of a closed polygon (even-odd rule) times
    /// <paramref name="weight"/>: four sub-scanlines per row, exact horizontal span coverage.
    /// </summary>
    public void FillPolygon(IReadOnlyList<Vec2> polygon, float weight = 1f)
    {
        int n = polygon.Count;
        if (n < 3) return;
        double minY = double.MaxValue, maxY = double.MinValue;
        foreach (var p in polygon) { minY = Math.Min(minY, p.Y); maxY = Math.Max(maxY, p.Y); }
        int y0 = Math.Max(0, (int)Math.Floor(minY)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(maxY));
        var xs = new List<double>(16);
        float sub = weight / SubRows;
        for (int y = y0; y <= y1; y++)
        {
            int row = y * Width;
            for (int s = 0; s < SubRows; s++)
            {
                double sy = y + (s + 0.5) / SubRows;
                xs.Clear();
                for (int i = 0, j = n - 1; i < n; j = i++)
                {
                    var a = polygon[i]; var b = polygon[j];
                    if ((a.Y <= sy) != (b.Y <= sy))
                        xs.Add(a.X + (sy - a.Y) / (b.Y - a.Y) * (b.X - a.X));
                }
                xs.Sort();
                for (int k = 0; k + 1 < xs.Count; k += 2)
                    AddSpan(row, Math.Max(0, xs[k]), Math.Min(Width, xs[k + 1]), sub);
            }
        }
    }

    private void AddSpan(int row, double xa, double xb, float w)
    {
        if (xb <= xa) return;
        int ia = (int)Math.Floor(xa), ib = (int)Math.Floor(xb);
        if (ia == ib) { if (ia < Width) Data[row + ia] += (float)(xb - xa) * w; return; }
        Data[row + ia] += (float)(ia + 1 - xa) * w;
        for (int x = ia + 1; x < ib; x++) Data[row + x] += w;
        if (ib < Width) Data[row + ib] += (float)(xb - ib) * w;
    }

    /// <summary>Adds <paramref name="weight"/> × coverage of a disc (one-pixel linear edge).</summary>
    public void FillDisc(Vec2 c, double r, float weight = 1f)
    {
        int x0 = Math.Max(0, (int)Math.Floor(c.X - r - 1)), x1 = Math.Min(Width - 1, (int)Math.Ceiling(c.X + r + 1));
        int y0 = Math.Max(0, (int)Math.Floor(c.Y - r - 1)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(c.Y + r + 1));
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                double d = Math.Sqrt((x + 0.5 - c.X) * (x + 0.5 - c.X) + (y + 0.5 - c.Y) * (y + 0.5 - c.Y));
                double cov = Math.Clamp(r - d + 0.5, 0, 1);
                if (cov > 0) Data[y * Width + x] += (float)cov * weight;
            }
    }

    /// <summary>
    /// Adds a soft radial blob: <paramref name="weight"/> × exp(-(d/σ)²/2), truncated at 3σ.
    /// </summary>
    public void AddGaussianBlob(Vec2 c, double sigma, float weight)
    {
        double r = 3 * sigma;
        int x0 = Math.Max(0, (int)Math.Floor(c.X - r)), x1 = Math.Min(Width - 1, (int)Math.Ceiling(c.X + r));
        int y0 = Math.Max(0, (int)Math.Floor(c.Y - r)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(c.Y + r));
        double k = -0.5 / (sigma * sigma);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                double dx = x + 0.5 - c.X, dy = y + 0.5 - c.Y;
                Data[y * Width + x] += weight * (float)Math.Exp(k * (dx * dx + dy * dy));
            }
    }

    /// <summary>
    /// Raises pixels to at least <paramref name="weight"/> × coverage of a capsule of half-width
    /// <paramref name="halfWidth"/> around each segment of a polyline (max, so joints do not double up).
    /// A negative or zero halfWidth draws nothing.
    /// </summary>
    public void StrokePolyline(IReadOnlyList<Vec2> line, double halfWidth, float weight = 1f)
    {
        if (halfWidth <= 0) return;
        for (int i = 0; i + 1 < line.Count; i++) StrokeSegment(line[i], line[i + 1], halfWidth, weight);
    }

    private void StrokeSegment(Vec2 a, Vec2 b, double hw, float weight)
    {
        int x0 = Math.Max(0, (int)Math.Floor(Math.Min(a.X, b.X) - hw - 1)), x1 = Math.Min(Width - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + hw + 1));
        int y0 = Math.Max(0, (int)Math.Floor(Math.Min(a.Y, b.Y) - hw - 1)), y1 = Math.Min(Height - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + hw + 1));
        var ab = b - a;
        double len2 = ab.X * ab.X + ab.Y * ab.Y;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                var p = new Vec2(x + 0.5, y + 0.5) - a;
                double t = len2 > 0 ? Math.Clamp((p.X * ab.X + p.Y * ab.Y) / len2, 0, 1) : 0;
                double dx = p.X - t * ab.X, dy = p.Y - t * ab.Y;
                double cov = Math.Clamp(hw - Math.Sqrt(dx * dx + dy * dy) + 0.5, 0, 1);
                float v = (float)cov * weight;
                int idx = y * Width + x;
                if (v > Data[idx]) Data[idx] = v;
            }
    }

    /// <summary>Clamps every pixel to [lo, hi].</summary>
    public void Clamp(float lo = 0f, float hi = 1f)
    {
        var d = Data;
        for (int i = 0; i < d.Length; i++) d[i] = Math.Clamp(d[i], lo, hi);
    }

    /// <summary>Separable Gaussian blur with standard deviation <paramref name="sigma"/> pixels (edges clamped).</summary>
    public void GaussianBlur(double sigma)
    {
        if (sigma < 0.3) return;
        if (sigma > 3) { BoxBlur3(sigma); return; }
        int r = (int)Math.Ceiling(3 * sigma);
        var k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) { k[i + r] = (float)Math.Exp(-0.5 * i * i / (sigma * sigma)); sum += k[i + r]; }
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        var tmp = new float[Data.Length];
        int w = Width, h = Height;
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                float acc = 0;
                for (int i = -r; i <= r; i++) acc += k[i + r] * Data[row + Math.Clamp(x + i, 0, w - 1)];
                tmp[row + x] = acc;
            }
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float acc = 0;
                for (int i = -r; i <= r; i++) acc += k[i + r] * tmp[Math.Clamp(y + i, 0, h - 1) * w + x];
                Data[y * w + x] = acc;
            }
    }

    // Three box passes per axis approximate a Gaussian (central limit) at O(1) cost per pixel for wide kernels.
    private void BoxBlur3(double sigma)
    {
        int r = Math.Max(1, (int)Math.Round((Math.Sqrt(4 * sigma * sigma + 1) - 1) / 2));
        var tmp = new float[Math.Max(Width, Height)];
        for (int pass = 0; pass < 3; pass++)
        {
            for (int y = 0; y < Height; y++) BoxLine(Data, y * Width, 1, Width, r, tmp);
            for (int x = 0; x < Width; x++) BoxLine(Data, x, Width, Height, r, tmp);
        }
    }

    private static void BoxLine(float[] d, int start, int stride, int n, int r, float[] tmp)
    {
        double acc = 0;
        for (int i = -r; i <= r; i++) acc += d[start + Math.Clamp(i, 0, n - 1) * stride];
        float inv = 1f / (2 * r + 1);
        for (int i = 0; i < n; i++)
        {
            tmp[i] = (float)(acc * inv);
            acc += d[start + Math.Min(i + r + 1, n - 1) * stride] - d[start + Math.Max(i - r, 0) * stride];
        }
        for (int i = 0; i < n; i++) d[start + i * stride] = tmp[i];
    }

    /// <summary>
    /// Smooth value noise in [-1, 1]: random values on a grid of <paramref name="cells"/> cells across
    /// the larger side, interpolated with a smoothstep. Models low-frequency texture (parenchyma, haze).
    /// </summary>
    public static Plane ValueNoise(int width, int height, int cells, SplitMix64 rng)
    {
        int gw = cells + 2, gh = (int)Math.Ceiling(cells * (double)height / width) + 2;
        var g = new float[gw * gh];
        for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1);
        var p = new Plane(width, height);
        double scale = (double)cells / Math.Max(width, height);
        for (int y = 0; y < height; y++)
        {
            double gy = (y + 0.5) * scale; int iy = (int)gy; double fy = gy - iy; fy = fy * fy * (3 - 2 * fy);
            for (int x = 0; x < width; x++)
            {
                double gx = (x + 0.5) * scale; int ix = (int)gx; double fx = gx - ix; fx = fx * fx * (3 - 2 * fx);
                double a = g[iy * gw + ix], b = g[iy * gw + ix + 1], c = g[(iy + 1) * gw + ix], d = g[(iy + 1) * gw + ix + 1];
                p.Data[y * width + x] = (float)((a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy);
            }
        }
        return p;
    }
}
