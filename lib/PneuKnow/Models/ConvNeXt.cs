using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PneuKnow.Models;

/// <summary>Width and depth of a ConvNeXt (timm's <c>depths</c>/<c>dims</c>).</summary>
/// <param name="Depths">Blocks per stage.</param>
/// <param name="Dims">Channels per stage.</param>
/// <param name="LayerScaleInit">Initial value of each block's layer scale <c>gamma</c>.</param>
public sealed record ConvNeXtConfig(int[] Depths, int[] Dims, double LayerScaleInit = 1e-6)
{
    /// <summary>timm/torchvision <c>convnext_tiny</c>: depths 3/3/9/3, dims 96/192/384/768.</summary>
    public static ConvNeXtConfig Tiny { get; } = new(new[] { 3, 3, 9, 3 }, new[] { 96, 192, 384, 768 });

    /// <summary>timm/torchvision <c>convnext_small</c>: depths 3/3/27/3, dims 96/192/384/768.</summary>
    public static ConvNeXtConfig Small { get; } = new(new[] { 3, 3, 27, 3 }, new[] { 96, 192, 384, 768 });
}

/// <summary>
/// ConvNeXt with timm's module names (<c>stem</c>, <c>stages.i.downsample</c>, <c>stages.i.blocks.j</c>,
/// <c>head.norm</c>, <c>head.fc</c>). Features: stem and stages (timm <c>forward_features</c>, before the head's
/// LayerNorm); head: global average pool, <c>head.norm</c>, dropout (timm <c>drop_rate</c>), <c>head.fc</c>.
/// </summary>
public sealed class ConvNeXt : Backbone, IReferenceNaming
{
    const double Eps = 1e-6;
    readonly string architecture;
    readonly int classes;
    readonly Sequential stem;
    readonly ModuleList<ConvNeXtStage> stages;
    readonly ConvNeXtHead head;

    /// <summary>Builds a ConvNeXt.</summary>
    /// <param name="architecture">Name reported by <see cref="Architecture"/>.</param>
    /// <param name="config">Widths and depths.</param>
    /// <param name="classes">Head outputs.</param>
    /// <param name="dropout">Head dropout (timm <c>drop_rate</c>) between <c>head.norm</c> and <c>head.fc</c>.</param>
    /// <param name="dropPath">Stochastic depth of the last block; timm <c>linspace(0, dropPath, blocks)</c>.</param>
    public ConvNeXt(string architecture, ConvNeXtConfig config, int classes, double dropout = 0.0, double dropPath = 0.0) : base(architecture)
    {
        if (config.Depths.Length != config.Dims.Length || config.Depths.Length == 0)
            throw new ArgumentException($"ConvNeXt config: expected as many depths as dims (at least one), found {config.Depths.Length} and {config.Dims.Length}.", nameof(config));
        BackboneChecks.Head(classes, dropout, dropPath);
        this.architecture = architecture;
        this.classes = classes;
        Config = config;
        stem = nn.Sequential(("0", nn.Conv2d(3, config.Dims[0], 4, stride: 4)), ("1", new LayerNorm2d(config.Dims[0], Eps)));
        var rates = DropPath.Schedule(dropPath, config.Depths.Sum(), lastGetsFullRate: true);
        var list = new List<ConvNeXtStage>();
        int index = 0;
        for (int s = 0; s < config.Depths.Length; s++)
        {
            list.Add(new ConvNeXtStage(s == 0 ? config.Dims[0] : config.Dims[s - 1], config.Dims[s], s > 0,
                rates.Skip(index).Take(config.Depths[s]).ToArray(), config.LayerScaleInit));
            index += config.Depths[s];
        }
        stages = nn.ModuleList(list.ToArray());
        head = new ConvNeXtHead(config.Dims[^1], classes, dropout);
        RegisterComponents();
        Initialise();
    }

    /// <summary>timm/torchvision <c>convnext_tiny</c> (28,589,128 parameters with 1000 classes).</summary>
    public static ConvNeXt convnext_tiny(int classes = 1000, double dropout = 0.0, double dropPath = 0.0) =>
        new("convnext_tiny", ConvNeXtConfig.Tiny, classes, dropout, dropPath);

    /// <summary>timm/torchvision <c>convnext_small</c> (50,223,688 parameters with 1000 classes).</summary>
    public static ConvNeXt convnext_small(int classes = 1000, double dropout = 0.0, double dropPath = 0.0) =>
        new("convnext_small", ConvNeXtConfig.Small, classes, dropout, dropPath);

    /// <inheritdoc />
    public override string Architecture => architecture;

    /// <inheritdoc />
    public override int FeatureChannels => Config.Dims[^1];

    /// <inheritdoc />
    public override int Classes => classes;

    /// <summary>The widths and depths this network was built with.</summary>
    public ConvNeXtConfig Config { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassifierKeys { get; } = new[] { "head.fc.weight", "head.fc.bias" };

    /// <inheritdoc />
    public bool IsTorchvision(IReadOnlyCollection<string> keys) => keys.Any(k => k.StartsWith("features.", StringComparison.Ordinal));

    /// <inheritdoc />
    public (string Key, Tensor Value) FromTorchvision(string key, Tensor value) => TorchvisionNames.ConvNeXt(key, value);

    /// <inheritdoc />
    public override Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = stem.call(x);
        foreach (var stage in stages) y = stage.call(y);
        return y.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Head(Tensor features) => head.call(features);

    void Initialise()
    {
        // timm's _init_weights (torchvision's is the same): truncated N(0, 0.02²) on [−2, 2] for convolutions and
        // linear layers (head.fc included: head_init_scale 1), zero biases; norms 1/0 and gamma = layer_scale_init as built.
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d c: WeightInit.ConvNeXtLayer(c.weight!, c.bias); break;
                case Linear l: WeightInit.ConvNeXtLayer(l.weight!, l.bias); break;
            }
        }
    }

    sealed class ConvNeXtStage : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> downsample;
        readonly Sequential blocks;

        public ConvNeXtStage(int inChannels, int outChannels, bool downsamples, double[] rates, double layerScale) : base(nameof(ConvNeXtStage))
        {
            downsample = downsamples
                ? nn.Sequential(("0", new LayerNorm2d(inChannels, Eps)), ("1", nn.Conv2d(inChannels, outChannels, 2, stride: 2)))
                : nn.Identity();
            blocks = nn.Sequential(rates.Select((r, j) => (j.ToString(), (nn.Module<Tensor, Tensor>)new ConvNeXtBlock(outChannels, r, layerScale))));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return blocks.call(downsample.call(x)).MoveToOuterDisposeScope();
        }
    }

    sealed class ConvNeXtMlp : nn.Module<Tensor, Tensor>
    {
        readonly Linear fc1, fc2;

        public ConvNeXtMlp(int channels) : base(nameof(ConvNeXtMlp))
        {
            fc1 = nn.Linear(channels, 4 * channels);
            fc2 = nn.Linear(4 * channels, channels);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var h = fc1.call(x);
            using var a = F.gelu(h);
            return fc2.call(a);
        }
    }

    sealed class ConvNeXtBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv_dw;
        readonly LayerNorm norm;
        readonly ConvNeXtMlp mlp;
        readonly Parameter gamma;
        readonly DropPath drop_path;

        public ConvNeXtBlock(int channels, double dropPath, double layerScale) : base(nameof(ConvNeXtBlock))
        {
            conv_dw = nn.Conv2d(channels, channels, 7, padding: 3, groups: channels);
            norm = nn.LayerNorm(channels, Eps);
            mlp = new ConvNeXtMlp(channels);
            gamma = new Parameter(full(channels, layerScale));
            drop_path = new DropPath(dropPath);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv_dw.call(x).permute(0, 2, 3, 1);
            y = mlp.call(norm.call(y)).permute(0, 3, 1, 2);
            y = y * gamma.view(1, -1, 1, 1);
            return (drop_path.call(y) + x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>timm's <c>NormMlpClassifierHead</c> without hidden layer: pool, <c>norm</c>, dropout, <c>fc</c>.</summary>
    sealed class ConvNeXtHead : nn.Module<Tensor, Tensor>
    {
        readonly LayerNorm2d norm;
        readonly Linear fc;
        readonly double dropout;

        public ConvNeXtHead(int channels, int classes, double dropout) : base(nameof(ConvNeXtHead))
        {
            norm = new LayerNorm2d(channels, Eps);
            fc = nn.Linear(channels, classes);
            this.dropout = dropout;
            RegisterComponents();
        }

        public override Tensor forward(Tensor features)
        {
            using var scope = NewDisposeScope();
            var pooled = norm.call(features.mean(new long[] { 2, 3 }, keepdim: true)).flatten(1);
            return fc.call(F.dropout(pooled, dropout, training)).MoveToOuterDisposeScope();
        }
    }
}
