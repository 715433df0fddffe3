namespace PneuKnow.Models.Onnx;

/// <summary>
/// The layer layout of the CNTK ResNet18 that ML.NET ships as ONNX: what <see cref="CntkResNet18Import"/> checks
/// the file's graph against and what <c>PneuKnow.Models.CntkResNet18</c> builds.
/// </summary>
/// <remarks>
/// Here, beside the importer, rather than on the network class: the network uses the importer (its weight files,
/// its BatchNorm epsilon), so the importer reading the network's constants would make <c>PneuKnow.Models</c> and
/// <c>PneuKnow.Models.Onnx</c> depend on each other. The network exposes the same values under its own name.
/// </remarks>
public static class CntkResNet18Layout
{
    /// <summary>Residual blocks per stage.</summary>
    public static readonly IReadOnlyList<int> BlocksPerStage = [2, 2, 2, 3];

    /// <summary>Output channels per stage.</summary>
    public static readonly IReadOnlyList<int> StageWidths = [64, 128, 256, 512];

    /// <summary>Channels after the stem convolution.</summary>
    public const int StemWidth = 64;

    /// <summary>Kernel size of the stem convolution.</summary>
    public const int StemKernel = 7;
}
