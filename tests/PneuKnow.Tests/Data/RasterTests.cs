using PneuKnow.Data;
using PneuKnow.Data.Phantom;

namespace PneuKnow.Tests.Data;

public class RasterTests
{
    [Fact]
    public void Polygon_coverage_sums_to_its_area()
    {
        var p = new Plane(40, 40);
        // A right triangle with legs 20 and 10, horizontal edges on pixel rows: area 100. Sub-scanlines sample the
        // slanted edge at row midpoints, exact for straight edges, and spans are exact horizontally.
        p.FillPolygon([new(5.3, 7.0), new(25.3, 7.0), new(5.3, 17.0)]);
        Assert.Equal(100.0, p.Data.Sum(v => (double)v), 0.01);
        Assert.All(p.Data, v => Assert.InRange(v, 0f, 1.0001f));
    }

    [Fact]
    public void Disc_coverage_approximates_pi_r_squared()
    {
        var p = new Plane(64, 64);
        p.FillDisc(new Vec2(31.7, 30.2), 12.5);
        Assert.Equal(Math.PI * 12.5 * 12.5, p.Data.Sum(v => (double)v), Math.PI * 12.5 * 12.5 * 0.01);
    }

    [Fact]
    public void Gaussian_blur_preserves_the_mean_and_spreads_like_sigma()
    {
        foreach (double sigma in new[] { 2.0, 6.0 }) // below and above the box-blur switch
        {
            var p = new Plane(101, 101);
            p[50, 50] = 1f;
            p.GaussianBlur(sigma);
            Assert.Equal(1.0, p.Data.Sum(v => (double)v), 1e-3);
            double var = 0;
            for (int x = 0; x < 101; x++) var += p[x, 50] * (x - 50) * (x - 50);
            var /= Enumerable.Range(0, 101).Sum(x => (double)p[x, 50]);
            // Above sigma 3 three integer-radius box passes approximate the Gaussian: variance within 20 %.
            Assert.Equal(sigma * sigma, var, sigma * sigma * 0.2);
        }
    }

    [Fact]
    public void Box_and_polygon_rasterisation_use_pixel_centres()
    {
        // A box from x=1 to 3 (exclusive) and y=0.6 to 2.4 covers centres x ∈ {1.5, 2.5}, y ∈ {1.5}.
        var m = AnnotationRaster.Boxes([new Box(1, 0.6, 2, 1.8)], 5, 4);
        var expected = new byte[20]; expected[1 * 5 + 1] = 1; expected[1 * 5 + 2] = 1;
        Assert.Equal(expected, m);
        var poly = AnnotationRaster.Polygons([[new(1, 0.6), new(3, 0.6), new(3, 2.4), new(1, 2.4)]], 5, 4);
        Assert.Equal(expected, poly);
    }

    [Fact]
    public void Resize_by_two_averages_blocks()
    {
        float[] src = [0, 2, 4, 6, 2, 4, 6, 8, 10, 10, 0, 0, 10, 10, 0, 0];
        var dst = Resampling.Resize(src, 4, 4, 2, 2);
        // The triangle filter over 4 source pixels per axis with weights 1/8, 3/8, 3/8, 1/8 (clamped at the border).
        float W(float a, float b, float c, float d) => (a + 3 * b + 3 * c + d) / 8f;
        float Row(int y, int ox) => ox == 0 ? W(src[y * 4], src[y * 4], src[y * 4 + 1], src[y * 4 + 2]) : W(src[y * 4 + 1], src[y * 4 + 2], src[y * 4 + 3], src[y * 4 + 3]);
        float Col(int oy, int ox) => oy == 0 ? W(Row(0, ox), Row(0, ox), Row(1, ox), Row(2, ox)) : W(Row(1, ox), Row(2, ox), Row(3, ox), Row(3, ox));
        for (int oy = 0; oy < 2; oy++) for (int ox = 0; ox < 2; ox++) Assert.Equal(Col(oy, ox), dst[oy * 2 + ox], 4);
        Assert.Equal(src, Resampling.Resize(src, 4, 4, 4, 4));
    }
}
