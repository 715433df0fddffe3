using System.Runtime.Intrinsics;

namespace PneuKnow.Augmentation;

/// <summary>
/// 3×3 filtering of 8-bit planes as <c>cv2.filter2D(src, -1, kernel)</c> and <c>cv2.blur(src, (3, 3))</c>
/// compute it: correlation (kernel not flipped), anchor at the centre, BORDER_REFLECT_101,
/// float accumulation rounded to nearest and saturated.
/// </summary>
public static class Convolution
{
    /// <summary><c>cv2.filter2D(src, ddepth=-1, kernel)</c> with a 3×3 kernel given row by row.</summary>
    /// <exception cref="ArgumentException">Wrong sizes, or a kernel that is not 9 entries.</exception>
    public static void Filter3x3(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst, ReadOnlySpan<float> kernel)
    {
        Geometry.CheckPlane(src, height, width, nameof(src));
        Geometry.CheckPlane(dst, height, width, nameof(dst));
        if (kernel.Length != 9) throw new ArgumentException($"expected a 3×3 kernel (9 entries), found {kernel.Length}", nameof(kernel));
        if (src.Overlaps(dst)) throw new ArgumentException("source and destination must be different buffers", nameof(dst));
        Run(src, height, width, dst, kernel, box: false);
    }

    /// <summary><c>cv2.blur(src, (3, 3))</c>: the 3×3 mean, integer sums rounded to nearest.</summary>
    public static void Box3x3(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst)
    {
        Geometry.CheckPlane(src, height, width, nameof(src));
        Geometry.CheckPlane(dst, height, width, nameof(dst));
        if (src.Overlaps(dst)) throw new ArgumentException("source and destination must be different buffers", nameof(dst));
        Run(src, height, width, dst, [1, 1, 1, 1, 1, 1, 1, 1, 1], box: true);
    }

    // Rows are widened to float once (three cached), the interior is computed 16 pixels at a time and the two border
    // columns one by one. Every lane does the scalar path's operations in the scalar path's order (products summed left to
    // right, no fused multiply-add), so the vector and scalar pixels are bit-identical. The box filter's sums of nine
    // integers are exact in float; (s + 4) / 9 truncated is round(s / 9), since s / 9 is never k + 0.5.
    static void Run(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst, ReadOnlySpan<float> k, bool box)
    {
        var buffer = width <= 1024 ? stackalloc float[3 * width] : new float[3 * width];
        Span<int> cached = [-1, -1, -1];
        var vectorEnd = Vector256.IsHardwareAccelerated && width >= 18 ? width - 1 - 16 : 0; // last x + 1 where 16 lanes fit
        for (var y = 0; y < height; y++)
        {
            var up = Row(src, width, Reflect101(y - 1, height), buffer, cached);
            var mid = Row(src, width, y, buffer, cached);
            var down = Row(src, width, Reflect101(y + 1, height), buffer, cached);
            var d = dst.Slice(y * width, width);
            var x = 1;
            if (vectorEnd > 0)
                for (; x <= vectorEnd; x += 16)
                {
                    var a = Pixels(up, mid, down, x, k, box);
                    var b = Pixels(up, mid, down, x + 8, k, box);
                    var shorts = Vector256.Narrow(a, b).AsUInt16();
                    Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).CopyTo(d[x..]);
                }
            for (; x < width - 1; x++) d[x] = Pixel(up, mid, down, x - 1, x, x + 1, k, box);
            d[0] = Pixel(up, mid, down, Reflect101(-1, width), 0, Math.Min(1, width - 1), k, box);
            if (width > 1) d[width - 1] = Pixel(up, mid, down, width - 2, width - 1, Reflect101(width, width), k, box);
        }
    }

    static ReadOnlySpan<float> Row(ReadOnlySpan<byte> src, int width, int row, Span<float> buffer, Span<int> cached)
    {
        var slot = row % 3;
        var floats = buffer.Slice(slot * width, width);
        if (cached[slot] == row) return floats;
        var s = src.Slice(row * width, width);
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; x <= width - Vector128<byte>.Count; x += Vector128<byte>.Count)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Create(s[x..]));
                var (a, b) = Vector128.Widen(lo);
                var (c, d) = Vector128.Widen(hi);
                Vector256.ConvertToSingle(Vector256.Create(a, b)).CopyTo(floats[x..]);
                Vector256.ConvertToSingle(Vector256.Create(c, d)).CopyTo(floats[(x + 8)..]);
            }
        for (; x < width; x++) floats[x] = s[x];
        cached[slot] = row;
        return floats;
    }

    static Vector256<int> Pixels(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, int x, ReadOnlySpan<float> k, bool box)
    {
        var s = Vector256.Create(k[0]) * Vector256.Create(up[(x - 1)..]);
        s += Vector256.Create(k[1]) * Vector256.Create(up[x..]);
        s += Vector256.Create(k[2]) * Vector256.Create(up[(x + 1)..]);
        s += Vector256.Create(k[3]) * Vector256.Create(mid[(x - 1)..]);
        s += Vector256.Create(k[4]) * Vector256.Create(mid[x..]);
        s += Vector256.Create(k[5]) * Vector256.Create(mid[(x + 1)..]);
        s += Vector256.Create(k[6]) * Vector256.Create(down[(x - 1)..]);
        s += Vector256.Create(k[7]) * Vector256.Create(down[x..]);
        s += Vector256.Create(k[8]) * Vector256.Create(down[(x + 1)..]);
        if (box) return Vector256.ConvertToInt32((s + Vector256.Create(4f)) / Vector256.Create(9f));
        return Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(s), Vector256<float>.Zero, Vector256.Create(255f)));
    }

    static byte Pixel(ReadOnlySpan<float> up, ReadOnlySpan<float> mid, ReadOnlySpan<float> down, int xl, int x, int xr, ReadOnlySpan<float> k, bool box)
    {
        var s = k[0] * up[xl] + k[1] * up[x] + k[2] * up[xr]
              + k[3] * mid[xl] + k[4] * mid[x] + k[5] * mid[xr]
              + k[6] * down[xl] + k[7] * down[x] + k[8] * down[xr];
        return box ? (byte)(int)((s + 4f) / 9f) : Saturate.ToByte(s);
    }

    static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while ((uint)i >= (uint)n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
}
