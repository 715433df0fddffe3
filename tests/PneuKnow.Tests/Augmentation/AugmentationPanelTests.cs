using PneuKnow.Augmentation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Augmentation;

public class AugmentationPanelTests
{
    // The synthetic examples' ROI is the image inside a rectangular mask and 0 outside. After a geometric draw shared by
    // all three planes that must still hold wherever the mask is unambiguous (a pixel whose 5×5 neighbourhood is all
    // inside or all outside: bilinear resize and warp blend up to two source pixels where nearest picks one, and a 1.5×
    // zoom spreads that over two output pixels): a ROI or mask warped with another draw, shifted by up to 10 % of the
    // side and turned by up to 10°, breaks it along the edges.
    [Fact]
    public void Weak_triples_keep_the_roi_equal_to_the_image_inside_the_mask_and_black_outside()
    {
        const int h = 48, w = 56;
        var set = new SyntheticSet(3, h, w, seed: 7);
        var triples = AugmentationPanel.Draw(set, AugmentationPipeline.Create(AugmentationKind.Weak, 48), [0, 2], draws: 4, seed: 3);
        Assert.Equal([(0, 0), (0, 1), (0, 2), (0, 3), (2, 0), (2, 1), (2, 2), (2, 3)], triples.Select(t => (t.Index, t.Draw)));
        int inside = 0, outside = 0;
        foreach (var t in triples)
        {
            var p = t.Planes;
            byte[] image = p.Image.Planes[0], roi = p.Roi.Planes[0], mask = p.Mask;
            for (var y = 2; y < 46; y++)
            for (var x = 2; x < 46; x++)
            {
                var around = Enumerable.Range(-2, 5).SelectMany(dy => Enumerable.Range(-2, 5).Select(dx => mask[(y + dy) * 48 + x + dx])).ToArray();
                if (around.All(m => m == 255)) { Assert.Equal(image[y * 48 + x], roi[y * 48 + x]); inside++; }
                else if (around.All(m => m == 0)) { Assert.Equal(0, roi[y * 48 + x]); outside++; }
            }
        }
        Assert.True(inside > 1000 && outside > 1000, $"expected both regions to be sampled, found {inside} inside, {outside} outside");
    }

    [Fact]
    public void Strong_triples_are_the_loader_draws_and_share_the_geometric_draw_with_weak()
    {
        var set = new SyntheticSet(4, 40, 40, seed: 11);
        var strong = AugmentationPanel.Draw(set, AugmentationPipeline.Create(AugmentationKind.Strong, 32), [1, 3], draws: 3, seed: 5);
        var weak = AugmentationPanel.Draw(set, AugmentationPipeline.Create(AugmentationKind.Weak, 32), [1, 3], draws: 3, seed: 5);
        var pipeline = AugmentationPipeline.Create(AugmentationKind.Strong, 32);
        for (var k = 0; k < strong.Count; k++)
        {
            var t = strong[k];
            var again = pipeline.Apply(set.Get(t.Index), 5, t.Draw, t.Index);
            Assert.Equal(again.Image.Planes, t.Planes.Image.Planes);
            Assert.Equal(again.Roi.Planes, t.Planes.Roi.Planes);
            // The photometric steps come after the geometric one in the same stream and never touch the mask.
            Assert.Equal(weak[k].Planes.Mask, t.Planes.Mask);
        }
        // Different draws of one example differ (the panel shows variety, not one picture three times).
        Assert.NotEqual(strong[0].Planes.Mask, strong[1].Planes.Mask);
    }

    [Fact]
    public void Png_lays_out_one_row_per_triple_with_the_mask_in_red()
    {
        var set = new SyntheticSet(2, 30, 30, seed: 2);
        var triples = AugmentationPanel.Draw(set, AugmentationPipeline.Create(AugmentationKind.Weak, 24), [0], draws: 2);
        using var png = Image.Load<Rgb24>(AugmentationPanel.Png(triples, gap: 2));
        Assert.Equal((3 * 24 + 4, 2 * 24 + 2), (png.Width, png.Height));
        var p = triples[1].Planes;
        for (var i = 0; i < 24 * 24; i++)
        {
            int y = i / 24, x = i % 24;
            var overlay = png[2 * (24 + 2) + x, 24 + 2 + y];
            var v = p.Image.Planes[0][i];
            Assert.Equal(p.Mask[i] != 0 ? new Rgb24((byte)((v + 255) / 2), (byte)(v / 2), (byte)(v / 2)) : new Rgb24(v, v, v), overlay);
            Assert.Equal(p.Roi.Planes[0][i], png[24 + 2 + x, 24 + 2 + y].R);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationPanel.Draw(set, AugmentationPipeline.Create(AugmentationKind.Weak, 24), [2], draws: 1));
    }
}
