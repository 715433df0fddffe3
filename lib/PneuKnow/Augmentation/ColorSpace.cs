namespace PneuKnow.Augmentation;

/// <summary>
/// The colour conversions albumentations goes through on 8-bit RGB (via cv2): RGB↔HSV with
/// OpenCV's 8-bit encoding (H in [0, 180), S and V in [0, 255]) and CIE L*a*b* with OpenCV's
/// 8-bit encoding (L·255/100, a + 128, b + 128; sRGB primaries, D65 white). RGB→L*a*b* is
/// OpenCV's integer algorithm (exact); L*a*b*→RGB uses the CIE formulas in floating point, within one
/// level of OpenCV's integer version.
/// </summary>
public static class ColorSpace
{
    const int HsvShift = 12;
    static readonly int[] SDiv = BuildDiv(255.0, 1.0);
    static readonly int[] HDiv180 = BuildDiv(180.0, 6.0);

    static int[] BuildDiv(double numerator, double denominatorScale)
    {
        var t = new int[256];
        for (var i = 1; i < 256; i++) t[i] = (int)Math.Round(numerator * (1 << HsvShift) / (denominatorScale * i), MidpointRounding.ToEven);
        return t;
    }

    /// <summary><c>cv2.cvtColor(rgb, COLOR_RGB2HSV)</c> for one 8-bit pixel (OpenCV's integer tables).</summary>
    public static (byte H, byte S, byte V) RgbToHsv(byte r, byte g, byte b)
    {
        int v = Math.Max(r, Math.Max(g, b));
        int vmin = Math.Min(r, Math.Min(g, b));
        var diff = v - vmin;
        var vr = v == r ? -1 : 0;
        var vg = v == g ? -1 : 0;
        var s = (diff * SDiv[v] + (1 << (HsvShift - 1))) >> HsvShift;
        var h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))));
        h = (h * HDiv180[diff] + (1 << (HsvShift - 1))) >> HsvShift;
        h += h < 0 ? 180 : 0;
        return ((byte)h, (byte)s, (byte)v);
    }

    /// <summary><c>cv2.cvtColor(hsv, COLOR_HSV2RGB)</c> for one 8-bit pixel (H in [0, 180)).</summary>
    public static (byte R, byte G, byte B) HsvToRgb(byte hue, byte sat, byte val)
    {
        var h = hue * (6f / 180f);
        var s = sat * (1f / 255f);
        var v = val * (1f / 255f);
        float r, g, b;
        if (s == 0) r = g = b = v;
        else
        {
            while (h < 0) h += 6;
            while (h >= 6) h -= 6;
            var sector = (int)MathF.Floor(h);
            h -= sector;
            if ((uint)sector >= 6u) { sector = 0; h = 0; }
            Span<float> tab = [v, v * (1f - s), v * (1f - s * h), v * (1f - s * (1f - h))];
            ReadOnlySpan<int> bIdx = [1, 1, 3, 0, 0, 2];
            ReadOnlySpan<int> gIdx = [3, 0, 0, 2, 1, 1];
            ReadOnlySpan<int> rIdx = [0, 2, 1, 1, 3, 0];
            b = tab[bIdx[sector]];
            g = tab[gIdx[sector]];
            r = tab[rIdx[sector]];
        }
        // OpenCV 4.6 truncates here (measured: floor matches cv2 on 99.8 % of random HSV pixels, rounding on far fewer).
        return (Truncate(r * 255f), Truncate(g * 255f), Truncate(b * 255f));
    }

    static byte Truncate(float v) => (byte)Math.Clamp((int)v, 0, 255);

    static double LinearToSrgb(double v) => v <= 0.0031308 ? 12.92 * v : 1.055 * Math.Pow(v, 1 / 2.4) - 0.055;
    static double LabFInverse(double f) => f > 0.206893 ? f * f * f : (f - 16.0 / 116.0) / 7.787;

    // OpenCV's 8-bit RGB2Lab (color_lab.cpp, RGB2Lab_b): sRGB gamma table in 1/8 levels, XYZ by
    // 12-bit fixed-point coefficients (rows divided by the D65 white point), cube root table in
    // 1/32768, L = (296·fY − 1336934) >> 15. Integer all the way, so it is reproduced exactly: one
    // level of L matters, CLAHE can stretch it into several.
    const int GammaShift = 3, LabShift = 12, LabShift2 = LabShift + GammaShift;
    // Tables in double precision (OpenCV 4 builds them with soft-float doubles): a float cube root
    // lands on the other side of a rounding boundary for gray 111.
    static readonly int[] SrgbGammaTable = Enumerable.Range(0, 256).Select(i => (int)Math.Round(255.0 * (1 << GammaShift) * ApplyGamma(i / 255.0))).ToArray();
    static readonly int[] CbrtTable = Enumerable.Range(0, 256 * 3 / 2 * (1 << GammaShift)).Select(i =>
    {
        var x = i / (255.0 * (1 << GammaShift));
        return (int)Math.Round((1 << LabShift2) * (x < 0.008856 ? x * 7.787 + 16.0 / 116 : Math.Cbrt(x)));
    }).ToArray();
    static readonly int[] XyzCoefficients = BuildXyzCoefficients();
    const int LScale = (116 * 255 + 50) / 100;
    const int LShift = -((16 * 255 * (1 << LabShift2) + 50) / 100);

    static double ApplyGamma(double x) => x <= 0.04045 ? x / 12.92 : Math.Pow((x + 0.055) / 1.055, 2.4);

    static int[] BuildXyzCoefficients()
    {
        double[] m = [0.412453, 0.357580, 0.180423, 0.212671, 0.715160, 0.072169, 0.019334, 0.119193, 0.950227];
        double[] white = [0.950456, 1.0, 1.088754];
        var c = new int[9];
        for (var i = 0; i < 9; i++) c[i] = (int)Math.Round((1 << LabShift) * m[i] / white[i / 3], MidpointRounding.ToEven);
        return c;
    }

    static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    /// <summary>
    /// For a gray pixel (R = G = B = v), the 8-bit L of <c>cv2.cvtColor(rgb, COLOR_RGB2LAB)</c>
    /// (a and b are 128 there), as a 256-entry table, with OpenCV's integer arithmetic.
    /// </summary>
    public static byte[] GrayToLightness()
    {
        var t = new byte[256];
        for (var v = 0; v < 256; v++) t[v] = RgbToLab((byte)v, (byte)v, (byte)v).L;
        return t;
    }

    /// <summary><c>cv2.cvtColor(rgb, COLOR_RGB2LAB)</c> for one 8-bit pixel, with OpenCV's integer arithmetic.</summary>
    public static (byte L, byte A, byte B) RgbToLab(byte r, byte g, byte b)
    {
        int rr = SrgbGammaTable[r], gg = SrgbGammaTable[g], bb = SrgbGammaTable[b];
        var c = XyzCoefficients;
        var fx = CbrtTable[Descale(rr * c[0] + gg * c[1] + bb * c[2], LabShift)];
        var fy = CbrtTable[Descale(rr * c[3] + gg * c[4] + bb * c[5], LabShift)];
        var fz = CbrtTable[Descale(rr * c[6] + gg * c[7] + bb * c[8], LabShift)];
        var l = Descale(LScale * fy + LShift, LabShift2);
        var a = Descale(500 * (fx - fy) + 128 * (1 << LabShift2), LabShift2);
        var bOut = Descale(200 * (fy - fz) + 128 * (1 << LabShift2), LabShift2);
        return ((byte)Math.Clamp(l, 0, 255), (byte)Math.Clamp(a, 0, 255), (byte)Math.Clamp(bOut, 0, 255));
    }

    /// <summary>
    /// The gray level of <c>cv2.cvtColor(lab, COLOR_LAB2RGB)</c> for an 8-bit L with a = b = 128
    /// (OpenCV's result differs between channels by at most one level for a few L; this is the exact gray).
    /// </summary>
    public static byte[] LightnessToGray()
    {
        var t = new byte[256];
        for (var l8 = 0; l8 < 256; l8++)
        {
            var y = LabYFromLightness(l8 * 100.0 / 255);
            t[l8] = (byte)Math.Clamp((int)Math.Round(255 * LinearToSrgb(Math.Clamp(y, 0, 1))), 0, 255);
        }
        return t;
    }

    static double LabYFromLightness(double l) => l <= 8 ? l / 903.3 : Math.Pow((l + 16) / 116, 3);

    /// <summary><c>cv2.cvtColor(lab, COLOR_LAB2RGB)</c> for one 8-bit pixel (floating-point CIE formulas).</summary>
    public static (byte R, byte G, byte B) LabToRgb(byte l8, byte a8, byte b8)
    {
        var l = l8 * 100.0 / 255;
        var y = LabYFromLightness(l);
        var fy = l <= 8 ? 7.787 * y + 16.0 / 116 : (l + 16) / 116;
        var x = LabFInverse(fy + (a8 - 128) / 500.0) * 0.950456;
        var z = LabFInverse(fy - (b8 - 128) / 200.0) * 1.088754;
        var r = 3.240479 * x - 1.53715 * y - 0.498535 * z;
        var g = -0.969256 * x + 1.875991 * y + 0.041556 * z;
        var b = 0.055648 * x - 0.204043 * y + 1.057311 * z;
        return (ToByte(255 * LinearToSrgb(Math.Clamp(r, 0, 1))), ToByte(255 * LinearToSrgb(Math.Clamp(g, 0, 1))), ToByte(255 * LinearToSrgb(Math.Clamp(b, 0, 1))));
    }

    static byte ToByte(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);
}
