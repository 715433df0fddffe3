namespace PneuKnow.Augmentation;

/// <summary>
/// Contrast-limited adaptive histogram equalisation of an 8-bit plane with OpenCV's algorithm
/// (<c>cv2.createCLAHE(clipLimit, tileGridSize).apply</c>): per-tile histograms clipped at
/// <c>max(1, (int)(clipLimit·tilePixels/256))</c> with the excess spread evenly (remainder one by one
/// at a stride), cumulative LUTs, bilinear blending of the four nearest tiles' LUTs. Images whose
/// size is not a multiple of the grid are extended by reflection (BORDER_REFLECT_101) for the
/// histograms, as OpenCV does.
/// </summary>
public static class ClaheEqualizer
{
    const int Bins = 256;

    /// <summary>Equalises <paramref name="src"/> into <paramref name="dst"/> (may be the same buffer).</summary>
    /// <param name="src">Row-major plane.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="dst">Output plane, same size.</param>
    /// <param name="clipLimit">OpenCV's clip limit (relative to a flat histogram); ≤ 0 disables clipping.</param>
    /// <param name="tilesY">Tile rows (OpenCV's tileGridSize height).</param>
    /// <param name="tilesX">Tile columns.</param>
    /// <exception cref="ArgumentException">Wrong plane sizes or a non-positive grid.</exception>
    public static void Apply(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst, double clipLimit, int tilesY = 8, int tilesX = 8)
    {
        Geometry.CheckPlane(src, height, width, nameof(src));
        Geometry.CheckPlane(dst, height, width, nameof(dst));
        if (tilesY <= 0 || tilesX <= 0) throw new ArgumentException($"expected a positive tile grid, found {tilesY}×{tilesX}");
        var extH = height % tilesY == 0 ? height : height + tilesY - height % tilesY;
        var extW = width % tilesX == 0 ? width : width + tilesX - width % tilesX;
        int tileH = extH / tilesY, tileW = extW / tilesX;
        var tileArea = tileH * tileW;
        var limit = 0;
        if (clipLimit > 0) limit = Math.Max((int)(clipLimit * tileArea / Bins), 1);
        var lutScale = (float)(Bins - 1) / tileArea;

        var luts = new byte[tilesY * tilesX * Bins];
        Span<int> hist = stackalloc int[Bins];
        Span<int> colIndex = extW <= 4096 ? stackalloc int[extW] : new int[extW];
        for (var x = 0; x < extW; x++) colIndex[x] = Reflect101(x, width);
        for (var ty = 0; ty < tilesY; ty++)
        for (var tx = 0; tx < tilesX; tx++)
        {
            hist.Clear();
            for (var y = ty * tileH; y < (ty + 1) * tileH; y++)
            {
                var row = src.Slice(Reflect101(y, height) * width, width);
                for (var x = tx * tileW; x < (tx + 1) * tileW; x++) hist[row[colIndex[x]]]++;
            }
            if (limit > 0) ClipHistogram(hist, limit);
            var lut = luts.AsSpan((ty * tilesX + tx) * Bins, Bins);
            var sum = 0;
            for (var i = 0; i < Bins; i++)
            {
                sum += hist[i];
                lut[i] = Saturate.ToByte(sum * lutScale);
            }
        }

        // Interpolation runs on the original plane with the extended grid's tile size.
        float invTw = 1f / tileW, invTh = 1f / tileH;
        Span<int> ind1 = width <= 4096 ? stackalloc int[width] : new int[width];
        Span<int> ind2 = width <= 4096 ? stackalloc int[width] : new int[width];
        Span<float> xa = width <= 4096 ? stackalloc float[width] : new float[width];
        for (var x = 0; x < width; x++)
        {
            var txf = x * invTw - 0.5f;
            var tx1 = (int)MathF.Floor(txf);
            var tx2 = tx1 + 1;
            xa[x] = txf - tx1;
            ind1[x] = Math.Max(tx1, 0) * Bins;
            ind2[x] = Math.Min(tx2, tilesX - 1) * Bins;
        }
        for (var y = 0; y < height; y++)
        {
            var tyf = y * invTh - 0.5f;
            var ty1 = (int)MathF.Floor(tyf);
            var ty2 = ty1 + 1;
            var ya = tyf - ty1;
            var ya1 = 1f - ya;
            ReadOnlySpan<byte> plane1 = luts.AsSpan(Math.Max(ty1, 0) * tilesX * Bins, tilesX * Bins);
            ReadOnlySpan<byte> plane2 = luts.AsSpan(Math.Min(ty2, tilesY - 1) * tilesX * Bins, tilesX * Bins);
            var s = src.Slice(y * width, width);
            var d = dst.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                int v = s[x];
                int i1 = ind1[x] + v, i2 = ind2[x] + v;
                float a = xa[x], a1 = 1f - a;
                var res = (plane1[i1] * a1 + plane1[i2] * a) * ya1 + (plane2[i1] * a1 + plane2[i2] * a) * ya;
                d[x] = Saturate.ToByte(res);
            }
        }
    }

    static void ClipHistogram(Span<int> hist, int limit)
    {
        var clipped = 0;
        for (var i = 0; i < Bins; i++)
            if (hist[i] > limit)
            {
                clipped += hist[i] - limit;
                hist[i] = limit;
            }
        var batch = clipped / Bins;
        var residual = clipped - batch * Bins;
        for (var i = 0; i < Bins; i++) hist[i] += batch;
        if (residual != 0)
        {
            var step = Math.Max(Bins / residual, 1);
            for (var i = 0; i < Bins && residual > 0; i += step, residual--) hist[i]++;
        }
    }

    static int Reflect101(int i, int n)
    {
        if (n == 1) return 0;
        while ((uint)i >= (uint)n) i = i < 0 ? -i : 2 * n - 2 - i;
        return i;
    }
}
