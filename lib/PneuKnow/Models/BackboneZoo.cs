using TorchSharp;

namespace PneuKnow.Models;

/// <summary>What to build: an architecture, its head and optionally pretrained weights.</summary>
/// <param name="Architecture">A name from <see cref="BackboneZoo.Names"/> (timm spelling, e.g. <c>convnext_small</c>).</param>
/// <param name="Classes">Head outputs.</param>
/// <param name="Dropout">Head dropout (the paper: 0.5; 0 for its "nodo" variants).</param>
/// <param name="DropPath">Stochastic depth rate (timm <c>drop_path_rate</c>).</param>
/// <param name="Weights">
/// Null for random initialisation; <c>pretrained</c> for the local weights of the architecture
/// (see <see cref="WeightStore"/>); otherwise the path of a <c>.safetensors</c> or <c>.pth</c> state dict
/// with timm or torchvision names.
/// </param>
/// <param name="AllowPartial">Load the matching tensors even when keys are missing, unexpected or of another shape (all reported).</param>
/// <param name="OutputStride">Input pixels per feature-map cell: 32 (the reference networks) or 16 (last stage dilated instead of
/// strided, timm's <c>output_stride</c>; ResNets only), so a small input keeps a spatial feature map for the consistency loss and Grad-CAM.</param>
public sealed record BackboneOptions(
    string Architecture,
    int Classes,
    double Dropout = 0.5,
    double DropPath = 0.0,
    string? Weights = null,
    bool AllowPartial = false,
    int OutputStride = Backbone.ReferenceOutputStride);

/// <summary>
/// The one place that turns an architecture name into a <see cref="Backbone"/>; used by the trainer,
/// the CLI and the notebooks.
/// </summary>
public static class BackboneZoo
{
    /// <summary>Value of <see cref="BackboneOptions.Weights"/> that selects the locally stored pretrained weights.</summary>
    public const string Pretrained = "pretrained";

    // Every architecture is registered here, one line each: name -> (classes, dropout, dropPath) -> network.
    // Every architecture is registered here, one line each: (classes, dropout, dropPath, outputStride) -> network.
    static readonly Dictionary<string, Func<int, double, double, int, Backbone>> Factories = new(StringComparer.Ordinal)
    {
        ["resnet18"] = (c, d, p, os) => ResNet.resnet18(c, d, p, os),
        ["resnet50"] = (c, d, p, os) => ResNet.resnet50(c, d, p, os),
        ["efficientnet_b0"] = (c, d, p, os) => Fixed(os, EfficientNet.efficientnet_b0(c, d, p)),
        ["efficientnet_b1"] = (c, d, p, os) => Fixed(os, EfficientNet.efficientnet_b1(c, d, p)),
        ["convnext_tiny"] = (c, d, p, os) => Fixed(os, ConvNeXt.convnext_tiny(c, d, p)),
        ["convnext_small"] = (c, d, p, os) => Fixed(os, ConvNeXt.convnext_small(c, d, p)),
        ["cntk_resnet18"] = (c, d, _, os) => CntkResNet18.Create(c, d, pretrained: false, outputStride: os),
    };

    // Architectures whose ImageNet weights ship with the build (converted from a NuGet package), not the weights folder.
    static readonly Dictionary<string, (Func<int, double, int, Backbone> Create, Func<string?> Source)> Bundled = new(StringComparer.Ordinal)
    {
        ["cntk_resnet18"] = ((c, d, os) => CntkResNet18.Create(c, d, pretrained: true, outputStride: os), () => TryLocateCntk()),
    };

    // Only the ResNets implement a dilated last stage; any other network asked for one fails before training starts.
    static Backbone Fixed(int outputStride, Backbone model)
    {
        if (outputStride == Backbone.ReferenceOutputStride) return model;
        var name = model.Architecture;
        model.Dispose();
        throw new ArgumentException($"output_stride: {name} supports only {Backbone.ReferenceOutputStride}; found {outputStride} (16 is implemented for the ResNets: resnet18, resnet50, cntk_resnet18).");
    }

    static string? TryLocateCntk()
    {
        try { return PneuKnow.Models.Onnx.CntkResNet18Files.Locate().ModelPath + " (ImageNet, converted once)"; }
        catch (FileNotFoundException) { return null; }
    }

    /// <summary>
    /// Where the pretrained weights of <paramref name="architecture"/> come from on this machine:
    /// the bundled ONNX network for <c>cntk_resnet18</c>, else a file in <see cref="WeightStore.Folder"/>; null when there are none.
    /// </summary>
    public static string? PretrainedSource(string architecture) =>
        Bundled.TryGetValue(architecture, out var b) ? b.Source() : WeightStore.Find(architecture);

    /// <summary>
    /// One row per architecture, in <see cref="Names"/> order: size and cost of the network with a
    /// <paramref name="classes"/>-way head at <paramref name="size"/>² input, and where its pretrained weights come
    /// from on this machine (<see cref="PretrainedSource"/>). What <c>pneuknow models</c> prints.
    /// </summary>
    /// <param name="classes">Head outputs (1000 gives the reference implementations' parameter counts).</param>
    /// <param name="size">Input height and width for the feature-map shape and GFLOPs.</param>
    /// <param name="cancellationToken">Stops between architectures.</param>
    public static IReadOnlyList<ZooEntry> Describe(int classes = 1000, int size = 224, CancellationToken cancellationToken = default)
    {
        var rows = new List<ZooEntry>();
        foreach (var name in Names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var model = Create(new BackboneOptions(name, classes, Dropout: 0));
            model.to(PneuKnow.Runtime.TorchRuntime.Device);
            rows.Add(new ZooEntry(name, BackboneComplexity.Measure(model, size), PretrainedSource(name)));
        }
        return rows;
    }

    /// <summary>The architectures this zoo builds, in registration order.</summary>
    public static IReadOnlyList<string> Names => Factories.Keys.ToList();

    /// <summary>The architectures of the paper (Schaudt et al. 2023), in its order.</summary>
    public static IReadOnlyList<string> PaperNames { get; } = new[] { "resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small" };

    /// <summary>Builds the network and, if asked, loads its weights; a different class count re-initialises the head.</summary>
    /// <exception cref="ArgumentException">Unknown architecture (the message lists the valid ones) or bad head settings.</exception>
    /// <exception cref="WeightImportException">The weights do not fit and <see cref="BackboneOptions.AllowPartial"/> is false.</exception>
    /// <exception cref="FileNotFoundException">Weight file (or local pretrained weights) not found.</exception>
    public static Backbone Create(BackboneOptions options) => Create(options, out _);

    /// <summary>As <see cref="Create(BackboneOptions)"/>, also returning what the weight import did (null without weights).</summary>
    public static Backbone Create(BackboneOptions options, out WeightImportReport? import)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Factories.TryGetValue(options.Architecture, out var factory))
            throw new ArgumentException(
                $"backbone: unknown architecture '{options.Architecture}'; expected one of {string.Join(", ", Names)}.",
                nameof(options));
        import = null;
        if (options.Weights == Pretrained && Bundled.TryGetValue(options.Architecture, out var bundled))
            return bundled.Create(options.Classes, options.Dropout, options.OutputStride);
        var model = factory(options.Classes, options.Dropout, options.DropPath, options.OutputStride);
        if (options.Weights is { } weights)
        {
            try
            {
                var path = weights == Pretrained ? WeightStore.Require(options.Architecture) : weights;
                import = WeightImport.Load(model, path, options.AllowPartial);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        return model;
    }
}

/// <summary>One row of the zoo table (<see cref="BackboneZoo.Describe"/>).</summary>
/// <param name="Architecture">The backbone's name.</param>
/// <param name="Complexity">Parameters, feature-map shape and forward GFLOPs.</param>
/// <param name="PretrainedSource">Where its pretrained weights are on this machine; null when there are none.</param>
public sealed record ZooEntry(string Architecture, BackboneComplexity Complexity, string? PretrainedSource);
