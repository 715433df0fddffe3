namespace PneuKnow.Augmentation;

/// <summary>
/// One albumentations-style transform over an image, its ROI and its mask. It fires with
/// <see cref="Probability"/> (one uniform draw, as albumentations' <c>random.random() &lt; p</c>);
/// when it fires it draws its parameters once and applies them to the image and the ROI alike
/// (albumentations' <c>additional_targets={'roi': 'image'}</c>); only geometric transforms touch the mask.
/// </summary>
public abstract class PairedTransform
{
    /// <summary>Validates and stores the probability.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> outside [0, 1].</exception>
    protected PairedTransform(double probability)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, $"{GetType().Name}: expected a probability in [0, 1], found {probability}");
        Probability = probability;
    }

    /// <summary>Chance that the transform fires.</summary>
    public double Probability { get; }

    /// <summary>Fires with <see cref="Probability"/>, drawing from <paramref name="random"/>.</summary>
    public void Apply(PairedPlanes planes, ref AugmentationRandom random)
    {
        if (random.NextDouble() < Probability) Force(planes, ref random);
    }

    /// <summary>Applies unconditionally (what <see cref="OneOf"/> does with its choice): draws the parameters, transforms.</summary>
    public abstract void Force(PairedPlanes planes, ref AugmentationRandom random);

    /// <summary>Applies a plane-to-plane function to every plane of a picture.</summary>
    protected static void MapPlanes(ColorPlanes picture, int length, PlaneMap map)
    {
        var planes = picture.Planes;
        var result = new byte[planes.Length][];
        for (var c = 0; c < planes.Length; c++)
        {
            result[c] = GC.AllocateUninitializedArray<byte>(length);
            map(planes[c], result[c]);
        }
        picture.Replace(result);
    }

    /// <summary>Applies a 256-entry lookup table to every plane of a picture, in place.</summary>
    protected static void ApplyLut(ColorPlanes picture, ReadOnlySpan<byte> lut)
    {
        foreach (var p in picture.Planes)
            for (var i = 0; i < p.Length; i++) p[i] = lut[p[i]];
    }

    /// <summary>A function from a source plane to a destination plane of the same size.</summary>
    protected delegate void PlaneMap(byte[] source, byte[] destination);
}

/// <summary>
/// albumentations <c>Resize(height, width)</c>: <c>cv2.resize</c> bilinear for image and ROI,
/// nearest-neighbour for the mask; a plane already at the size is copied unchanged.
/// </summary>
public sealed class Resize : PairedTransform
{
    /// <summary>Target rows.</summary>
    public int Height { get; }

    /// <summary>Target columns.</summary>
    public int Width { get; }

    /// <summary>A resize to <paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size ≤ 0 or a probability outside [0, 1].</exception>
    public Resize(int height, int width, double probability = 1.0) : base(probability)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Resize: expected a positive size, found {height}×{width}");
        (Height, Width) = (height, width);
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        if (planes.Height == Height && planes.Width == Width) return;
        int sh = planes.Height, sw = planes.Width, n = Height * Width;
        byte[][] Bilinear(ColorPlanes p) => p.Planes.Select(s =>
        {
            var d = GC.AllocateUninitializedArray<byte>(n);
            Geometry.ResizeBilinear(s, sh, sw, d, Height, Width);
            return d;
        }).ToArray();
        var mask = GC.AllocateUninitializedArray<byte>(n);
        Geometry.ResizeNearest(planes.Mask, sh, sw, mask, Height, Width);
        planes.Resized(Height, Width, Bilinear(planes.Image), Bilinear(planes.Roi), mask);
    }
}

/// <summary>
/// albumentations <c>ShiftScaleRotate</c>: angle ~ U(−rotate, rotate) degrees, scale ~ U(1 − scaleLimit,
/// 1 + scaleLimit), dx, dy ~ U(−shift, shift) as fractions of width and height, one affine warp about the
/// centre (<see cref="Geometry.ShiftScaleRotateMatrix"/>) with a constant 0 border: bilinear for image
/// and ROI, nearest-neighbour for the mask, so all three stay aligned.
/// </summary>
public sealed class ShiftScaleRotate : PairedTransform
{
    /// <summary>Largest shift as a fraction of the size.</summary>
    public double ShiftLimit { get; }

    /// <summary>Scale is drawn from [1 − ScaleLimit, 1 + ScaleLimit].</summary>
    public double ScaleLimit { get; }

    /// <summary>Largest rotation in degrees.</summary>
    public double RotateLimit { get; }

    /// <summary>The transform with albumentations' meaning of each limit (its defaults are 0.0625, 0.1, 45, p 0.5).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative limit, a scale limit ≥ 1 (zero or negative zoom) or a probability outside [0, 1].</exception>
    public ShiftScaleRotate(double shiftLimit = 0.0625, double scaleLimit = 0.1, double rotateLimit = 45, double probability = 0.5) : base(probability)
    {
        if (!(shiftLimit >= 0)) throw new ArgumentOutOfRangeException(nameof(shiftLimit), shiftLimit, "ShiftScaleRotate: expected a shift limit ≥ 0");
        if (!(scaleLimit >= 0 && scaleLimit < 1)) throw new ArgumentOutOfRangeException(nameof(scaleLimit), scaleLimit, "ShiftScaleRotate: expected a scale limit in [0, 1)");
        if (!(rotateLimit >= 0)) throw new ArgumentOutOfRangeException(nameof(rotateLimit), rotateLimit, "ShiftScaleRotate: expected a rotation limit ≥ 0");
        (ShiftLimit, ScaleLimit, RotateLimit) = (shiftLimit, scaleLimit, rotateLimit);
    }

    /// <summary>The parameters of one draw, in albumentations' order (angle, scale, dx, dy).</summary>
    public (double Angle, double Scale, double Dx, double Dy) Draw(ref AugmentationRandom random) =>
        (random.Uniform(-RotateLimit, RotateLimit), random.Uniform(1 - ScaleLimit, 1 + ScaleLimit),
         random.Uniform(-ShiftLimit, ShiftLimit), random.Uniform(-ShiftLimit, ShiftLimit));

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var (angle, scale, dx, dy) = Draw(ref random);
        Warp(planes, angle, scale, dx, dy);
    }

    /// <summary>Applies a given draw (also used by tests and figures).</summary>
    public static void Warp(PairedPlanes planes, double angle, double scale, double dx, double dy)
    {
        int h = planes.Height, w = planes.Width;
        var inverse = Geometry.InvertAffine(Geometry.ShiftScaleRotateMatrix(h, w, angle, scale, dx, dy));
        // Image and ROI planes in one pass: the source positions of a draw are the same for all of them.
        byte[][] image = planes.Image.Planes, roi = planes.Roi.Planes;
        var sources = image.Concat(roi).ToArray();
        var warped = sources.Select(_ => GC.AllocateUninitializedArray<byte>(h * w)).ToArray();
        Geometry.WarpBilinear(sources, h, w, warped, inverse);
        var mask = GC.AllocateUninitializedArray<byte>(h * w);
        Geometry.WarpNearest(planes.Mask, h, w, mask, inverse);
        planes.Resized(h, w, warped[..image.Length], warped[image.Length..], mask);
    }
}

/// <summary>
/// albumentations <c>CLAHE(clip_limit=4.0, tile_grid_size=(8, 8))</c>. The clip limit is drawn from
/// U(1, clipLimit) each time, as albumentations does with a scalar limit. On a 3-channel image
/// albumentations equalises the L channel of L*a*b*, not each channel: a gray X-ray read by cv2 is
/// RGB, so that is the faithful path. For a gray picture a = b = 128, so it reduces to gray → L
/// (table), CLAHE on L, L → R, G, B (tables). OpenCV's integer LAB→RGB gives R, G and B one level apart
/// for 16 values of L: a picture whose equalised L contains one of them becomes three planes, exactly as cv2
/// returns it; otherwise it stays one plane.
/// </summary>
public sealed class Clahe : PairedTransform
{
    static readonly byte[] GrayToL = ColorSpace.GrayToLightness();
    static readonly (byte[] R, byte[] G, byte[] B) LToRgb = ColorSpace.LightnessToRgb();
    static readonly bool[] LNotGray = Enumerable.Range(0, 256).Select(l => LToRgb.R[l] != LToRgb.G[l] || LToRgb.R[l] != LToRgb.B[l]).ToArray();

    /// <summary>Upper end of the clip-limit range [1, ClipLimit].</summary>
    public double ClipLimit { get; }

    /// <summary>Tiles per side.</summary>
    public int TileGrid { get; }

    /// <summary>CLAHE with albumentations' defaults (clip 4, 8×8 tiles, p 0.5).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A clip limit below 1, a grid ≤ 0 or a probability outside [0, 1].</exception>
    public Clahe(double clipLimit = 4.0, int tileGrid = 8, double probability = 0.5) : base(probability)
    {
        if (!(clipLimit >= 1)) throw new ArgumentOutOfRangeException(nameof(clipLimit), clipLimit, "CLAHE: expected a clip limit ≥ 1 (the draw is U(1, limit))");
        if (tileGrid <= 0) throw new ArgumentOutOfRangeException(nameof(tileGrid), tileGrid, "CLAHE: expected a positive tile grid");
        (ClipLimit, TileGrid) = (clipLimit, tileGrid);
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var clip = random.Uniform(1, ClipLimit);
        Equalize(planes.Image, planes.Height, planes.Width, clip, TileGrid);
        Equalize(planes.Roi, planes.Height, planes.Width, clip, TileGrid);
    }

    /// <summary>albumentations' CLAHE of an RGB (or gray-as-RGB) picture with a given clip limit, in place.</summary>
    public static void Equalize(ColorPlanes picture, int height, int width, double clipLimit, int tileGrid = 8)
    {
        var n = height * width;
        var l = GC.AllocateUninitializedArray<byte>(n);
        if (picture.IsGray)
        {
            var g = picture.Planes[0];
            for (var i = 0; i < n; i++) l[i] = GrayToL[g[i]];
            ClaheEqualizer.Apply(l, height, width, l, clipLimit, tileGrid, tileGrid);
            var colour = false;
            for (var i = 0; i < n && !colour; i++) colour = LNotGray[l[i]];
            if (!colour)
            {
                for (var i = 0; i < n; i++) g[i] = LToRgb.R[l[i]];
                return;
            }
            var (green, blue) = (GC.AllocateUninitializedArray<byte>(n), GC.AllocateUninitializedArray<byte>(n));
            for (var i = 0; i < n; i++) (g[i], green[i], blue[i]) = (LToRgb.R[l[i]], LToRgb.G[l[i]], LToRgb.B[l[i]]);
            picture.Replace(g, green, blue);
            return;
        }
        byte[] r = picture.Planes[0], gr = picture.Planes[1], b = picture.Planes[2];
        var a = GC.AllocateUninitializedArray<byte>(n);
        var bb = GC.AllocateUninitializedArray<byte>(n);
        for (var i = 0; i < n; i++) (l[i], a[i], bb[i]) = ColorSpace.RgbToLab(r[i], gr[i], b[i]);
        ClaheEqualizer.Apply(l, height, width, l, clipLimit, tileGrid, tileGrid);
        for (var i = 0; i < n; i++) (r[i], gr[i], b[i]) = ColorSpace.LabToRgb(l[i], a[i], bb[i]);
    }
}

/// <summary>
/// albumentations <c>RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2, brightness_by_max=True)</c>:
/// α = 1 + U(−c, c), β = U(−b, b), out = trunc(clip(v·α + β·255, 0, 255)) through a float32 table
/// (with <c>brightness_by_max=False</c>, β·α·mean(picture) replaces β·255).
/// </summary>
public sealed class RandomBrightnessContrast : PairedTransform
{
    /// <summary>Brightness limit b.</summary>
    public double BrightnessLimit { get; }

    /// <summary>Contrast limit c.</summary>
    public double ContrastLimit { get; }

    /// <summary>Brightness relative to 255 (true) or to the picture's mean (false).</summary>
    public bool BrightnessByMax { get; }

    /// <summary>The transform with albumentations' defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative limit or a probability outside [0, 1].</exception>
    public RandomBrightnessContrast(double brightnessLimit = 0.2, double contrastLimit = 0.2, bool brightnessByMax = true, double probability = 0.5) : base(probability)
    {
        if (!(brightnessLimit >= 0)) throw new ArgumentOutOfRangeException(nameof(brightnessLimit), brightnessLimit, "RandomBrightnessContrast: expected a limit ≥ 0");
        if (!(contrastLimit >= 0)) throw new ArgumentOutOfRangeException(nameof(contrastLimit), contrastLimit, "RandomBrightnessContrast: expected a limit ≥ 0");
        (BrightnessLimit, ContrastLimit, BrightnessByMax) = (brightnessLimit, contrastLimit, brightnessByMax);
    }

    /// <summary>albumentations' <c>_brightness_contrast_adjust_uint</c> table for v·α + <paramref name="offset"/>.</summary>
    /// <param name="alpha">Contrast factor.</param>
    /// <param name="offset">β·255 (by max) or α·β·mean.</param>
    public static byte[] Lut(double alpha, double offset)
    {
        var lut = new byte[256];
        for (var v = 0; v < 256; v++)
        {
            var x = (float)v;
            if (alpha != 1) x *= (float)alpha;
            if (offset != 0) x += (float)offset;
            lut[v] = (byte)Math.Clamp(x, 0f, 255f);
        }
        return lut;
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var alpha = 1 + random.Uniform(-ContrastLimit, ContrastLimit);
        var beta = random.Uniform(-BrightnessLimit, BrightnessLimit);
        foreach (var picture in new[] { planes.Image, planes.Roi })
        {
            // float32 as numpy: beta * max_value is a float64 scalar added to a float32 array.
            var offset = BrightnessByMax ? beta * 255 : alpha * beta * Mean(picture);
            ApplyLut(picture, beta == 0 ? Lut(alpha, 0) : Lut(alpha, offset));
        }
    }

    static double Mean(ColorPlanes picture)
    {
        long sum = 0, count = 0;
        foreach (var p in picture.Planes)
        {
            foreach (var v in p) sum += v;
            count += p.Length;
        }
        return (double)sum / count;
    }
}

/// <summary>
/// albumentations <c>RandomGamma(gamma_limit=(80, 120))</c>: γ = U(80, 120)/100, out = trunc(255·(v/255)^γ)
/// through a table (numpy's <c>arange(0, 256/255, 1/255)</c> grid, so v/255 is computed as v·(1/255)).
/// </summary>
public sealed class RandomGamma : PairedTransform
{
    /// <summary>Lower end of the γ range, in percent.</summary>
    public double GammaLow { get; }

    /// <summary>Upper end of the γ range, in percent.</summary>
    public double GammaHigh { get; }

    /// <summary>The transform with albumentations' defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive or inverted range, or a probability outside [0, 1].</exception>
    public RandomGamma(double gammaLow = 80, double gammaHigh = 120, double probability = 0.5) : base(probability)
    {
        if (!(gammaLow > 0 && gammaHigh >= gammaLow))
            throw new ArgumentOutOfRangeException(nameof(gammaLow), $"RandomGamma: expected 0 < low ≤ high, found ({gammaLow}, {gammaHigh})");
        (GammaLow, GammaHigh) = (gammaLow, gammaHigh);
    }

    /// <summary>The table of <c>albumentations.functional.gamma_transform</c> for 8-bit pictures.</summary>
    public static byte[] Lut(double gamma)
    {
        var lut = new byte[256];
        const double step = 1.0 / 255;
        for (var v = 0; v < 256; v++) lut[v] = (byte)Math.Clamp(Math.Pow(v * step, gamma) * 255, 0, 255);
        return lut;
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var lut = Lut(random.Uniform(GammaLow, GammaHigh) / 100);
        ApplyLut(planes.Image, lut);
        ApplyLut(planes.Roi, lut);
    }
}

/// <summary>
/// albumentations <c>Sharpen(alpha=(0.2, 0.5), lightness=(0.5, 1.0))</c>: kernel
/// (1 − α)·identity + α·[[−1, −1, −1], [−1, 8 + λ, −1], [−1, −1, −1]] through <c>cv2.filter2D</c>.
/// </summary>
public sealed class Sharpen : PairedTransform
{
    /// <summary>Blend range of the sharpened picture.</summary>
    public (double Low, double High) Alpha { get; }

    /// <summary>Range of the centre's lightness λ.</summary>
    public (double Low, double High) Lightness { get; }

    /// <summary>The transform with albumentations' defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">α outside [0, 1], a negative λ, an inverted range, or a probability outside [0, 1].</exception>
    public Sharpen((double Low, double High)? alpha = null, (double Low, double High)? lightness = null, double probability = 0.5) : base(probability)
    {
        var a = alpha ?? (0.2, 0.5);
        var l = lightness ?? (0.5, 1.0);
        if (!(a.Low >= 0 && a.High <= 1 && a.Low <= a.High)) throw new ArgumentOutOfRangeException(nameof(alpha), $"Sharpen: expected 0 ≤ alpha low ≤ high ≤ 1, found ({a.Low}, {a.High})");
        if (!(l.Low >= 0 && l.Low <= l.High)) throw new ArgumentOutOfRangeException(nameof(lightness), $"Sharpen: expected 0 ≤ lightness low ≤ high, found ({l.Low}, {l.High})");
        (Alpha, Lightness) = (a, l);
    }

    /// <summary>The 3×3 kernel for a draw (row by row).</summary>
    public static float[] Kernel(double alpha, double lightness)
    {
        var k = new float[9];
        for (var i = 0; i < 9; i++) k[i] = (float)(alpha * -1);
        k[4] = (float)((1 - alpha) + alpha * (8 + lightness));
        return k;
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var alpha = random.Uniform(Alpha.Low, Alpha.High);
        var lightness = random.Uniform(Lightness.Low, Lightness.High);
        var k = Kernel(alpha, lightness);
        int h = planes.Height, w = planes.Width;
        MapPlanes(planes.Image, h * w, (s, d) => Convolution.Filter3x3(s, h, w, d, k));
        MapPlanes(planes.Roi, h * w, (s, d) => Convolution.Filter3x3(s, h, w, d, k));
    }
}

/// <summary>albumentations <c>Blur(blur_limit=3)</c>: the 3×3 mean (<c>cv2.blur</c>). Only kernel 3 is implemented, what the paper uses.</summary>
public sealed class Blur : PairedTransform
{
    /// <summary>The transform (albumentations' default p 0.5).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A kernel other than 3, or a probability outside [0, 1].</exception>
    public Blur(int blurLimit = 3, double probability = 0.5) : base(probability)
    {
        if (blurLimit != 3) throw new ArgumentOutOfRangeException(nameof(blurLimit), blurLimit, "Blur: only a 3×3 kernel (blur_limit 3, the paper's setting) is implemented");
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        int h = planes.Height, w = planes.Width;
        MapPlanes(planes.Image, h * w, (s, d) => Convolution.Box3x3(s, h, w, d));
        MapPlanes(planes.Roi, h * w, (s, d) => Convolution.Box3x3(s, h, w, d));
    }
}

/// <summary>
/// albumentations <c>MotionBlur(blur_limit=3)</c> (allow_shifted=True): a random line on a 3×3 grid
/// (x1, x2 ~ randint(0, 2); when x1 = x2 two distinct y, else y1, y2 ~ randint(0, 2)), drawn as
/// <c>cv2.line</c> does (8-connected, left to right), normalised to sum 1, through <c>cv2.filter2D</c>.
/// </summary>
public sealed class MotionBlur : PairedTransform
{
    /// <summary>The transform (albumentations' default p 0.5).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A kernel other than 3, or a probability outside [0, 1].</exception>
    public MotionBlur(int blurLimit = 3, double probability = 0.5) : base(probability)
    {
        if (blurLimit != 3) throw new ArgumentOutOfRangeException(nameof(blurLimit), blurLimit, "MotionBlur: only a 3×3 kernel (blur_limit 3, the paper's setting) is implemented");
    }

    /// <summary>The 0/1 pixels of <c>cv2.line(zeros(3, 3), (x1, y1), (x2, y2), 1, thickness=1)</c>, row by row.</summary>
    public static byte[] Line(int x1, int y1, int x2, int y2)
    {
        var k = new byte[9];
        // OpenCV's LineIterator, 8-connectivity, left to right.
        if (x2 < x1) (x1, y1, x2, y2) = (x2, y2, x1, y1);
        int dx = x2 - x1, dy = y2 - y1;
        var ystep = dy < 0 ? -1 : 1;
        dy = Math.Abs(dy);
        var steep = dy > dx;
        int major = steep ? dy : dx, minor = steep ? dx : dy;
        var err = major - 2 * minor;
        int x = x1, y = y1;
        for (var i = 0; i <= major; i++)
        {
            k[y * 3 + x] = 1;
            var both = err < 0;
            err += -2 * minor + (both ? 2 * major : 0);
            if (steep) { y += ystep; if (both) x++; }
            else { x++; if (both) y += ystep; }
        }
        return k;
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        int x1 = random.NextInt(3), x2 = random.NextInt(3), y1, y2;
        if (x1 == x2)
        {
            y1 = random.NextInt(3);
            y2 = (y1 + 1 + random.NextInt(2)) % 3;
        }
        else
        {
            y1 = random.NextInt(3);
            y2 = random.NextInt(3);
        }
        var line = Line(x1, y1, x2, y2);
        var count = line.Sum(v => v);
        var k = line.Select(v => v / (float)count).ToArray();
        int h = planes.Height, w = planes.Width;
        MapPlanes(planes.Image, h * w, (s, d) => Convolution.Filter3x3(s, h, w, d, k));
        MapPlanes(planes.Roi, h * w, (s, d) => Convolution.Filter3x3(s, h, w, d, k));
    }
}

/// <summary>
/// albumentations <c>HueSaturationValue(20, 30, 20)</c> on 8-bit RGB (<c>_shift_hsv_uint8</c>): RGB → HSV,
/// hue (mod 180), saturation and value (clipped) shifted by U(−limit, limit) through truncating tables,
/// HSV → RGB. Faithful on a gray X-ray: its saturation is 0, so a positive saturation shift tints it
/// with the (shifted) hue; the picture becomes three planes. A gray picture is handled by a per-level
/// table, since H and S are the same for every pixel.
/// </summary>
public sealed class HueSaturationValue : PairedTransform
{
    /// <summary>Hue shift limit (OpenCV hue units, 0–180).</summary>
    public double HueShiftLimit { get; }

    /// <summary>Saturation shift limit.</summary>
    public double SatShiftLimit { get; }

    /// <summary>Value shift limit.</summary>
    public double ValShiftLimit { get; }

    /// <summary>The transform with albumentations' defaults.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative limit or a probability outside [0, 1].</exception>
    public HueSaturationValue(double hueShiftLimit = 20, double satShiftLimit = 30, double valShiftLimit = 20, double probability = 0.5) : base(probability)
    {
        if (!(hueShiftLimit >= 0 && satShiftLimit >= 0 && valShiftLimit >= 0))
            throw new ArgumentOutOfRangeException(nameof(hueShiftLimit), $"HueSaturationValue: expected limits ≥ 0, found ({hueShiftLimit}, {satShiftLimit}, {valShiftLimit})");
        (HueShiftLimit, SatShiftLimit, ValShiftLimit) = (hueShiftLimit, satShiftLimit, valShiftLimit);
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var hue = random.Uniform(-HueShiftLimit, HueShiftLimit);
        var sat = random.Uniform(-SatShiftLimit, SatShiftLimit);
        var val = random.Uniform(-ValShiftLimit, ValShiftLimit);
        Shift(planes.Image, hue, sat, val);
        Shift(planes.Roi, hue, sat, val);
    }

    /// <summary>The truncating shift tables of <c>_shift_hsv_uint8</c> (identity where a shift is 0).</summary>
    public static (byte[] Hue, byte[] Sat, byte[] Val) Tables(double hueShift, double satShift, double valShift)
    {
        byte[] hue = new byte[256], sat = new byte[256], val = new byte[256];
        for (var i = 0; i < 256; i++)
        {
            // np.mod of a float follows the divisor's sign; astype(uint8) truncates.
            var h = hueShift != 0 ? (i + hueShift) - 180 * Math.Floor((i + hueShift) / 180) : i;
            hue[i] = (byte)(int)h;
            sat[i] = satShift != 0 ? (byte)(int)Math.Clamp(i + satShift, 0, 255) : (byte)i;
            val[i] = valShift != 0 ? (byte)(int)Math.Clamp(i + valShift, 0, 255) : (byte)i;
        }
        return (hue, sat, val);
    }

    /// <summary>Applies given shifts to a picture, in place (a gray picture becomes RGB).</summary>
    public static void Shift(ColorPlanes picture, double hueShift, double satShift, double valShift)
    {
        if (hueShift == 0 && satShift == 0 && valShift == 0) return;
        var (ht, st, vt) = Tables(hueShift, satShift, valShift);
        var n = picture.Planes[0].Length;
        byte[] r = GC.AllocateUninitializedArray<byte>(n), g = GC.AllocateUninitializedArray<byte>(n), b = GC.AllocateUninitializedArray<byte>(n);
        if (picture.IsGray)
        {
            // A gray pixel is (H 0, S 0, V v): only V varies across the picture.
            byte[] lr = new byte[256], lg = new byte[256], lb = new byte[256];
            for (var v = 0; v < 256; v++) (lr[v], lg[v], lb[v]) = ColorSpace.HsvToRgb(ht[0], st[0], vt[v]);
            var p = picture.Planes[0];
            for (var i = 0; i < n; i++)
            {
                var v = p[i];
                r[i] = lr[v]; g[i] = lg[v]; b[i] = lb[v];
            }
        }
        else
        {
            byte[] sr = picture.Planes[0], sg = picture.Planes[1], sb = picture.Planes[2];
            for (var i = 0; i < n; i++)
            {
                var (h, s, v) = ColorSpace.RgbToHsv(sr[i], sg[i], sb[i]);
                (r[i], g[i], b[i]) = ColorSpace.HsvToRgb(ht[h], st[s], vt[v]);
            }
        }
        picture.Replace(r, g, b);
    }
}

/// <summary>
/// albumentations <c>OneOf(transforms, p)</c>: with probability p, picks one child with chance
/// proportional to the children's own probabilities and applies it unconditionally.
/// </summary>
public sealed class OneOf : PairedTransform
{
    readonly double[] _cumulative;

    /// <summary>The children.</summary>
    public IReadOnlyList<PairedTransform> Transforms { get; }

    /// <summary>A choice among <paramref name="transforms"/>.</summary>
    /// <exception cref="ArgumentException">No children, or children whose probabilities are all 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability outside [0, 1].</exception>
    public OneOf(IReadOnlyList<PairedTransform> transforms, double probability = 0.5) : base(probability)
    {
        if (transforms.Count == 0) throw new ArgumentException("OneOf: expected at least one transform, found none", nameof(transforms));
        var total = transforms.Sum(t => t.Probability);
        if (total <= 0) throw new ArgumentException("OneOf: expected a child with a positive probability, found all 0", nameof(transforms));
        Transforms = transforms;
        _cumulative = new double[transforms.Count];
        double acc = 0;
        for (var i = 0; i < transforms.Count; i++) _cumulative[i] = (acc += transforms[i].Probability / total);
    }

    /// <inheritdoc />
    public override void Force(PairedPlanes planes, ref AugmentationRandom random)
    {
        var u = random.NextDouble();
        var i = 0;
        while (i < _cumulative.Length - 1 && u >= _cumulative[i]) i++;
        Transforms[i].Force(planes, ref random);
    }
}
