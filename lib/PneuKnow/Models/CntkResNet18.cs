using PneuKnow.Models.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>
/// The ImageNet-trained ResNet that ML.NET ships as ONNX in the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (exported from CNTK 2.6): PneuKnow's offline
/// pretrained backbone. Despite the name it has [2, 2, 2, 3] basic blocks per stage (torchvision's
/// resnet18 has [2, 2, 2, 2]); 15,897,152 parameters plus 11,648 BatchNorm statistics without the head,
/// the 15,908,800 values stored in the ONNX file.
/// </summary>
/// <remarks>
/// Module names follow torchvision (<c>conv1</c>, <c>bn1</c>, <c>layer4.2.conv2</c>,
/// <c>layer2.0.downsample.0</c>, <c>fc</c>) so that exported state dicts read naturally in PyTorch.
/// Its input is not ImageNet mean/std normalised: see <see cref="Normalize"/>.
/// The ONNX file pads its stride-2 layers asymmetrically ("same" padding computed for 224×224:
/// one pixel less at the bottom/right); this network pads symmetrically like torchvision. Both give
/// identical results whenever every stride-2 layer sees an even size, i.e. for H and W multiples of
/// 32 such as 224; for other sizes the ONNX graph itself cannot run (its residual shapes disagree).
/// </remarks>
public sealed class CntkResNet18 : Backbone
{
    /// <summary>Residual blocks per stage (<see cref="CntkResNet18Layout.BlocksPerStage"/>).</summary>
    public static readonly IReadOnlyList<int> BlocksPerStage = CntkResNet18Layout.BlocksPerStage;

    /// <summary>Output channels per stage (<see cref="CntkResNet18Layout.StageWidths"/>).</summary>
    public static readonly IReadOnlyList<int> StageWidths = CntkResNet18Layout.StageWidths;

    /// <summary>Channels after the stem convolution.</summary>
    public const int StemWidth = CntkResNet18Layout.StemWidth;

    /// <summary>Kernel size of the stem convolution.</summary>
    public const int StemKernel = CntkResNet18Layout.StemKernel;

    /// <summary>The image size the network was trained at, and the size of the mean image.</summary>
    public const int ImageSize = 224;

    /// <summary>Name of the buffer holding the mean image (3×224×224, BGR, 0–255 scale).</summary>
    public const string MeanImageKey = "mean_image";

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly Dropout dropout;
    readonly Linear fc;
    readonly int classes;

    CntkResNet18(int classes, double dropoutRate, Tensor meanImage, int outputStride) : base(nameof(CntkResNet18))
    {
        BackboneChecks.OutputStride(outputStride);
        OutputStride = outputStride;
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes: expected a positive number of classes.");
        if (dropoutRate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "dropout: expected a probability in [0, 1).");
        this.classes = classes;
        conv1 = nn.Conv2d(3, StemWidth, StemKernel, stride: 2, padding: StemKernel / 2, bias: false);
        bn1 = nn.BatchNorm2d(StemWidth, eps: CntkResNet18Import.BatchNormEpsilon);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        var stages = new Sequential[4];
        int width = StemWidth;
        var plan = BackboneChecks.ResNetStages(outputStride);
        for (int s = 0; s < 4; s++)
        {
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            var (stageStride, previousDilation, dilation) = plan[s];
            for (int b = 0; b < BlocksPerStage[s]; b++)
            {
                blocks.Add(new CntkBasicBlock(width, StageWidths[s], b == 0 ? stageStride : 1, b == 0 ? previousDilation : dilation, dilation));
                width = StageWidths[s];
            }
            stages[s] = nn.Sequential(blocks);
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3]);
        dropout = nn.Dropout(dropoutRate);
        fc = nn.Linear(FeatureChannels, classes);
        register_buffer(MeanImageKey, meanImage);
        RegisterComponents();
        InitializeLikeTorchvision();
    }

    /// <summary>
    /// Builds the network, torchvision-builder style. The ONNX files are looked up with
    /// <see cref="CntkResNet18Files.Locate"/> and converted weights are cached in
    /// <see cref="CntkResNet18WeightCache.DefaultDirectory"/>.
    /// </summary>
    /// <param name="classes">Classes of the linear head (always freshly initialised: the ONNX model has no classifier).</param>
    /// <param name="dropout">Dropout before the linear layer (the paper's 0.5; 0 disables it).</param>
    /// <param name="pretrained">Load the ImageNet weights (converted once from the ONNX file, then read from the cache); otherwise torchvision's random initialisation.</param>
    /// <example><code>var net = CntkResNet18.Create(classes: 5); var logits = net.forward(net.Normalize(rgb01));</code></example>
    /// <param name="outputStride">32 (the ONNX network) or 16: the last stage keeps its resolution and dilates by 2 (same weights).</param>
    public static CntkResNet18 Create(int classes, double dropout = 0.5, bool pretrained = true, int outputStride = ReferenceOutputStride) =>
        Create(classes, dropout, pretrained, CntkResNet18Files.Locate(), outputStride);

    /// <summary>Builds the network from explicitly given ONNX files and cache folder.</summary>
    /// <param name="classes">Classes of the linear head.</param>
    /// <param name="dropout">Dropout before the linear layer.</param>
    /// <param name="pretrained">Load the ImageNet weights.</param>
    /// <param name="files">The ONNX files and the cache folder to use.</param>
    /// <param name="outputStride">32 (the ONNX network) or 16 (dilated last stage).</param>
    public static CntkResNet18 Create(int classes, double dropout, bool pretrained, CntkResNet18Files files, int outputStride = ReferenceOutputStride)
    {
        // The mean image is part of the network's definition (its preprocessing), so it is needed
        // with or without pretrained weights.
        var (mean, h, w) = CntkResNet18Import.ReadMeanImage(files.PreprocessPath);
        if (h != ImageSize || w != ImageSize)
            throw new UnexpectedOnnxNetworkException($"{files.PreprocessPath}: expected a {ImageSize}×{ImageSize} mean image, found {h}×{w}.");
        // Detached: a network must outlive any dispose scope it was built in (notebooks, lazy test fixtures).
        var net = new CntkResNet18(classes, dropout, tensor(mean, [1, 3, h, w]).DetachFromDisposeScope(), outputStride);
        if (pretrained)
        {
            var cached = CntkResNet18WeightCache.Ensure(files.ModelPath, files.CacheDirectory);
            net.LoadConverted(cached.Path);
        }
        return net;
    }

    /// <inheritdoc />
    public override string Architecture => "cntk_resnet18";

    /// <summary>Input pixels per feature-map cell (32, or 16 with a dilated last stage).</summary>
    public int OutputStride { get; }

    /// <inheritdoc />
    public override int FeatureChannels => StageWidths[^1];

    /// <inheritdoc />
    public override int Classes => classes;

    /// <inheritdoc />
    public override Tensor Features(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = maxpool.call(nn.functional.relu(bn1.call(conv1.call(x))));
        y = layer4.call(layer3.call(layer2.call(layer1.call(y))));
        return y.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor Head(Tensor features)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.adaptive_avg_pool2d(features, [1, 1]).flatten(1);
        return fc.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ML.NET's preprocessing for this network (<c>ResNetPreprocess.onnx</c>): RGB → BGR, scale to
    /// 0–255, subtract the per-pixel mean image; no division by a standard deviation.
    /// </summary>
    /// <remarks>
    /// The mean image is 224×224. For other input sizes it is resized bilinearly (half-pixel
    /// centres, antialiased when shrinking); it varies smoothly, so this stays close to what the
    /// network saw in training, but it is PneuKnow's extension, not part of the ONNX model.
    /// </remarks>
    /// <param name="rgb01">N×3×H×W, RGB in [0, 1].</param>
    public override Tensor Normalize(Tensor rgb01)
    {
        if (rgb01.dim() != 4 || rgb01.shape[1] != 3)
            throw new ArgumentException($"Normalize: expected an N×3×H×W RGB batch, found shape [{string.Join(", ", rgb01.shape)}].", nameof(rgb01));
        using var scope = NewDisposeScope();
        var mean = MeanImage;
        long h = rgb01.shape[2], w = rgb01.shape[3];
        if (h != ImageSize || w != ImageSize)
            mean = nn.functional.interpolate(mean, [h, w], mode: InterpolationMode.Bilinear, align_corners: false,
                antialias: h < ImageSize || w < ImageSize);
        var bgr255 = rgb01.flip(1) * 255f;
        return (bgr255 - mean.to(rgb01.dtype, rgb01.device)).MoveToOuterDisposeScope();
    }

    /// <summary>The mean image subtracted by <see cref="Normalize"/>: 1×3×224×224, BGR, 0–255 scale.</summary>
    public Tensor MeanImage => get_buffer(MeanImageKey) ?? throw new InvalidOperationException($"The {MeanImageKey} buffer is missing.");

    /// <summary>
    /// Copies converted weights (a safetensors file written by <see cref="CntkResNet18WeightCache"/>)
    /// into every layer but the head; every backbone tensor must be present with its shape.
    /// </summary>
    /// <param name="path">The converted-weights file.</param>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected, or has the wrong shape; every such key is listed.</exception>
    public void LoadConverted(string path)
    {
        var loaded = CntkResNet18WeightCache.Load(path);
        try
        {
            var own = state_dict().Where(kv => IsImported(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            var problems = new List<string>();
            problems.AddRange(own.Keys.Where(k => !loaded.ContainsKey(k)).Select(k => $"missing '{k}'"));
            problems.AddRange(loaded.Keys.Where(k => !own.ContainsKey(k)).Select(k => $"unexpected '{k}'"));
            foreach (var (key, target) in own)
                if (loaded.TryGetValue(key, out var source) && !source.shape.SequenceEqual(target.shape))
                    problems.Add($"'{key}' has shape [{string.Join(", ", source.shape)}], expected [{string.Join(", ", target.shape)}]");
            if (problems.Count > 0)
                throw new InvalidDataException($"{path}: not CntkResNet18 weights ({problems.Count} problem(s)): {string.Join("; ", problems)}. Delete the file to convert again.");
            using (no_grad())
                foreach (var (key, target) in own)
                    target.copy_(loaded[key]);
        }
        finally
        {
            foreach (var t in loaded.Values) t.Dispose();
        }
    }

    /// <summary>Whether a state-dict key comes from the ONNX weights (everything but the head, the mean image and BatchNorm counters).</summary>
    static bool IsImported(string key) =>
        !key.StartsWith("fc.", StringComparison.Ordinal) && key != MeanImageKey && !key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    void InitializeLikeTorchvision()
    {
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d c: WeightInit.KaimingNormalFanOut(c.weight!); break;
                case BatchNorm2d b: WeightInit.UnitBatchNorm(b); break;
                case Linear l: WeightInit.TorchLinear(l); break;
            }
        }
    }

    /// <summary>A ResNet basic block: two 3×3 convolutions with BatchNorm and a residual connection, projected by a 1×1 convolution when the shape changes.</summary>
    sealed class CntkBasicBlock : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly BatchNorm2d bn1, bn2;
        readonly Sequential? downsample;

        public CntkBasicBlock(int inWidth, int outWidth, int stride, int firstDilation, int dilation) : base(nameof(CntkBasicBlock))
        {
            conv1 = nn.Conv2d(inWidth, outWidth, 3, stride: stride, padding: firstDilation, dilation: firstDilation, bias: false);
            bn1 = nn.BatchNorm2d(outWidth, eps: CntkResNet18Import.BatchNormEpsilon);
            conv2 = nn.Conv2d(outWidth, outWidth, 3, padding: dilation, dilation: dilation, bias: false);
            bn2 = nn.BatchNorm2d(outWidth, eps: CntkResNet18Import.BatchNormEpsilon);
            if (stride != 1 || inWidth != outWidth)
                downsample = nn.Sequential(
                    nn.Conv2d(inWidth, outWidth, 1, stride: stride, bias: false),
                    nn.BatchNorm2d(outWidth, eps: CntkResNet18Import.BatchNormEpsilon));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = nn.functional.relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            var shortcut = downsample is null ? x : downsample.call(x);
            return nn.functional.relu(y + shortcut).MoveToOuterDisposeScope();
        }
    }
}
