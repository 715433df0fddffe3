using PneuKnow.Augmentation;

namespace PneuKnow.Tests.Augmentation;

/// <summary>
/// The SIMD paths of the filters and of batch assembly against plain per-pixel formulas written here: they must agree
/// bit for bit, including the border columns and widths that leave a scalar tail.
/// </summary>
public class VectorPathTests
{
    static int Reflect101(int i, int n) => i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;

    static byte[] Noise(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(37, 45)]
    [InlineData(5, 17)]
    [InlineData(24, 64)]
    public void Filter3x3_and_Box3x3_equal_the_per_pixel_formula(int h, int w)
    {
        var src = Noise(h * w, h * 1000 + w);
        var k = Sharpen.Kernel(0.41, 0.67);
        var sharp = new byte[h * w];
        var box = new byte[h * w];
        Convolution.Filter3x3(src, h, w, sharp, k);
        Convolution.Box3x3(src, h, w, box);
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            float s = 0;
            int sum = 0;
            for (var dy = -1; dy <= 1; dy++)
            for (var dx = -1; dx <= 1; dx++)
            {
                int v = src[Reflect101(y + dy, h) * w + Reflect101(x + dx, w)];
                s += k[(dy + 1) * 3 + dx + 1] * v;
                sum += v;
            }
            Assert.Equal((byte)Math.Clamp((int)MathF.Round(s), 0, 255), sharp[y * w + x]);
            Assert.Equal((byte)((sum + 4) / 9), box[y * w + x]);
        }
    }

    [Fact]
    public void Channels_first_floats_are_exactly_value_over_255_and_the_mask_is_zero_one()
    {
        // 300 pixels: every grey level, then a tail that is not a multiple of the vector width.
        var gray = Enumerable.Range(0, 300).Select(i => (byte)(i % 256)).ToArray();
        var mask = gray.Select(v => v % 3 == 0 ? (byte)255 : (byte)0).ToArray();
        var planes = new PairedPlanes(15, 20, new ColorPlanes(gray), new ColorPlanes((byte[])gray.Clone()), mask, 0);
        var floats = new float[3 * 300];
        PairedPlanes.WriteChannelsFirst(planes.Image, floats);
        for (var c = 0; c < 3; c++)
            for (var i = 0; i < 300; i++) Assert.Equal(gray[i] / 255f, floats[c * 300 + i]);
        var m = new float[300];
        planes.WriteMask(m);
        for (var i = 0; i < 300; i++) Assert.Equal(mask[i] != 0 ? 1f : 0f, m[i]);
    }
}
