using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PneuKnow.Models;

/// <summary>The residual block a ResNet is made of.</summary>
public enum ResNetBlockKind
{
    /// <summary>Two 3×3 convolutions (ResNet-18/34), expansion 1.</summary>
    Basic,
    /// <summary>1×1, 3×3 (strided, "v1.5"), 1×1 convolutions (ResNet-50/101), expansion 4.</summary>
    Bottleneck,
}

/// <summary>Width and depth of a ResNet, as torchvision's <c>ResNet(block, layers)</c> with configurable widths.</summary>
/// <param name="Block">Residual block kind.</param>
/// <param name="Layers">Blocks in each of the four stages.</param>
/// <param name="Widths">Planes of each stage (the block's inner width; its output is width × expansion).</param>
/// <param name="StemWidth">Output channels of the 7×7 stem convolution.</param>
public sealed record ResNetConfig(ResNetBlockKind Block, int[] Layers, int[] Widths, int StemWidth = 64)
{
    /// <summary>Output channels of a block = planes × expansion.</summary>
    public int Expansion => Block == ResNetBlockKind.Basic ? 1 : 4;

    /// <summary>torchvision/timm <c>resnet18</c>.</summary>
    public static ResNetConfig ResNet18 { get; } = new(ResNetBlockKind.Basic, new[] { 2, 2, 2, 2 }, new[] { 64, 128, 256, 512 });

    /// <summary>torchvision/timm <c>resnet50</c>.</summary>
    public static ResNetConfig ResNet50 { get; } = new(ResNetBlockKind.Bottleneck, new[] { 3, 4, 6, 3 }, new[] { 64, 128, 256, 512 });
}

/// <summary>
/// ResNet with torchvision's module names (which timm shares, head included: <c>fc</c>).
/// Features: stem and <c>layer1</c>..<c>layer4</c>; head: global average pool, dropout, <c>fc</c>.
/// </summary>
public sealed class ResNet : Backbone, IReferenceNaming
{
    readonly string architecture;
    readonly ResNetConfig config;
    readonly int classes;
    readonly double dropout;
    // Field names are the reference state-dict names.
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly Linear fc;

    /// <summary>Builds a ResNet.</summary>
    /// <param name="architecture">Name reported by <see cref="Architecture"/>.</param>
    /// <param name="config">Widths and depths.</param>
    /// <param name="classes">Head outputs.</param>
    /// <param name="dropout">Dropout before <c>fc</c> (the paper replaces the classifier by Dropout + Linear).</param>
    /// <param name="dropPath">Stochastic depth rate of the last block (timm: linear from 0 over the blocks).</param>
    /// <param name="outputStride">Input pixels per feature-map cell: 32 (the reference network) or 16, where the last stage
    /// keeps its resolution and dilates its 3×3 convolutions by 2 instead (timm's <c>output_stride=16</c>): a 112 px input
    /// then gives a 7×7 feature map, as 224 px does at 32. The weights are the same tensors either way.</param>
    public ResNet(string architecture, ResNetConfig config, int classes, double dropout = 0.0, double dropPath = 0.0, int outputStride = ReferenceOutputStride) : base(architecture)
    {
        BackboneChecks.OutputStride(outputStride);
        if (config.Layers.Length != 4 || config.Widths.Length != 4)
            throw new ArgumentException($"ResNet config: expected 4 stage depths and 4 widths, found {config.Layers.Length} and {config.Widths.Length}.", nameof(config));
        BackboneChecks.Head(classes, dropout, dropPath);
        this.architecture = architecture;
        this.config = config;
        this.classes = classes;
        this.dropout = dropout;
        OutputStride = outputStride;
        conv1 = nn.Conv2d(3, config.StemWidth, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(config.StemWidth);
        var rates = DropPath.Schedule(dropPath, config.Layers.Sum(), lastGetsFullRate: true);
        int inChannels = config.StemWidth, index = 0;
        var stages = new Sequential[4];
        var plan = BackboneChecks.ResNetStages(outputStride);
        for (int s = 0; s < 4; s++)
        {
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            var (stageStride, previousDilation, dilation) = plan[s];
            for (int b = 0; b < config.Layers[s]; b++)
            {
                int stride = b == 0 ? stageStride : 1;
                blocks.Add((b.ToString(), new ResidualBlock(config.Block, inChannels, config.Widths[s], stride, rates[index++],
                    firstDilation: b == 0 ? previousDilation : dilation, dilation: dilation)));
                inChannels = config.Widths[s] * config.Expansion;
            }
            stages[s] = nn.Sequential(blocks);
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3]);
        FeatureChannels = inChannels;
        fc = nn.Linear(inChannels, classes);
        RegisterComponents();
        Initialise();
    }

    /// <summary>torchvision <c>resnet18</c> (11,689,512 parameters with 1000 classes).</summary>
    public static ResNet resnet18(int classes = 1000, double dropout = 0.0, double dropPath = 0.0, int outputStride = ReferenceOutputStride) =>
        new("resnet18", ResNetConfig.ResNet18, classes, dropout, dropPath, outputStride);

    /// <summary>timm/torchvision <c>resnet50</c> (25,557,032 parameters with 1000 classes).</summary>
    public static ResNet resnet50(int classes = 1000, double dropout = 0.0, double dropPath = 0.0, int outputStride = ReferenceOutputStride) =>
        new("resnet50", ResNetConfig.ResNet50, classes, dropout, dropPath, outputStride);

    /// <summary>Input pixels per feature-map cell (32, or 16 with a dilated last stage).</summary>
    public int OutputStride { get; }

    /// <inheritdoc />
    public override string Architecture => architecture;

    /// <inheritdoc />
    public override int FeatureChannels { get; }

    /// <inheritdoc />
    public override int Classes => classes;

    /// <summary>The widths and depths this network was built with.</summary>
    public ResNetConfig Config => config;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassifierKeys { get; } = new[] { "fc.weight", "fc.bias" };

    /// <inheritdoc />
    /// <remarks>timm's ResNet keeps torchvision's names, so there is nothing to translate.</remarks>
    public bool IsTorchvision(IReadOnlyCollection<string> keys) => false;

    /// <inheritdoc />
    public (string Key, Tensor Value) FromTorchvision(string key, Tensor value) => (key, value);

    /// <inheritdoc />
    public override Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = F.relu(bn1.call(conv1.call(x)));
        y = F.max_pool2d(y, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 });
        y = layer4.call(layer3.call(layer2.call(layer1.call(y))));
        return y.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Head(Tensor features)
    {
        using var scope = NewDisposeScope();
        var pooled = features.mean(new long[] { 2, 3 });
        return fc.call(F.dropout(pooled, dropout, training)).MoveToOuterDisposeScope();
    }

    void Initialise()
    {
        // torchvision's initialisation: He-normal (fan-out) convolutions, unit/zero BatchNorm, fc as nn.Linear's own reset.
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d c: WeightInit.KaimingNormalFanOut(c.weight!); break;
                case BatchNorm2d b: WeightInit.UnitBatchNorm(b); break;
                case Linear l: WeightInit.TorchLinear(l); break;
            }
        }
    }

    sealed class ResidualBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly BatchNorm2d bn1, bn2;
        readonly Conv2d? conv3;
        readonly BatchNorm2d? bn3;
        readonly Sequential? downsample;
        readonly DropPath drop_path;
        readonly int stride;

        public ResidualBlock(ResNetBlockKind kind, int inChannels, int planes, int stride, double dropPath, int firstDilation = 1, int dilation = 1) : base(kind + "Block")
        {
            int outChannels;
            if (kind == ResNetBlockKind.Basic)
            {
                conv1 = nn.Conv2d(inChannels, planes, 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
                bn1 = nn.BatchNorm2d(planes);
                conv2 = nn.Conv2d(planes, planes, 3, padding: dilation, dilation: dilation, bias: false);
                bn2 = nn.BatchNorm2d(planes);
                outChannels = planes;
            }
            else
            {
                conv1 = nn.Conv2d(inChannels, planes, 1, bias: false);
                bn1 = nn.BatchNorm2d(planes);
                conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
                bn2 = nn.BatchNorm2d(planes);
                outChannels = planes * 4;
                conv3 = nn.Conv2d(planes, outChannels, 1, bias: false);
                bn3 = nn.BatchNorm2d(outChannels);
            }
            // The 1×1 projection's stride is applied by subsampling first (identical result, same weights): libtorch 2.10's
            // CPU backward of a stride-2 1×1 convolution with 1024→2048 channels dies with SIGFPE (resnet50's layer4.0).
            if (stride != 1 || inChannels != outChannels)
                downsample = nn.Sequential(("0", nn.Conv2d(inChannels, outChannels, 1, bias: false)), ("1", nn.BatchNorm2d(outChannels)));
            this.stride = stride;
            drop_path = new DropPath(dropPath);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = F.relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            if (conv3 is not null) y = bn3!.call(conv3.call(F.relu(y)));
            var shortcut = downsample is null ? x
                : downsample.call(stride == 1 ? x : x[TensorIndex.Ellipsis, TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)]);
            return F.relu(drop_path.call(y) + shortcut).MoveToOuterDisposeScope();
        }
    }
}
