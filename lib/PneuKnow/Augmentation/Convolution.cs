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
        float k0 = kernel[0], k1 = kernel[1], k2 = kernel[2], k3 = kernel[3], k4 = kernel[4], k5 = kernel[5], k6 = kernel[6], k7 = kernel[7], k8 = kernel[8];
        for (var y = 0; y < height; y++)
        {
            var up = src.Slice(Reflect101(y - 1, height) * width, width);
            var mid = src.Slice(y * width, width);
            var down = src.Slice(Reflect101(y + 1, height) * width, width);
            var d = dst.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                int xl = x == 0 ? Reflect101(-1, width) : x - 1, xr = x == width - 1 ? Reflect101(width, width) : x + 1;
                var s = k0 * up[xl] + k1 * up[x] + k2 * up[xr]
                      + k3 * mid[xl] + k4 * mid[x] + k5 * mid[xr]
                      + k6 * down[xl] + k7 * down[x] + k8 * down[xr];
                d[x] = Saturate.ToByte(s);
            }
        }
    }

    /// <summary><c>cv2.blur(src, (3, 3))</c>: the 3×3 mean, integer sums rounded to nearest.</summary>
    public static void Box3x3(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst)
    {
        Geometry.CheckPlane(src, height, width, nameof(src));
        Geometry.CheckPlane(dst, height, width, nameof(dst));
        if (src.Overlaps(dst)) throw new ArgumentException("source and destination must be different buffers", nameof(dst));
        for (var y = 0; y < height; y++)
        {
            var up = src.Slice(Reflect101(y - 1, height) * width, width);
            var mid = src.Slice(y * width, width);
            var down = src.Slice(Reflect101(y + 1, height) * width, width);
            var d = dst.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                int xl = x == 0 ? Reflect101(-1, width) : x - 1, xr = x == width - 1 ? Reflect101(width, width) : x + 1;
                var s = up[xl] + up[x] + up[xr] + mid[xl] + mid[x] + mid[xr] + down[xl] + down[x] + down[xr];
                // round(s / 9): s / 9 is never exactly k + 0.5 for an integer s.
                d[x] = (byte)((s + 4) / 9);
            }
        }
    }

    static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while ((uint)i >= (uint)n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
}
