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
    public void Resize_by_exactly_two_is_cv2s_rounded_block_average_and_nearest_takes_the_top_left_sample()
    {
        // cv2's INTER_LINEAR becomes INTER_AREA for an exact halving: (a + b + c + d + 2) >> 2 per 2×2 block.
        byte[] src = [0, 2, 4, 7, 2, 5, 6, 8, 10, 10, 0, 1, 10, 11, 0, 0];
        var dst = new byte[4];
        Resampling.Linear(src, 4, 4, dst, 2, 2);
        Assert.Equal(new byte[] { (0 + 2 + 2 + 5 + 2) >> 2, (4 + 7 + 6 + 8 + 2) >> 2, (10 + 10 + 10 + 11 + 2) >> 2, (0 + 1 + 0 + 0 + 2) >> 2 }, dst);
        Resampling.Nearest(src, 4, 4, dst, 2, 2);
        Assert.Equal(new byte[] { 0, 4, 10, 0 }, dst);
        var same = new byte[16];
        Resampling.Linear(src, 4, 4, same, 4, 4);
        Assert.Equal(src, same);
    }
}
