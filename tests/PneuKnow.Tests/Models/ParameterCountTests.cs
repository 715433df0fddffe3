using PneuKnow.Models;
using PneuKnow.Runtime;

namespace PneuKnow.Tests.Models;

public class ParameterCountTests
{
    public ParameterCountTests() => TorchRuntime.Initialize("cpu");

    // Reference counts with 1000 classes (docs/design.md, "Pretrained weights offline"; torchvision 0.14 prints the same, see make_backbone_fixtures.py).
    [Theory]
    [InlineData("resnet18", 11_689_512, 512)]
    [InlineData("resnet50", 25_557_032, 2048)]
    [InlineData("efficientnet_b0", 5_288_548, 1280)]
    [InlineData("efficientnet_b1", 7_794_184, 1280)]
    [InlineData("convnext_tiny", 28_589_128, 768)]
    [InlineData("convnext_small", 50_223_688, 768)]
    public void Full_size_networks_have_the_reference_parameter_count(string architecture, long parameters, int channels)
    {
        using var model = BackboneZoo.Create(new BackboneOptions(architecture, 1000));
        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));
        Assert.Equal(channels, model.FeatureChannels);
        Assert.Equal(architecture, model.Architecture);
    }

    [Fact]
    public void A_five_class_head_changes_only_the_classifier_parameters()
    {
        using var model = BackboneZoo.Create(new BackboneOptions("convnext_tiny", 5));
        // 28,589,128 - 768·1000 - 1000 + 768·5 + 5
        Assert.Equal(28_589_128L - 768 * 995 - 995, model.parameters().Sum(p => p.numel()));
    }
}
