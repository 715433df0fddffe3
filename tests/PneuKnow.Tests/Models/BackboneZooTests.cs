using PneuKnow.Models;
using PneuKnow.Runtime;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

public class BackboneZooTests
{
    public BackboneZooTests() => TorchRuntime.Initialize("cpu");

    [Fact]
    public void Unknown_architecture_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => BackboneZoo.Create(new BackboneOptions("resnet51", 5)));
        Assert.Contains("'resnet51'", e.Message);
        foreach (var name in BackboneZoo.Names) Assert.Contains(name, e.Message);
        Assert.Equal(new[] { "resnet18", "resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small", "cntk_resnet18" }, BackboneZoo.Names);
    }

    [Fact]
    public void Pretrained_weights_come_from_the_weights_folder_and_a_new_class_count_reinitialises_the_head()
    {
        var folder = Path.Combine(Path.GetTempPath(), "pneuknow-store-" + Guid.NewGuid().ToString("N"));
        var previous = Environment.GetEnvironmentVariable(WeightStore.Variable);
        Environment.SetEnvironmentVariable(WeightStore.Variable, folder);
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() =>
                BackboneZoo.Create(new BackboneOptions("resnet18", 5, Weights: BackboneZoo.Pretrained)));
            Assert.Contains(Path.Combine(folder, "resnet18.safetensors"), e.Message);
            Assert.Contains(Path.Combine(folder, "resnet18.pth"), e.Message);
            Assert.Null(WeightStore.Find("resnet18"));

            using var trained = BackboneZoo.Create(new BackboneOptions("resnet18", 5));
            WeightExport.SaveSafetensors(trained, Path.Combine(folder, "resnet18.safetensors"));
            Assert.Equal(Path.Combine(folder, "resnet18.safetensors"), WeightStore.Find("resnet18"));

            using var model = BackboneZoo.Create(new BackboneOptions("resnet18", 3, Weights: BackboneZoo.Pretrained), out var report);
            Assert.NotNull(report);
            Assert.True(report!.Complete, report.ToString());
            Assert.Equal(new[] { "fc.weight", "fc.bias" }, report.HeadReinitialised);
            Assert.True(trained.state_dict()["layer4.1.conv2.weight"].equal(model.state_dict()["layer4.1.conv2.weight"]).all().item<bool>());
            Assert.Equal(new long[] { 3, 512 }, model.state_dict()["fc.weight"].shape);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WeightStore.Variable, previous);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Features_and_head_compose_to_forward_with_the_documented_shapes()
    {
        using var model = BackboneZoo.Create(new BackboneOptions("efficientnet_b0", 5, Dropout: 0.5, DropPath: 0.2));
        model.eval();
        using var noGrad = no_grad();
        var x = randn(new long[] { 2, 3, 64, 64 }, generator: new Generator(1));
        using var f = model.Features(x);
        Assert.Equal(new long[] { 2, 1280, 2, 2 }, f.shape);
        using var logits = model.Head(f);
        using var direct = model.forward(x);
        Assert.Equal(new long[] { 2, 5 }, logits.shape);
        Assert.True(logits.allclose(direct));
    }

    [Fact]
    public void Drop_path_zeroes_whole_samples_and_rescales_survivors_in_training_only()
    {
        using var drop = new DropPath(0.5);
        var x = ones(4000, 3, 2, 2);
        using var y = drop.forward(x);
        var perSample = y.view(4000, -1);
        // every sample is all 0 or all 2 (= 1 / keep)
        Assert.True((perSample.amax(1) == perSample.amin(1)).all().item<bool>());
        Assert.True(((perSample[.., 0] == 0) | (perSample[.., 0] == 2)).all().item<bool>());
        double kept = (perSample[.., 0] == 2).to_type(float32).mean().item<float>();
        Assert.InRange(kept, 0.45, 0.55);
        drop.eval();
        Assert.True(drop.forward(x).equal(x).all().item<bool>());
        Assert.Equal(new[] { 0.0, 0.05, 0.1 }, DropPath.Schedule(0.1, 3, lastGetsFullRate: true));
        Assert.Equal(new[] { 0.0, 0.1 / 3, 0.2 / 3 }, DropPath.Schedule(0.1, 3, lastGetsFullRate: false));
    }
}
