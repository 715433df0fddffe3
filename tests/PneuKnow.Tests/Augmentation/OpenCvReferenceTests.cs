using PneuKnow.Augmentation;

namespace PneuKnow.Tests.Augmentation;

/// <summary>The pixel kernels against outputs of OpenCV 4.6 (cv2) committed as fixtures.</summary>
public class OpenCvReferenceTests
{
    public static TheoryData<string, string> ClaheCases()
    {
        var d = new TheoryData<string, string>();
        foreach (var n in new[] { "a", "b", "c" })
        foreach (var c in new[] { "1.0", "2.5", "4.0" })
            d.Add(n, c);
        return d;
    }

    [Theory]
    [MemberData(nameof(ClaheCases))]
    public void Clahe_matches_cv2_createCLAHE_within_one_level_on_99_percent(string name, string clip)
    {
        var (src, h, w) = Fixtures.Gray($"gray_{name}.png");
        var (expected, _, _) = Fixtures.Gray($"clahe_{name}_c{clip}.png");
        var actual = new byte[src.Length];
        ClaheEqualizer.Apply(src, h, w, actual, double.Parse(clip, System.Globalization.CultureInfo.InvariantCulture), 8, 8);
        var (share, max) = Fixtures.Agreement(actual, expected);
        Assert.True(share >= 0.99, $"{name} clip {clip}: {share:P2} within ±1, max difference {max}");
        // The image changed: an identity would fail the comparison above on these inputs anyway, but say so.
        Assert.NotEqual(src, actual);
    }

    [Theory]
    [InlineData("a", "1.0")]
    [InlineData("a", "4.0")]
    [InlineData("b", "4.0")]
    [InlineData("c", "1.0")]
    public void Clahe_transform_on_a_gray_xray_matches_cv2_lab_lightness_path(string name, string clip)
    {
        var (src, h, w) = Fixtures.Gray($"gray_{name}.png");
        var (r, g, b) = Fixtures.Rgb($"clahergb_{name}_c{clip}.png");
        var picture = new ColorPlanes((byte[])src.Clone());
        Clahe.Equalize(picture, h, w, double.Parse(clip, System.Globalization.CultureInfo.InvariantCulture));
        var c = 0;
        foreach (var (channel, label) in new[] { (r, "R"), (g, "G"), (b, "B") })
        {
            var (share, max) = Fixtures.Agreement(picture.Channel(c++), channel);
            Assert.True(share >= 0.99, $"{name} clip {clip} {label}: {share:P2} within ±1, max {max}");
        }
    }

    [Fact]
    public void Lab_to_rgb_is_cv2_exact_on_all_2_pow_24_codes()
    {
        // lab2rgb_sha256.txt: per L, the SHA-256 of cv2's R,G,B bytes over all (a, b), a outer, b inner.
        var expected = File.ReadAllLines(Fixtures.PathOf("lab2rgb_sha256.txt")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(256, expected.Length);
        var wrong = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 256, l =>
        {
            var rgb = new byte[256 * 256 * 3];
            for (int a = 0, i = 0; a < 256; a++)
                for (var b = 0; b < 256; b++, i += 3)
                    (rgb[i], rgb[i + 1], rgb[i + 2]) = ColorSpace.LabToRgb((byte)l, (byte)a, (byte)b);
            if (Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(rgb)).ToLowerInvariant() != expected[l]) wrong.Add(l);
        });
        Assert.True(wrong.IsEmpty, $"LAB→RGB differs from cv2 for L in {{{string.Join(", ", wrong.Order())}}}");
    }

    [Fact]
    public void Clahe_on_a_gray_picture_equals_the_per_pixel_lab_round_trip()
    {
        // The gray shortcut (tables) must give what RGB → LAB → CLAHE(L) → LAB2RGB gives pixel by pixel, including the
        // 16 L values where cv2's R, G and B differ by a level (the picture then becomes three planes).
        var (src, h, w) = Fixtures.Gray("gray_b.png");
        var picture = new ColorPlanes((byte[])src.Clone());
        Clahe.Equalize(picture, h, w, 4.0);
        var l = src.Select(v => ColorSpace.RgbToLab(v, v, v).L).ToArray();
        ClaheEqualizer.Apply(l, h, w, l, 4.0, 8, 8);
        for (var i = 0; i < l.Length; i++)
            Assert.Equal(ColorSpace.LabToRgb(l[i], 128, 128), (picture.Channel(0)[i], picture.Channel(1)[i], picture.Channel(2)[i]));
        Assert.Contains(l, v => ColorSpace.LabToRgb(v, 128, 128) is var (r, g, b) && (r != g || g != b));
    }

    [Fact]
    public void Lab_conversions_match_cv2_on_random_pixels()
    {
        var rows = Fixtures.CsvRows("lab_pixels.csv").Select(r => r.Select(v => (byte)v).ToArray()).ToList();
        Assert.Equal(200, rows.Count);
        foreach (var r in rows)
        {
            Assert.Equal((r[3], r[4], r[5]), ColorSpace.RgbToLab(r[0], r[1], r[2]));
            Assert.Equal((r[6], r[7], r[8]), ColorSpace.LabToRgb(r[3], r[4], r[5]));
        }
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    [InlineData("c")]
    public void ShiftScaleRotate_warp_matches_cv2_warpAffine_bilinear_and_nearest(string name)
    {
        var (src, h, w) = Fixtures.Gray($"gray_{name}.png");
        var (mask, _, _) = Fixtures.Gray($"mask_{name}.png");
        var (expected, _, _) = Fixtures.Gray($"warp_{name}.png");
        var (expectedMask, _, _) = Fixtures.Gray($"warpmask_{name}.png");
        var p = Fixtures.CsvRow($"warp_{name}.csv");
        var planes = Planes.Of(src, src, mask, h, w);
        ShiftScaleRotate.Warp(planes, p[0], p[1], p[2], p[3]);
        var (share, max) = Fixtures.Agreement(planes.Image.Planes[0], expected, tolerance: 0);
        Assert.True(share >= 0.99 && max <= 1, $"image: {share:P2} exact, max {max}");
        var (mshare, _) = Fixtures.Agreement(planes.Mask, expectedMask, tolerance: 0);
        Assert.True(mshare >= 0.995, $"mask: {mshare:P2} exact");
        Assert.Equal(planes.Image.Planes[0], planes.Roi.Planes[0]);
    }

    [Theory]
    [InlineData("a", 32, 48)]
    [InlineData("b", 120, 90)]
    public void Resize_matches_cv2_resize_linear(string name, int dh, int dw)
    {
        var (src, h, w) = Fixtures.Gray($"gray_{name}.png");
        var (expected, eh, ew) = Fixtures.Gray($"resize_{name}_{dh}x{dw}.png");
        Assert.Equal((dh, dw), (eh, ew));
        var actual = new byte[dh * dw];
        Geometry.ResizeBilinear(src, h, w, actual, dh, dw);
        var (share, max) = Fixtures.Agreement(actual, expected);
        Assert.True(share >= 0.99 && max <= 1, $"{share:P2} within ±1, max {max}");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("c")]
    public void Sharpen_and_blur_match_cv2_filter2D_and_blur(string name)
    {
        var (src, h, w) = Fixtures.Gray($"gray_{name}.png");
        var sharp = new byte[src.Length];
        Convolution.Filter3x3(src, h, w, sharp, Sharpen.Kernel(0.35, 0.8));
        var (share, max) = Fixtures.Agreement(sharp, Fixtures.Gray($"sharpen_{name}.png").Pixels);
        Assert.True(share >= 0.99 && max <= 1, $"sharpen: {share:P2} within ±1, max {max}");
        var blur = new byte[src.Length];
        Convolution.Box3x3(src, h, w, blur);
        (share, max) = Fixtures.Agreement(blur, Fixtures.Gray($"blur_{name}.png").Pixels, tolerance: 0);
        Assert.True(share >= 0.99 && max <= 1, $"blur: {share:P2} exact, max {max}");
    }

    [Fact]
    public void Motion_blur_lines_match_cv2_line_for_every_pair_of_grid_points()
    {
        var rows = Fixtures.CsvRows("motion_kernels.csv").ToList();
        Assert.Equal(72, rows.Count);
        foreach (var r in rows)
        {
            var expected = r.Skip(4).Select(v => (byte)v).ToArray();
            var actual = MotionBlur.Line((int)r[0], (int)r[1], (int)r[2], (int)r[3]);
            Assert.True(expected.SequenceEqual(actual), $"line ({r[0]},{r[1]})-({r[2]},{r[3]}): expected {string.Join("", expected)}, found {string.Join("", actual)}");
        }
    }

    [Fact]
    public void HueSaturationValue_on_a_gray_ramp_matches_albumentations_shift_hsv_uint8()
    {
        foreach (var row in Fixtures.CsvRows("hsv_gray.csv"))
        {
            var ramp = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
            var picture = new ColorPlanes(ramp);
            HueSaturationValue.Shift(picture, row[0], row[1], row[2]);
            var expected = row.Skip(3).Select(v => (byte)v).ToArray();
            Assert.Equal(3, picture.Planes.Length);
            for (var c = 0; c < 3; c++)
            {
                var channel = Enumerable.Range(0, 256).Select(i => expected[3 * i + c]).ToArray();
                var (share, max) = Fixtures.Agreement(picture.Planes[c], channel, tolerance: 0);
                Assert.True(share >= 0.99 && max <= 1, $"shifts ({row[0]}, {row[1]}, {row[2]}) channel {c}: {share:P2} exact, max {max}");
            }
        }
    }
}
