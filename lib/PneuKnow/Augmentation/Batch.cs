using static TorchSharp.torch;

namespace PneuKnow.Augmentation;

/// <summary>
/// One mini-batch on the target device. The image and its ROI went through the same
/// augmentation draw, so pixel (y, x) of <see cref="Image"/>, <see cref="Roi"/> and
/// <see cref="Mask"/> describe the same anatomy.
/// </summary>
/// <param name="Image">N×3×H×W float32 RGB in [0, 1] (not yet normalised: <c>Backbone.Normalize</c> does that).</param>
/// <param name="Roi">N×3×H×W float32 RGB in [0, 1], the ROI images.</param>
/// <param name="Mask">N×1×H×W float32, 1 inside the expert's regions, 0 outside.</param>
/// <param name="Label">N int64 class codes.</param>
/// <param name="Index">N int64 indices into the dataset the batch came from.</param>
public sealed record Batch(Tensor Image, Tensor Roi, Tensor Mask, Tensor Label, Tensor Index) : IDisposable
{
    /// <summary>Number of examples.</summary>
    public long Size => Label.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Image.Dispose();
        Roi.Dispose();
        Mask.Dispose();
        Label.Dispose();
        Index.Dispose();
    }
}

/// <summary>Where a trainer gets its batches: one enumeration per epoch.</summary>
public interface IBatchSource
{
    /// <summary>Number of examples the source draws from.</summary>
    int Count { get; }

    /// <summary>Number of batches one epoch yields.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>: order and augmentation draws depend only on
    /// the source's seed and the epoch, so a resumed run sees the same batches. The caller
    /// disposes each batch.
    /// </summary>
    IEnumerable<Batch> Epoch(int epoch);
}
