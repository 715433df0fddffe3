namespace PneuKnow.Augmentation;

/// <summary>
/// The colour conversions albumentations goes through on 8-bit RGB (via cv2): RGB↔HSV with
/// OpenCV's 8-bit encoding (H in [0, 180), S and V in [0, 255]) and CIE L*a*b* with OpenCV's
/// 8-bit encoding (L·255/100, a + 128, b + 128; sRGB primaries, D65 white). Both directions of
/// L*a*b* are OpenCV's integer algorithms, exact for every 8-bit code (the tests check all 2^24 LAB→RGB codes).
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

    // OpenCV's 8-bit LAB2RGB (color_lab.cpp, Lab2RGBinteger; cvtColor takes it for sRGB without custom coefficients):
    // L → (Y, f(Y)) and f → X, Z by tables in 1/16384, a/500 and b/200 by multiply-shift approximations, XYZ → linear RGB
    // by 12-bit coefficients (rows times the D65 white point) descaled to 1/4096, then a 4096-entry inverse-gamma table.
    // The float tables are built in single precision as OpenCV builds them (softfloat), so every code agrees.
    const int LabBase = 1 << 14, MinAb = -8145, InvGammaSize = 1 << 12, XyzToRgbShift = 14;
    static readonly (int Y, int FY)[] LightnessTable = Enumerable.Range(0, 256).Select(LightnessEntry).ToArray();
    static readonly int[] FToXz = Enumerable.Range(MinAb, LabBase * 9 / 4).Select(FToXzEntry).ToArray();
    static readonly int[] XyzToRgbCoefficients = BuildXyzToRgbCoefficients();
    static readonly byte[] InverseGammaTable = Enumerable.Range(0, InvGammaSize).Select(InverseGammaEntry).ToArray();

    static (int, int) LightnessEntry(int l8)
    {
        // Below L = 8 (8-bit L ≤ 20) the linear segment: Y = L / 903.3, f = 7.787·Y + 16/116, written with 903.3 = (29/3)^3.
        if (l8 <= 20)
            return ((int)MathF.Round((float)(l8 * LabBase * 20 * 9) / (17 * 29 * 29 * 29)),
                (int)MathF.Round(LabBase * (16f / 116f + (float)(l8 * 5) / (3 * 17 * 29))));
        var fy = (float)(l8 * 100 * LabBase) / (255 * 116) + (float)(16 * LabBase) / 116;
        return ((int)MathF.Round(fy * fy * fy / ((float)LabBase * LabBase)), (int)MathF.Round(fy));
    }

    // f⁻¹ in 1/16384: the linear segment up to 6/29 (3390), the cube above; C integer division (truncating towards zero).
    static int FToXzEntry(int f) => f <= 3390 ? f * 108 / 841 - LabBase * 16 / 116 * 108 / 841 : f * f / LabBase * f / LabBase;

    static int[] BuildXyzToRgbCoefficients()
    {
        double[] m = [3.240479, -1.53715, -0.498535, -0.969256, 1.875991, 0.041556, 0.055648, -0.204043, 1.057311];
        double[] white = [0.950456, 1.0, 1.088754];
        var c = new int[9];
        for (var i = 0; i < 9; i++) c[i] = (int)Math.Round((1 << LabShift) * m[i] * white[i % 3], MidpointRounding.ToEven);
        return c;
    }

    static byte InverseGammaEntry(int i)
    {
        double x = (1f / InvGammaSize) * i;
        var srgb = (float)(x <= 0.0031308 ? x * 12.92 : Math.Pow(x, 1 / 2.4) * 1.055 - 0.055);
        return (byte)MathF.Round(255f * srgb);
    }

    /// <summary>
    /// For a gray L*a*b* code (a = b = 128), the R, G and B of <c>cv2.cvtColor(lab, COLOR_LAB2RGB)</c> as three
    /// 256-entry tables indexed by the 8-bit L. They differ by one level for 16 values of L (OpenCV's integer rounding).
    /// </summary>
    public static (byte[] R, byte[] G, byte[] B) LightnessToRgb()
    {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (var l8 = 0; l8 < 256; l8++) (r[l8], g[l8], b[l8]) = LabToRgb((byte)l8, 128, 128);
        return (r, g, b);
    }

    /// <summary><c>cv2.cvtColor(lab, COLOR_LAB2RGB)</c> for one 8-bit pixel, with OpenCV's integer arithmetic (exact).</summary>
    public static (byte R, byte G, byte B) LabToRgb(byte l8, byte a8, byte b8)
    {
        var (y, fy) = LightnessTable[l8];
        // a·16384/500 and b·16384/200 less their offsets at 128, as OpenCV approximates them.
        var aDiv = ((5 * a8 * 53687 + (1 << 7)) >> 13) - 128 * LabBase / 500;
        var bDiv = ((b8 * 41943 + (1 << 4)) >> 9) - 128 * LabBase / 200 + 1;
        int x = FToXz[fy + aDiv - MinAb], z = FToXz[fy - bDiv - MinAb];
        var c = XyzToRgbCoefficients;
        int Channel(int row) => InverseGammaTable[Math.Clamp(Descale(c[row] * x + c[row + 1] * y + c[row + 2] * z, XyzToRgbShift), 0, InvGammaSize - 1)];
        return ((byte)Channel(0), (byte)Channel(3), (byte)Channel(6));
    }
}
