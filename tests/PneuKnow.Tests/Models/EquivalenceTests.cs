using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

/// <summary>
/// Same weights and input as torchvision's own modules (Fixtures/Models/make_backbone_fixtures.py), same outputs:
/// the small configurations below are the ones that script builds.
/// </summary>
public class EquivalenceTests
{
    public EquivalenceTests() => TorchRuntime.Initialize("cpu");

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Models", name);

    internal static Backbone Small(string fixture) => fixture switch
    {
        "resnet_basic_small" => new ResNet(fixture, new ResNetConfig(ResNetBlockKind.Basic, new[] { 1, 2, 1, 1 }, new[] { 8, 16, 32, 48 }, 8), 7),
        "resnet_bottleneck_small" => new ResNet(fixture, new ResNetConfig(ResNetBlockKind.Bottleneck, new[] { 2, 1, 2, 1 }, new[] { 4, 8, 12, 16 }, 8), 5),
        "efficientnet_small" => new EfficientNet(fixture, EfficientNetQuarterWidth(), 6),
        "convnext_small_dims" => new ConvNeXt(fixture, new ConvNeXtConfig(new[] { 1, 1, 2, 1 }, new[] { 8, 16, 24, 32 }), 4),
        _ => throw new ArgumentException(fixture),
    };

    static EfficientNetConfig EfficientNetQuarterWidth()
    {
        var layers = new[] { 2, 1, 1, 2, 1, 1, 1 };
        var c = EfficientNetConfig.Scaled(0.25, 1.0);
        return c with { Stages = c.Stages.Select((s, i) => s with { Layers = layers[i] }).ToArray() };
    }

    [Theory]
    [InlineData("resnet_basic_small", "resnet_basic_small.safetensors", false)]
    [InlineData("resnet_bottleneck_small", "resnet_bottleneck_small.pth", false)]
    [InlineData("efficientnet_small", "efficientnet_small.pth", true)]
    [InlineData("convnext_small_dims", "convnext_small_dims.pth", true)]
    public void Outputs_equal_torchvision_for_the_same_weights_and_input(string name, string weights, bool torchvisionNames)
    {
        using var model = Small(name);
        var report = WeightImport.Load(model, Fixture(weights));
        Assert.True(report.Complete, report.ToString());
        Assert.Empty(report.HeadReinitialised);
        Assert.Empty(report.CountersKept);
        Assert.Equal(torchvisionNames, report.TorchvisionNames);
        Assert.Equal(model.state_dict().Count, report.Loaded);

        var expected = StateDictFile.Read(Fixture(name + ".expected.pth"), out _);
        model.eval();
        using var noGrad = no_grad();
        using var features = model.Features(expected["input"]);
        using var logits = model.Head(features);
        AssertClose(expected["features"], features, $"{name} features");
        AssertClose(expected["logits"], logits, $"{name} logits");
        foreach (var t in expected.Values) t.Dispose();
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double relative = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= relative * scale, $"{what}: max |difference| {diff:G4} exceeds {relative} × max |expected| {scale:G4}");
    }
}
