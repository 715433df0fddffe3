using PneuKnow.Data;
using PneuKnow.Explain;
using PneuKnow.Models;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Explain;

/// <summary>A one-convolution net with the Features/Head split: feature map 8×(H/2)×(W/2), head = global average pool + linear.</summary>
internal sealed class QuadrantNet : Backbone
{
    private readonly Conv2d conv;
    private readonly Linear linear;

    public QuadrantNet() : base(nameof(QuadrantNet))
    {
        conv = nn.Conv2d(3, 8, 5, stride: 2, padding: 2);
        linear = nn.Linear(8, 2);
        RegisterComponents();
    }

    public override string Architecture => "quadrant_net";
    public override int FeatureChannels => 8;
    public override int Classes => 2;

    // One convolution only: on this machine libtorch 2.10's CPU conv2d backward for the input gradient
    // sporadically returns NaN (seen in about half the runs of a 2-conv net); the first layer never needs it.
    public override Tensor Features(Tensor x) => nn.functional.relu(conv.forward(x));

    public override Tensor Head(Tensor features) => linear.forward(features.mean([2, 3]));

    // The synthetic images are already centred; ImageNet statistics would only rescale them.
    public override Tensor Normalize(Tensor rgb01) => rgb01 - 0.5;
}

/// <summary>Images 16×16: noise everywhere; class 1 has a bright 4×4 square somewhere in the top-left quadrant only.</summary>
internal sealed class QuadrantImages : IAnnotatedImageSet
{
    private readonly AnnotatedImage[] items;

    public QuadrantImages(int count, int seed)
    {
        var rng = new Random(seed);
        items = Enumerable.Range(0, count).Select(i =>
        {
            int label = i % 2;
            var image = new byte[256];
            var mask = new byte[256];
            for (int p = 0; p < 256; p++) image[p] = (byte)rng.Next(60, 140);
            int y0 = rng.Next(0, 5), x0 = rng.Next(0, 5);
            for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) mask[y * 16 + x] = 255;   // the expert marks the top-left quadrant
            if (label == 1)
                for (int y = y0; y < y0 + 4; y++) for (int x = x0; x < x0 + 4; x++) image[y * 16 + x] = 250;
            return new AnnotatedImage(16, 16, image, image.ToArray(), mask, label);
        }).ToArray();
    }

    public int Count => items.Length;
    public IReadOnlyList<string> Classes => ["absent", "present"];
    public int LabelOf(int index) => items[index].Label;
    public AnnotatedImage Get(int index) => items[index];
}

public class GradCamTests
{
    public GradCamTests() => TorchRuntime.Initialize("cpu");

    private static QuadrantNet Train(QuadrantImages data)
    {
        torch.manual_seed(1);
        var net = new QuadrantNet();
        var optimizer = optim.Adam(net.parameters(), lr: 0.02);
        var all = Enumerable.Range(0, data.Count).ToArray();
        var labels = tensor(all.Select(i => (long)data.LabelOf(i)).ToArray());
        for (int step = 0; step < 50; step++)
        {
            using var scope = NewDisposeScope();
            var x = net.Normalize(GradCam.ToRgb01(all.Select(data.Get).ToArray(), ImagePlane.Image));
            var loss = nn.functional.cross_entropy(net.forward(x), labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return net;
    }

    [Fact]
    public void Grad_cam_of_a_net_trained_on_one_quadrant_lands_in_that_quadrant()
    {
        var train = new QuadrantImages(32, seed: 2);
        var net = Train(train);
        var test = new QuadrantImages(16, seed: 3);
        var positives = Enumerable.Range(0, test.Count).Where(i => test.LabelOf(i) == 1).ToArray();
        var maps = GradCam.OfImages(net, test, positives, CamTarget.Class(1), batchSize: 3);
        Assert.Equal(positives, maps.Select(m => m.Index));
        Assert.All(maps, m => Assert.True(m.Probability > 0.9, $"image {m.Index}: the net should have learnt the task, p = {m.Probability}"));
        var scores = maps.Select(m => DecisionRegions.Score(m, test.Get(m.Index).Mask)).ToArray();
        // A CAM spread evenly would put a quarter of its mass in the quadrant; bilinear upsampling of the 8×8 map blurs its edge.
        Assert.All(scores, s => Assert.True(s.EnergyPointingGame > 0.6, $"image {s.Index}: energy in the quadrant {s.EnergyPointingGame}"));
        Assert.All(scores, s => Assert.Equal(1.0, s.PointingGame));
        Assert.True(net.training, "Grad-CAM must restore the model's mode");
    }

    [Fact]
    public void Targets_pick_the_class_and_batches_agree_with_single_images()
    {
        torch.manual_seed(5);
        var net = new QuadrantNet();
        var data = new QuadrantImages(5, seed: 4);
        int[] all = [0, 1, 2, 3, 4];
        var byLabel = GradCam.OfImages(net, data, all, CamTarget.Label, batchSize: 2);
        Assert.Equal(all.Select(data.LabelOf), byLabel.Select(m => m.Class));
        var predicted = GradCam.OfImages(net, data, all, CamTarget.Predicted, batchSize: 5);
        var single = all.Select(i => GradCam.OfImages(net, data, [i], CamTarget.Predicted, batchSize: 1)[0]).ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal(single[i].Class, predicted[i].Class);
            Assert.Equal(16 * 16, predicted[i].Values.Length);
            for (int p = 0; p < 256; p++) Assert.Equal(single[i].Values[p], predicted[i].Values[p], 4);
            Assert.All(predicted[i].Values, v => Assert.True(v >= 0));
        }
    }

    [Fact]
    public void Several_targets_from_one_forward_pass_equal_one_call_per_target()
    {
        torch.manual_seed(6);
        var net = new QuadrantNet();
        var data = new QuadrantImages(6, seed: 8);
        int[] all = [0, 1, 2, 3, 4, 5];
        var both = GradCam.OfImages(net, data, all, [CamTarget.Predicted, CamTarget.Label], batchSize: 4);
        var predicted = GradCam.OfImages(net, data, all, CamTarget.Predicted, batchSize: 4);
        var label = GradCam.OfImages(net, data, all, CamTarget.Label, batchSize: 4);
        Assert.Equal(2, both.Count);
        foreach (var (shared, alone) in new[] { (both[0], predicted), (both[1], label) })
            for (int i = 0; i < all.Length; i++)
            {
                Assert.Equal(alone[i].Class, shared[i].Class);
                Assert.Equal(alone[i].Probability, shared[i].Probability, 9);
                for (int p = 0; p < alone[i].Values.Length; p++) Assert.Equal(alone[i].Values[p], shared[i].Values[p], 5);
            }
    }

    [Fact]
    public void An_index_outside_the_dataset_and_a_bad_class_are_refused()
    {
        var net = new QuadrantNet();
        var data = new QuadrantImages(4, seed: 4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradCam.OfImages(net, data, [1, 7], CamTarget.Predicted));
        Assert.Contains("0..3", ex.Message);
        Assert.Contains("found 7", ex.Message);
        Assert.Contains("0..1", Assert.Throws<ArgumentException>(() => GradCam.OfImages(net, data, [0], CamTarget.Class(2))).Message);
    }

    [Fact]
    public void Overlay_keeps_the_xray_where_the_cam_is_cold_and_draws_the_outline()
    {
        var data = new QuadrantImages(2, seed: 4);
        var example = data.Get(1);
        var values = new float[256];
        values[15 * 16 + 15] = 1;   // hot bottom-right corner only
        using var overlay = CamOverlay.Render(example, new CamMap(1, 1, 1, 16, 16, values), alpha: 0.5);
        // (12, 12): cold, outside the mask → the gray X-ray pixel
        byte g = example.Image[12 * 16 + 12];
        Assert.Equal(new Rgb24(g, g, g), overlay[12, 12]);
        // the quadrant mask's border (x = 7) is outlined, its interior is not
        Assert.Equal(CamOverlay.OutlineColor, overlay[7, 3]);
        Assert.NotEqual(CamOverlay.OutlineColor, overlay[3, 3]);
        // the hot pixel is blended towards dark red
        var hot = overlay[15, 15];
        Assert.True(hot.R > hot.B, $"hot pixel {hot}");

        using var grid = CamOverlay.Grid([[overlay, overlay, overlay], [overlay, overlay, overlay]], gap: 2);
        Assert.Equal((3 * 16 + 2 * 2, 2 * 16 + 2), (grid.Width, grid.Height));
        Assert.Equal(overlay[12, 12], grid[16 + 2 + 12, 16 + 2 + 12]);
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-grid-{Guid.NewGuid():N}.png");
        try
        {
            CamOverlay.SavePng(grid, path);
            using var back = Image.Load<Rgb24>(path);
            Assert.Equal(grid[20, 20], back[20, 20]);
        }
        finally { File.Delete(path); }
        Assert.Contains("Row 1", Assert.Throws<ArgumentException>(() => CamOverlay.Grid([[overlay], [overlay, overlay]])).Message);
    }
}

public class DecisionRegionComparisonTests
{
    public DecisionRegionComparisonTests() => TorchRuntime.Initialize("cpu");

    [Fact]
    public void Several_models_on_the_same_images_give_a_table_a_grid_and_a_caption()
    {
        torch.manual_seed(11);
        var a = new QuadrantNet();
        var b = new QuadrantNet();
        var data = new QuadrantImages(4, seed: 9);
        int[] indices = [1, 3];
        var result = DecisionRegionComparison.Run([new ExplainedModel("baseline", a), new ExplainedModel("HKD", b, ImagePlane.Roi)], data, indices, CamTarget.Label, batchSize: 1);
        Assert.Equal(["baseline", "HKD"], result.Models.Select(m => m.Name));
        Assert.All(result.Models, m => Assert.Equal(indices, m.Maps.Select(c => c.Index)));
        var single = GradCam.OfImages(a, data, [3], CamTarget.Label)[0];
        Assert.Equal(single.Values, result.Models[0].Maps[1].Values);
        Assert.Equal(2, result.Table().Rows.Count);
        using var figure = result.Figure(data, gap: 2);
        Assert.Equal((2 * 16 + 2, 2 * 16 + 2), (figure.Width, figure.Height));
        var caption = result.Caption(data.Classes);
        Assert.Contains("Columns: baseline | HKD", caption);
        Assert.Contains("Row 2: image 3", caption);
        Assert.Throws<ArgumentException>(() => DecisionRegionComparison.Run([new ExplainedModel("x", a), new ExplainedModel("x", b)], data, indices, CamTarget.Label));
        Assert.Throws<ArgumentOutOfRangeException>(() => DecisionRegionComparison.Run([new ExplainedModel("x", a)], data, [9], CamTarget.Label));
    }
}
