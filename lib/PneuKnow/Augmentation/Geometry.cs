using PneuKnow.Data;

namespace PneuKnow.Augmentation;

/// <summary>
/// Resampling of 8-bit planes with OpenCV's arithmetic (cv2 is what albumentations calls):
/// <c>warpAffine</c> and <c>resize</c>, bilinear for pictures and nearest-neighbour for masks,
/// constant border. Integer fixed point throughout, as OpenCV does, so results match cv2 to the grey level.
/// </summary>
public static class Geometry
{
    // OpenCV imgproc: coordinates in 1/1024 (AB_BITS), sub-pixel positions in 1/32 (INTER_BITS).
    const int AbBits = 10;
    const int AbScale = 1 << AbBits;
    const int InterBits = 5;
    const int InterTab = 1 << InterBits;

    /// <summary>
    /// The 2×3 matrix of <c>cv2.getRotationMatrix2D(center, angle, scale)</c> (source to destination;
    /// positive angles turn counter-clockwise on screen) with albumentations' shift added:
    /// <c>M[0,2] += dx·width</c>, <c>M[1,2] += dy·height</c>, center (width/2, height/2) as in
    /// albumentations 1.3's <c>shift_scale_rotate</c>.
    /// </summary>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="angleDegrees">Rotation in degrees.</param>
    /// <param name="scale">Zoom factor (1 keeps the size).</param>
    /// <param name="dx">Horizontal shift as a fraction of the width.</param>
    /// <param name="dy">Vertical shift as a fraction of the height.</param>
    public static double[] ShiftScaleRotateMatrix(int height, int width, double angleDegrees, double scale, double dx, double dy)
    {
        var a = angleDegrees * Math.PI / 180.0;
        var alpha = Math.Cos(a) * scale;
        var beta = Math.Sin(a) * scale;
        double cx = width / 2.0, cy = height / 2.0;
        return
        [
            alpha, beta, (1 - alpha) * cx - beta * cy + dx * width,
            -beta, alpha, beta * cx + (1 - alpha) * cy + dy * height,
        ];
    }

    /// <summary>The inverse of a 2×3 affine matrix, computed as <c>cv2.warpAffine</c> does.</summary>
    /// <exception cref="ArgumentException">Not 6 entries.</exception>
    public static double[] InvertAffine(IReadOnlyList<double> m)
    {
        if (m.Count != 6) throw new ArgumentException($"expected a 2×3 matrix (6 entries), found {m.Count}", nameof(m));
        var d = m[0] * m[4] - m[1] * m[3];
        d = d != 0 ? 1.0 / d : 0.0;
        double a11 = m[4] * d, a22 = m[0] * d, a12 = -m[1] * d, a21 = -m[3] * d;
        var b1 = -a11 * m[2] - a12 * m[5];
        var b2 = -a21 * m[2] - a22 * m[5];
        return [a11, a12, b1, a21, a22, b2];
    }

    /// <summary>
    /// <c>cv2.warpAffine(src, M, (width, height), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=0)</c>
    /// for one plane, with <paramref name="inverse"/> = <see cref="InvertAffine"/>(M) (destination to source).
    /// </summary>
    public static void WarpBilinear(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst, IReadOnlyList<double> inverse)
    {
        CheckPlane(src, height, width, nameof(src));
        CheckPlane(dst, height, width, nameof(dst));
        Span<int> ad = width <= 2048 ? stackalloc int[width] : new int[width];
        Span<int> bd = width <= 2048 ? stackalloc int[width] : new int[width];
        Span<int> xy = width <= 1024 ? stackalloc int[2 * width] : new int[2 * width];
        ColumnSteps(inverse, ad, bd);
        for (var y = 0; y < height; y++)
        {
            SourcePositions(inverse, y, ad, bd, xy);
            SampleRow(src, height, width, xy, dst.Slice(y * width, width));
        }
    }

    /// <summary>
    /// <see cref="WarpBilinear(ReadOnlySpan{byte}, int, int, Span{byte}, IReadOnlyList{double})"/> of several planes
    /// of one size with one matrix (image and ROI channels of one draw): the source positions are computed once per
    /// pixel and every plane is sampled at them, so each plane equals its single-plane warp.
    /// </summary>
    /// <exception cref="ArgumentException">Different numbers of source and destination planes, or a plane of the wrong size.</exception>
    public static void WarpBilinear(IReadOnlyList<byte[]> src, int height, int width, IReadOnlyList<byte[]> dst, IReadOnlyList<double> inverse)
    {
        if (src.Count != dst.Count) throw new ArgumentException($"expected as many destination planes as source planes ({src.Count}), found {dst.Count}", nameof(dst));
        for (var p = 0; p < src.Count; p++)
        {
            CheckPlane(src[p], height, width, nameof(src));
            CheckPlane(dst[p], height, width, nameof(dst));
        }
        Span<int> ad = width <= 2048 ? stackalloc int[width] : new int[width];
        Span<int> bd = width <= 2048 ? stackalloc int[width] : new int[width];
        Span<int> xy = width <= 1024 ? stackalloc int[2 * width] : new int[2 * width];
        ColumnSteps(inverse, ad, bd);
        for (var y = 0; y < height; y++)
        {
            SourcePositions(inverse, y, ad, bd, xy);
            for (var p = 0; p < src.Count; p++) SampleRow(src[p], height, width, xy, dst[p].AsSpan(y * width, width));
        }
    }

    static void ColumnSteps(IReadOnlyList<double> inverse, Span<int> ad, Span<int> bd)
    {
        for (var x = 0; x < ad.Length; x++)
        {
            ad[x] = Round(inverse[0] * x * AbScale);
            bd[x] = Round(inverse[3] * x * AbScale);
        }
    }

    // Source positions of one destination row in 1/32 pixel (OpenCV's INTER_BITS), x then y per pixel.
    static void SourcePositions(IReadOnlyList<double> inverse, int y, ReadOnlySpan<int> ad, ReadOnlySpan<int> bd, Span<int> xy)
    {
        const int roundDelta = AbScale / InterTab / 2;
        const int shift = AbBits - InterBits;
        var x0 = Round((inverse[1] * y + inverse[2]) * AbScale) + roundDelta;
        var y0 = Round((inverse[4] * y + inverse[5]) * AbScale) + roundDelta;
        for (var x = 0; x < ad.Length; x++)
        {
            xy[2 * x] = (x0 + ad[x]) >> shift;
            xy[2 * x + 1] = (y0 + bd[x]) >> shift;
        }
    }

    static void SampleRow(ReadOnlySpan<byte> src, int height, int width, ReadOnlySpan<int> xy, Span<byte> row)
    {
        for (var x = 0; x < row.Length; x++)
        {
            int xs = xy[2 * x], ys = xy[2 * x + 1];
            int sx = xs >> InterBits, sy = ys >> InterBits;
            int fx = xs & (InterTab - 1), fy = ys & (InterTab - 1);
            int v00, v01, v10, v11;
            if ((uint)sx < (uint)(width - 1) && (uint)sy < (uint)(height - 1))
            {
                var i = sy * width + sx;
                v00 = src[i]; v01 = src[i + 1]; v10 = src[i + width]; v11 = src[i + width + 1];
            }
            else if (sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0)
            {
                row[x] = 0;
                continue;
            }
            else
            {
                v00 = At(src, height, width, sy, sx);
                v01 = At(src, height, width, sy, sx + 1);
                v10 = At(src, height, width, sy + 1, sx);
                v11 = At(src, height, width, sy + 1, sx + 1);
            }
            int w00 = (InterTab - fx) * (InterTab - fy), w01 = fx * (InterTab - fy), w10 = (InterTab - fx) * fy, w11 = fx * fy;
            // Weights sum to 1024; OpenCV's 2^15 table is exactly these times 32.
            row[x] = (byte)((v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + (1 << 9)) >> 10);
        }
    }

    /// <summary><c>cv2.warpAffine(..., flags=INTER_NEAREST, borderMode=BORDER_CONSTANT, borderValue=0)</c> for one plane (masks).</summary>
    public static void WarpNearest(ReadOnlySpan<byte> src, int height, int width, Span<byte> dst, IReadOnlyList<double> inverse)
    {
        CheckPlane(src, height, width, nameof(src));
        CheckPlane(dst, height, width, nameof(dst));
        Span<int> ad = width <= 2048 ? stackalloc int[width] : new int[width];
        Span<int> bd = width <= 2048 ? stackalloc int[width] : new int[width];
        for (var x = 0; x < width; x++)
        {
            ad[x] = Round(inverse[0] * x * AbScale);
            bd[x] = Round(inverse[3] * x * AbScale);
        }
        const int roundDelta = AbScale / 2;
        for (var y = 0; y < height; y++)
        {
            var x0 = Round((inverse[1] * y + inverse[2]) * AbScale) + roundDelta;
            var y0 = Round((inverse[4] * y + inverse[5]) * AbScale) + roundDelta;
            var row = dst.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                var sx = (x0 + ad[x]) >> AbBits;
                var sy = (y0 + bd[x]) >> AbBits;
                row[x] = (uint)sx < (uint)width && (uint)sy < (uint)height ? src[sy * width + sx] : (byte)0;
            }
        }
    }

    /// <summary>
    /// <c>cv2.resize(src, (dstWidth, dstHeight), interpolation=INTER_LINEAR)</c> for one plane
    /// (<see cref="Resampling.Linear(ReadOnlySpan{byte}, int, int, Span{byte}, int, int)"/>, which the image store uses too).
    /// </summary>
    public static void ResizeBilinear(ReadOnlySpan<byte> src, int srcHeight, int srcWidth, Span<byte> dst, int dstHeight, int dstWidth) =>
        Resampling.Linear(src, srcHeight, srcWidth, dst, dstHeight, dstWidth);

    /// <summary><c>cv2.resize(..., interpolation=INTER_NEAREST)</c> for one plane (masks; <see cref="Resampling.Nearest"/>).</summary>
    public static void ResizeNearest(ReadOnlySpan<byte> src, int srcHeight, int srcWidth, Span<byte> dst, int dstHeight, int dstWidth) =>
        Resampling.Nearest(src, srcHeight, srcWidth, dst, dstHeight, dstWidth);

    static int At(ReadOnlySpan<byte> src, int height, int width, int y, int x) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? src[y * width + x] : 0;

    // cvRound / saturate_cast<int>: nearest, ties to even.
    static int Round(double v) => (int)Math.Round(v, MidpointRounding.ToEven);

    internal static void CheckPlane(ReadOnlySpan<byte> plane, int height, int width, string name)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"{name}: expected a positive size, found {height}×{width}", name);
        if (plane.Length != height * width)
            throw new ArgumentException($"{name}: expected {height}×{width} = {height * width} bytes, found {plane.Length}", name);
    }
}
