using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PneuKnow.Models;

/// <summary>One stage of an EfficientNet: <see cref="Layers"/> blocks of the same kind.</summary>
/// <param name="Expand">Expansion ratio; 1 makes timm's depthwise-separable block (no 1×1 expansion).</param>
/// <param name="Kernel">Depthwise kernel size (3 or 5).</param>
/// <param name="Stride">Stride of the stage's first block.</param>
/// <param name="Channels">Output channels (after width scaling).</param>
/// <param name="Layers">Number of blocks (after depth scaling).</param>
public sealed record EfficientNetStage(int Expand, int Kernel, int Stride, int Channels, int Layers);

/// <summary>Width and depth of an EfficientNet (timm's <c>_gen_efficientnet</c> / torchvision's <c>MBConvConfig</c> table).</summary>
/// <param name="StemChannels">Output channels of the stride-2 3×3 stem.</param>
/// <param name="Stages">The stages, first to last.</param>
/// <param name="HeadChannels">Channels of the 1×1 <c>conv_head</c>, i.e. of the feature map.</param>
/// <param name="BatchNormEps">BatchNorm epsilon (1e-5 for timm's and torchvision's B0/B1).</param>
public sealed record EfficientNetConfig(int StemChannels, EfficientNetStage[] Stages, int HeadChannels, double BatchNormEps = 1e-5)
{
    // (expand, kernel, stride, channels, layers) of EfficientNet-B0, shared by timm and torchvision.
    static readonly (int e, int k, int s, int c, int n)[] B0 =
    {
        (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1),
    };

    /// <summary>
    /// The B0 table scaled by a width multiplier (channels rounded to multiples of 8, never more than 10 %
    /// down) and a depth multiplier (layers rounded up), as both references scale it.
    /// </summary>
    public static EfficientNetConfig Scaled(double width, double depth) => new(
        RoundChannels(32 * width),
        B0.Select(t => new EfficientNetStage(t.e, t.k, t.s, RoundChannels(t.c * width), (int)Math.Ceiling(t.n * depth))).ToArray(),
        RoundChannels(1280 * width));

    /// <summary>timm/torchvision <c>efficientnet_b0</c>: width 1.0, depth 1.0.</summary>
    public static EfficientNetConfig B0Config => Scaled(1.0, 1.0);

    /// <summary>timm/torchvision <c>efficientnet_b1</c>: width 1.0, depth 1.1.</summary>
    public static EfficientNetConfig B1Config => Scaled(1.0, 1.1);

    /// <summary>timm's <c>make_divisible(v, 8)</c> (torchvision's <c>_make_divisible</c>).</summary>
    public static int RoundChannels(double v, int divisor = 8)
    {
        int rounded = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * v ? rounded + divisor : rounded;
    }
}

/// <summary>
/// EfficientNet with timm's module names (<c>conv_stem</c>, <c>bn1</c>, <c>blocks.i.j</c>, <c>conv_head</c>,
/// <c>bn2</c>, <c>classifier</c>). Features: everything up to <c>bn2</c> (timm <c>forward_features</c>);
/// head: global average pool, dropout, <c>classifier</c>.
/// </summary>
public sealed class EfficientNet : Backbone, IReferenceNaming
{
    readonly string architecture;
    readonly int classes;
    readonly double dropout;
    readonly Conv2d conv_stem;
    readonly BatchNorm2d bn1;
    readonly ModuleList<Sequential> blocks;
    readonly Conv2d conv_head;
    readonly BatchNorm2d bn2;
    readonly Linear classifier;

    /// <summary>Builds an EfficientNet.</summary>
    /// <param name="architecture">Name reported by <see cref="Architecture"/>.</param>
    /// <param name="config">Widths and depths.</param>
    /// <param name="classes">Head outputs.</param>
    /// <param name="dropout">Dropout before <c>classifier</c>.</param>
    /// <param name="dropPath">Stochastic depth rate; block i of n gets rate · i / n (timm and torchvision).</param>
    public EfficientNet(string architecture, EfficientNetConfig config, int classes, double dropout = 0.0, double dropPath = 0.0) : base(architecture)
    {
        if (config.Stages.Length == 0) throw new ArgumentException("EfficientNet config: expected at least one stage, found none.", nameof(config));
        BackboneChecks.Head(classes, dropout, dropPath);
        this.architecture = architecture;
        this.classes = classes;
        this.dropout = dropout;
        Config = config;
        var eps = config.BatchNormEps;
        conv_stem = nn.Conv2d(3, config.StemChannels, 3, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(config.StemChannels, eps);
        var rates = DropPath.Schedule(dropPath, config.Stages.Sum(s => s.Layers), lastGetsFullRate: false);
        int inChannels = config.StemChannels, index = 0;
        var stages = new List<Sequential>();
        foreach (var stage in config.Stages)
        {
            var stageBlocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < stage.Layers; b++)
            {
                int stride = b == 0 ? stage.Stride : 1;
                nn.Module<Tensor, Tensor> block = stage.Expand == 1
                    ? new DepthwiseSeparableBlock(inChannels, stage.Channels, stage.Kernel, stride, eps, rates[index++])
                    : new InvertedResidualBlock(inChannels, stage.Channels, stage.Expand, stage.Kernel, stride, eps, rates[index++]);
                stageBlocks.Add((b.ToString(), block));
                inChannels = stage.Channels;
            }
            stages.Add(nn.Sequential(stageBlocks));
        }
        blocks = nn.ModuleList(stages.ToArray());
        conv_head = nn.Conv2d(inChannels, config.HeadChannels, 1, bias: false);
        bn2 = nn.BatchNorm2d(config.HeadChannels, eps);
        classifier = nn.Linear(config.HeadChannels, classes);
        RegisterComponents();
        Initialise();
    }

    /// <summary>timm/torchvision <c>efficientnet_b0</c> (5,288,548 parameters with 1000 classes).</summary>
    public static EfficientNet efficientnet_b0(int classes = 1000, double dropout = 0.0, double dropPath = 0.0) =>
        new("efficientnet_b0", EfficientNetConfig.B0Config, classes, dropout, dropPath);

    /// <summary>timm/torchvision <c>efficientnet_b1</c> (7,794,184 parameters with 1000 classes).</summary>
    public static EfficientNet efficientnet_b1(int classes = 1000, double dropout = 0.0, double dropPath = 0.0) =>
        new("efficientnet_b1", EfficientNetConfig.B1Config, classes, dropout, dropPath);

    /// <inheritdoc />
    public override string Architecture => architecture;

    /// <inheritdoc />
    public override int FeatureChannels => Config.HeadChannels;

    /// <inheritdoc />
    public override int Classes => classes;

    /// <summary>The widths and depths this network was built with.</summary>
    public EfficientNetConfig Config { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassifierKeys { get; } = new[] { "classifier.weight", "classifier.bias" };

    /// <inheritdoc />
    public bool IsTorchvision(IReadOnlyCollection<string> keys) => keys.Any(k => k.StartsWith("features.", StringComparison.Ordinal));

    /// <inheritdoc />
    public (string Key, Tensor Value) FromTorchvision(string key, Tensor value) =>
        (TorchvisionNames.EfficientNet(key, Config.Stages.Select(s => s.Expand).ToList()), value);

    /// <inheritdoc />
    public override Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = F.silu(bn1.call(conv_stem.call(x)));
        foreach (var stage in blocks) y = stage.call(y);
        return F.silu(bn2.call(conv_head.call(y))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Head(Tensor features)
    {
        using var scope = NewDisposeScope();
        var pooled = features.mean(new long[] { 2, 3 });
        return classifier.call(F.dropout(pooled, dropout, training)).MoveToOuterDisposeScope();
    }

    void Initialise()
    {
        // timm's _init_weight_goog: N(0, sqrt(2 / fan_out)) with fan_out = k·k·out / groups; uniform ±1/sqrt(out) for Linear;
        // zero biases, unit/zero BatchNorm.
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d c: WeightInit.EfficientNetConv(c); break;
                case BatchNorm2d b: WeightInit.UnitBatchNorm(b); break;
                case Linear l: WeightInit.EfficientNetLinear(l); break;
            }
        }
    }

    /// <summary>Squeeze-and-excitation with timm's names (<c>conv_reduce</c>, <c>conv_expand</c>).</summary>
    sealed class SqueezeExcite : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv_reduce, conv_expand;

        public SqueezeExcite(int channels, int reduced) : base(nameof(SqueezeExcite))
        {
            conv_reduce = nn.Conv2d(channels, reduced, 1);
            conv_expand = nn.Conv2d(reduced, channels, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var s = x.mean(new long[] { 2, 3 }, keepdim: true);
            s = conv_expand.call(F.silu(conv_reduce.call(s)));
            return (x * s.sigmoid()).MoveToOuterDisposeScope();
        }
    }

    // Squeeze width: a quarter of the block's input channels (torchvision max(1, in // 4); timm in · 0.25).
    static int SqueezeWidth(int inChannels) => Math.Max(1, inChannels / 4);

    /// <summary>timm <c>DepthwiseSeparableConv</c> (torchvision MBConv with expand ratio 1).</summary>
    sealed class DepthwiseSeparableBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv_dw, conv_pw;
        readonly BatchNorm2d bn1, bn2;
        readonly SqueezeExcite se;
        readonly DropPath drop_path;
        readonly bool skip;

        public DepthwiseSeparableBlock(int inChannels, int outChannels, int kernel, int stride, double eps, double dropPath) : base(nameof(DepthwiseSeparableBlock))
        {
            conv_dw = nn.Conv2d(inChannels, inChannels, kernel, stride: stride, padding: kernel / 2, groups: inChannels, bias: false);
            bn1 = nn.BatchNorm2d(inChannels, eps);
            se = new SqueezeExcite(inChannels, SqueezeWidth(inChannels));
            conv_pw = nn.Conv2d(inChannels, outChannels, 1, bias: false);
            bn2 = nn.BatchNorm2d(outChannels, eps);
            drop_path = new DropPath(dropPath);
            skip = stride == 1 && inChannels == outChannels;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = se.call(F.silu(bn1.call(conv_dw.call(x))));
            y = bn2.call(conv_pw.call(y));
            if (skip) y = drop_path.call(y) + x;
            return y.MoveToOuterDisposeScope();
        }
    }

    /// <summary>timm <c>InvertedResidual</c> (torchvision MBConv).</summary>
    sealed class InvertedResidualBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv_pw, conv_dw, conv_pwl;
        readonly BatchNorm2d bn1, bn2, bn3;
        readonly SqueezeExcite se;
        readonly DropPath drop_path;
        readonly bool skip;

        public InvertedResidualBlock(int inChannels, int outChannels, int expand, int kernel, int stride, double eps, double dropPath) : base(nameof(InvertedResidualBlock))
        {
            int mid = inChannels * expand;
            conv_pw = nn.Conv2d(inChannels, mid, 1, bias: false);
            bn1 = nn.BatchNorm2d(mid, eps);
            conv_dw = nn.Conv2d(mid, mid, kernel, stride: stride, padding: kernel / 2, groups: mid, bias: false);
            bn2 = nn.BatchNorm2d(mid, eps);
            se = new SqueezeExcite(mid, SqueezeWidth(inChannels));
            conv_pwl = nn.Conv2d(mid, outChannels, 1, bias: false);
            bn3 = nn.BatchNorm2d(outChannels, eps);
            drop_path = new DropPath(dropPath);
            skip = stride == 1 && inChannels == outChannels;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = F.silu(bn1.call(conv_pw.call(x)));
            y = se.call(F.silu(bn2.call(conv_dw.call(y))));
            y = bn3.call(conv_pwl.call(y));
            if (skip) y = drop_path.call(y) + x;
            return y.MoveToOuterDisposeScope();
        }
    }
}
