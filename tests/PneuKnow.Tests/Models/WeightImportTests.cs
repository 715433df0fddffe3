using PneuKnow.Models;
using PneuKnow.Runtime;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

public class WeightImportTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "pneuknow-weights-" + Guid.NewGuid().ToString("N"));

    public WeightImportTests()
    {
        TorchRuntime.Initialize("cpu");
        Directory.CreateDirectory(dir);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Export_writes_timm_names_that_load_back_to_identical_outputs()
    {
        using var source = EquivalenceTests.Small("convnext_small_dims");
        WeightImport.Load(source, EquivalenceTests.Fixture("convnext_small_dims.pth"));
        var path = Path.Combine(dir, "exported.safetensors");
        WeightExport.SaveSafetensors(source, path);

        var saved = StateDictFile.Read(path, out var format);
        Assert.Equal("safetensors", format);
        Assert.Contains("stages.2.blocks.1.gamma", saved.Keys);   // timm's name, from torchvision's features.5.1.layer_scale
        Assert.Contains("head.fc.weight", saved.Keys);
        Assert.Equal(new long[] { 24 }, saved["stages.2.blocks.1.gamma"].shape);

        using var copy = EquivalenceTests.Small("convnext_small_dims");
        var report = WeightImport.Load(copy, path);
        Assert.False(report.TorchvisionNames);
        Assert.True(report.Complete, report.ToString());
        source.eval(); copy.eval();
        using var noGrad = no_grad();
        var x = randn(new long[] { 1, 3, 32, 32 }, generator: new Generator(3));
        EquivalenceTests.AssertClose(source.forward(x), copy.forward(x), "reloaded logits", 0);
    }

    [Fact]
    public void Another_class_count_reinitialises_only_the_head_and_says_so()
    {
        using var model = new ConvNeXt("convnext_small_dims", new ConvNeXtConfig(new[] { 1, 1, 2, 1 }, new[] { 8, 16, 24, 32 }), 9);
        var before = model.state_dict()["head.fc.weight"].clone();
        var report = WeightImport.Load(model, EquivalenceTests.Fixture("convnext_small_dims.pth"));
        Assert.Equal(new[] { "head.fc.weight", "head.fc.bias" }, report.HeadReinitialised);
        Assert.True(report.Complete);
        Assert.Contains("head re-initialised", report.ToString());
        Assert.True(before.equal(model.state_dict()["head.fc.weight"]).all().item<bool>());
        var expected = StateDictFile.Read(EquivalenceTests.Fixture("convnext_small_dims.pth"), out _);
        Assert.True(expected["features.0.0.weight"].equal(model.state_dict()["stem.0.weight"]).all().item<bool>());
    }

    [Fact]
    public void Wrong_architecture_reports_every_missing_unexpected_and_mismatched_key_and_loads_nothing()
    {
        // ResNet-Bottleneck weights into the BasicBlock fixture network: same top-level names, other blocks.
        using var model = EquivalenceTests.Small("resnet_basic_small");
        var before = model.state_dict()["conv1.weight"].clone();
        var e = Assert.Throws<WeightImportException>(() => WeightImport.Load(model, EquivalenceTests.Fixture("resnet_bottleneck_small.pth")));
        Assert.Contains("layer1.1.conv3.weight", e.Report.Unexpected);           // bottleneck's second block of layer1
        Assert.Contains("layer2.1.conv1.weight", e.Report.Missing);              // basic has two blocks in layer2
        Assert.Contains(e.Report.ShapeMismatches, m => m.Key == "layer1.0.conv1.weight");
        Assert.Contains("layer1.1.conv3.weight", e.Message);
        Assert.Contains("allow-partial", e.Message);
        Assert.True(before.equal(model.state_dict()["conv1.weight"]).all().item<bool>(), "nothing may be copied when the import fails");

        var partial = WeightImport.Load(model, EquivalenceTests.Fixture("resnet_bottleneck_small.pth"), allowPartial: true);
        Assert.False(partial.Complete);
        Assert.True(partial.Loaded > 0);
    }

    [Fact]
    public void Corrupt_and_foreign_files_are_named_in_clear_errors()
    {
        var truncated = Path.Combine(dir, "truncated.safetensors");
        var bytes = File.ReadAllBytes(EquivalenceTests.Fixture("resnet_basic_small.safetensors"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        using var model = EquivalenceTests.Small("resnet_basic_small");
        var e1 = Assert.Throws<InvalidDataException>(() => WeightImport.Load(model, truncated));
        Assert.Contains(truncated, e1.Message);
        Assert.Contains("truncated", e1.Message);

        var brokenZip = Path.Combine(dir, "broken.pth");
        var zip = File.ReadAllBytes(EquivalenceTests.Fixture("resnet_bottleneck_small.pth"));
        File.WriteAllBytes(brokenZip, zip[..(zip.Length - 200)]);
        var e2 = Assert.Throws<InvalidDataException>(() => WeightImport.Load(model, brokenZip));
        Assert.Contains(brokenZip, e2.Message);

        var text = Path.Combine(dir, "notes.pth");
        File.WriteAllText(text, "not weights");
        var e3 = Assert.Throws<InvalidDataException>(() => WeightImport.Load(model, text));
        Assert.Contains("expected a safetensors file", e3.Message);

        Assert.Throws<FileNotFoundException>(() => WeightImport.Load(model, Path.Combine(dir, "absent.safetensors")));
    }

    [Fact]
    public void Torchvision_names_map_to_timm_names()
    {
        var expands = new[] { 1, 6 };
        Assert.Equal("conv_stem.weight", TorchvisionNames.EfficientNet("features.0.0.weight", expands));
        Assert.Equal("blocks.0.1.se.conv_reduce.bias", TorchvisionNames.EfficientNet("features.1.1.block.1.fc1.bias", expands));
        Assert.Equal("blocks.0.0.conv_pw.weight", TorchvisionNames.EfficientNet("features.1.0.block.2.0.weight", expands));
        Assert.Equal("blocks.1.0.conv_pwl.weight", TorchvisionNames.EfficientNet("features.2.0.block.3.0.weight", expands));
        Assert.Equal("bn2.running_var", TorchvisionNames.EfficientNet("features.3.1.running_var", expands));
        Assert.Equal("classifier.weight", TorchvisionNames.EfficientNet("classifier.1.weight", expands));
        using var scale = ones(5, 1, 1);
        var (key, value) = TorchvisionNames.ConvNeXt("features.3.2.layer_scale", scale);
        Assert.Equal("stages.1.blocks.2.gamma", key);
        Assert.Equal(new long[] { 5 }, value.shape);
        Assert.Equal("stages.3.downsample.1.weight", TorchvisionNames.ConvNeXt("features.6.1.weight", scale).Key);
        Assert.Equal("head.norm.bias", TorchvisionNames.ConvNeXt("classifier.0.bias", scale).Key);
    }
}
