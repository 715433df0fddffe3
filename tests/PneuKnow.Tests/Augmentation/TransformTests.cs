using PneuKnow.Augmentation;

namespace PneuKnow.Tests.Augmentation;

/// <summary>Formulas on hand-computed pixels, alignment of image/ROI/mask, pipelines by name, bad input.</summary>
public class TransformTests
{
    [Fact]
    public void Brightness_contrast_table_follows_albumentations_brightness_by_max()
    {
        // out = trunc(clip(v·α + β·255, 0, 255)), computed by hand:
        // α 1.2, β 0.1: 0 → 25.5 → 25; 100 → 145.5 → 145; 200 → 265.5 → 255.
        var lut = RandomBrightnessContrast.Lut(1.2, 0.1 * 255);
        Assert.Equal(new byte[] { 25, 145, 255 }, new[] { lut[0], lut[100], lut[200] });
        // α 0.8, β −0.15: 10 → 8 − 38.25 → 0; 250 → 200 − 38.25 = 161.75 → 161; 128 → 102.4 − 38.25 = 64.15 → 64.
        lut = RandomBrightnessContrast.Lut(0.8, -0.15 * 255);
        Assert.Equal(new byte[] { 0, 161, 64 }, new[] { lut[10], lut[250], lut[128] });
    }

    [Fact]
    public void Gamma_table_follows_albumentations_gamma_transform()
    {
        // trunc(255·(v/255)^γ): γ 1.2, v 128 → 255·0.50196^1.2 = 111.52 → 111; γ 0.8, v 64 → 84.38 → 84.
        Assert.Equal(111, RandomGamma.Lut(1.2)[128]);
        Assert.Equal(84, RandomGamma.Lut(0.8)[64]);
        Assert.Equal(255, RandomGamma.Lut(0.8)[255]);
        Assert.Equal(0, RandomGamma.Lut(1.2)[0]);
        // γ = 1 is not quite the identity in albumentations: numpy's arange grid puts some v/255·255 just
        // below v, and astype truncates. These are the levels numpy 1.24 maps to v − 1.
        int[] numpyLow = [33, 37, 41, 45, 49, 53, 57, 61, 66, 74, 82, 90, 98, 106, 114, 122, 132, 148, 164, 180, 196, 212, 228, 244];
        var identity = RandomGamma.Lut(1.0);
        for (var v = 0; v < 256; v++) Assert.Equal(numpyLow.Contains(v) ? v - 1 : v, identity[v]);
    }

    [Fact]
    public void Sharpen_kernel_is_the_blend_of_identity_and_the_lightness_kernel()
    {
        var k = Sharpen.Kernel(0.4, 0.7);
        Assert.Equal(-0.4f, k[0], 6);
        Assert.Equal(0.6f + 0.4f * 8.7f, k[4], 5);
        // −8α + (1 − α) + α(8 + λ) = 1 + α(λ − 1) = 0.88.
        Assert.Equal(0.88f, k.Sum(), 5);
    }

    static PairedPlanes Pattern(int h, int w, out byte[] original)
    {
        // Bright 9×9 squares on a dark background; mask = squares; ROI = image.
        var img = new byte[h * w];
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
            img[y * w + x] = (y / 9 % 3 == 1 && x / 9 % 3 == 1) ? (byte)255 : (byte)0;
        original = img;
        return Planes.Of(img, img, img, h, w);
    }

    public static TheoryData<double, double, double, double> Draws() => new()
    {
        { 0, 1, 0, 0 }, { 9.5, 1.0, 0.0, 0.0 }, { -7, 0.6, 0.08, -0.05 }, { 3, 1.45, -0.1, 0.1 }, { 10, 0.5, 0.1, 0.1 },
    };

    [Theory]
    [MemberData(nameof(Draws))]
    public void Mask_stays_aligned_with_image_and_roi_through_shift_scale_rotate(double angle, double scale, double dx, double dy)
    {
        const int h = 72, w = 90;
        var planes = Pattern(h, w, out var original);
        ShiftScaleRotate.Warp(planes, angle, scale, dx, dy);
        var image = planes.Image.Planes[0];
        Assert.Equal(image, planes.Roi.Planes[0]);
        Assert.All(planes.Mask, m => Assert.True(m is 0 or 255));
        // Wherever the bilinear image is unambiguous (away from square edges) the nearest mask agrees.
        int agree = 0, decided = 0;
        for (var i = 0; i < image.Length; i++)
        {
            if (image[i] is > 32 and < 223) continue;
            decided++;
            if ((image[i] >= 128) == (planes.Mask[i] == 255)) agree++;
        }
        Assert.True(decided > image.Length / 2);
        Assert.Equal(decided, agree);
        // Independent check: the mask's centroid is where the affine matrix sends the original mask
        // pixels that land inside the frame.
        var m = Geometry.ShiftScaleRotateMatrix(h, w, angle, scale, dx, dy);
        double sx = 0, sy = 0, n = 0;
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            if (original[y * w + x] == 0) continue;
            var ex = m[0] * x + m[1] * y + m[2];
            var ey = m[3] * x + m[4] * y + m[5];
            if (ex < -0.5 || ex >= w - 0.5 || ey < -0.5 || ey >= h - 0.5) continue;
            sx += ex; sy += ey; n++;
        }
        var (cy, cx) = Centroid(planes.Mask, h, w);
        Assert.InRange(cx, sx / n - 1.5, sx / n + 1.5);
        Assert.InRange(cy, sy / n - 1.5, sy / n + 1.5);
    }

    static (double Y, double X) Centroid(byte[] p, int h, int w)
    {
        double sx = 0, sy = 0, n = 0;
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
            if (p[y * w + x] != 0) { sx += x + 0.5; sy += y + 0.5; n++; }
        return (sy / n - 0.5, sx / n - 0.5);
    }

    [Theory]
    [InlineData(72, 90, 36, 45)]
    [InlineData(72, 90, 144, 180)]
    [InlineData(50, 50, 224, 224)]
    public void Mask_stays_aligned_through_resize(int h, int w, int dh, int dw)
    {
        var planes = Pattern(h, w, out _);
        new Resize(dh, dw).Apply(planes, ref Unused());
        Assert.Equal((dh, dw), (planes.Height, planes.Width));
        var image = planes.Image.Planes[0];
        Assert.Equal(image, planes.Roi.Planes[0]);
        int agree = 0, decided = 0;
        for (var i = 0; i < image.Length; i++)
        {
            if (image[i] is > 32 and < 223) continue;
            decided++;
            if ((image[i] >= 128) == (planes.Mask[i] == 255)) agree++;
        }
        Assert.True(decided > image.Length / 2);
        // Nearest (floor) and bilinear (half-pixel) sampling disagree by at most half a source pixel at edges.
        Assert.True(agree >= 0.98 * decided, $"{agree} of {decided}");
    }

    static AugmentationRandom _scratch;
    static ref AugmentationRandom Unused() { _scratch = new AugmentationRandom(1); return ref _scratch; }

    [Fact]
    public void Photometric_transforms_apply_the_same_draw_to_image_and_roi_and_never_touch_the_mask()
    {
        var set = new SyntheticSet(1, 40, 48);
        var ex = set.Get(0);
        PairedTransform[] photometric =
        [
            new Clahe(probability: 1), new RandomBrightnessContrast(probability: 1), new RandomGamma(probability: 1),
            new Sharpen(probability: 1), new Blur(3, 1), new MotionBlur(3, 1), new HueSaturationValue(probability: 1),
        ];
        foreach (var t in photometric)
        {
            // ROI = image here, so one draw applied to both must leave them equal.
            var planes = Planes.Of(ex.Image, ex.Image, ex.Mask, ex.Height, ex.Width);
            var random = new AugmentationRandom(7);
            t.Apply(planes, ref random);
            Assert.Equal(ex.Mask, planes.Mask);
            Assert.Equal(planes.Image.Planes.Length, planes.Roi.Planes.Length);
            for (var c = 0; c < planes.Image.Planes.Length; c++) Assert.Equal(planes.Image.Planes[c], planes.Roi.Planes[c]);
            Assert.NotEqual(ex.Image, planes.Image.Planes[0]);
        }
    }

    [Fact]
    public void HueSaturationValue_tints_a_gray_picture_when_saturation_rises()
    {
        var gray = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        var picture = new ColorPlanes((byte[])gray.Clone());
        HueSaturationValue.Shift(picture, 10, 25, 0);
        Assert.False(picture.IsGray);
        // Hue 10 (20°) with S 25: red stays v, blue drops to v·(1 − 25/255), green in between.
        Assert.Equal(200, picture.Planes[0][200]);
        Assert.Equal((int)(200 / 255f * (1 - 25 / 255f) * 255f), picture.Planes[2][200]);
        Assert.InRange(picture.Planes[1][200], picture.Planes[2][200], picture.Planes[0][200]);
        // A negative saturation shift keeps S at 0: the picture stays gray-valued in all three planes.
        picture = new ColorPlanes((byte[])gray.Clone());
        HueSaturationValue.Shift(picture, 10, -25, 0);
        Assert.Equal(picture.Planes[0], picture.Planes[1]);
        Assert.Equal(picture.Planes[1], picture.Planes[2]);
    }

    [Fact]
    public void Pipelines_by_name_produce_the_requested_size_and_binary_masks()
    {
        var set = new SyntheticSet(3, 60, 80);
        foreach (var kind in Enum.GetValues<AugmentationKind>())
        {
            var p = AugmentationPipeline.Create(kind, 32);
            Assert.Equal(PneuKnow.Runtime.SnakeCase.Of(kind), p.Name);
            for (var i = 0; i < 3; i++)
            {
                var r = p.Apply(set.Get(i), seed: 5, epoch: 0, index: i);
                Assert.Equal(kind == AugmentationKind.None ? (60, 80) : (32, 32), (r.Height, r.Width));
                Assert.All(r.Mask, m => Assert.True(m is 0 or 255));
                Assert.Equal(set.Get(i).Label, r.Label);
            }
        }
    }

    [Fact]
    public void Same_seed_epoch_and_index_give_the_same_draw_and_others_differ()
    {
        var set = new SyntheticSet(1, 48, 48);
        var p = AugmentationPipeline.Create(AugmentationKind.Strong, 48);
        var a = p.Apply(set.Get(0), 3, 1, 0);
        var b = p.Apply(set.Get(0), 3, 1, 0);
        Assert.Equal(a.Image.Planes.Length, b.Image.Planes.Length);
        for (var c = 0; c < a.Image.Planes.Length; c++) Assert.Equal(a.Image.Planes[c], b.Image.Planes[c]);
        Assert.Equal(a.Mask, b.Mask);
        var other = p.Apply(set.Get(0), 3, 2, 0);
        Assert.NotEqual(a.Mask, other.Mask);
    }

    [Fact]
    public void Strong_and_weak_share_the_geometric_draw_so_photometric_steps_leave_the_mask_alone()
    {
        var set = new SyntheticSet(4, 56, 56);
        var weak = AugmentationPipeline.Create(AugmentationKind.Weak, 40);
        var strong = AugmentationPipeline.Create(AugmentationKind.Strong, 40);
        for (var i = 0; i < 4; i++)
        for (var epoch = 0; epoch < 3; epoch++)
            Assert.Equal(weak.Apply(set.Get(i), 11, epoch, i).Mask, strong.Apply(set.Get(i), 11, epoch, i).Mask);
    }

    [Fact]
    public void Dataset_examples_are_not_modified()
    {
        var set = new SyntheticSet(1, 40, 40);
        var before = (byte[])set.Get(0).Image.Clone();
        AugmentationPipeline.Create(AugmentationKind.Strong, 40).Apply(set.Get(0), 1, 0, 0);
        Assert.Equal(before, set.Get(0).Image);
    }

    [Fact]
    public void Unknown_pipeline_name_lists_the_valid_ones()
    {
        Assert.Equal(["weak", "strong", "valid", "none"], AugmentationPipeline.Names);
        var e = Assert.Throws<FormatException>(() => PneuKnow.Runtime.SnakeCase.Parse<AugmentationKind>("medium", "--pipeline"));
        Assert.Equal("--pipeline: expected one of weak, strong, valid, none, found 'medium'.", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Non_positive_sizes_are_rejected(int size)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationPipeline.Create(AugmentationKind.Weak, size));
        Assert.Contains($"found {size}", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resize(size, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resize(10, size));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Probabilities_outside_zero_one_are_rejected_by_every_transform(double p)
    {
        Func<object>[] makers =
        [
            () => new Resize(8, 8, p), () => new ShiftScaleRotate(probability: p), () => new Clahe(probability: p),
            () => new RandomBrightnessContrast(probability: p), () => new RandomGamma(probability: p),
            () => new Sharpen(probability: p), () => new Blur(3, p), () => new MotionBlur(3, p),
            () => new HueSaturationValue(probability: p), () => new OneOf([new Blur()], p),
        ];
        foreach (var make in makers)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(make);
            Assert.Contains("expected a probability in [0, 1]", e.Message);
        }
    }

    [Fact]
    public void Probability_zero_never_fires_and_one_always_fires()
    {
        var set = new SyntheticSet(1, 30, 30);
        var ex = set.Get(0);
        for (ulong s = 0; s < 20; s++)
        {
            var planes = Planes.Of(ex.Image, ex.Roi, ex.Mask, 30, 30);
            var r = new AugmentationRandom(s);
            new RandomGamma(probability: 0).Apply(planes, ref r);
            Assert.Equal(ex.Image, planes.Image.Planes[0]);
            new Blur(3, probability: 1).Apply(planes, ref r);
            Assert.NotEqual(ex.Image, planes.Image.Planes[0]);
        }
    }
}
