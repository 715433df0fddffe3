namespace PneuKnow.Data;

/// <summary>
/// One decoded, resized training example as the augmentation and batching stages see it:
/// 8-bit grayscale planes (row-major, <see cref="Height"/>×<see cref="Width"/>) of the full
/// image, its ROI image (everything outside the expert's regions suppressed) and the binary
/// annotation mask (0 or 255).
/// </summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Image">The full X-ray.</param>
/// <param name="Roi">The ROI image, pixel-aligned with <paramref name="Image"/>.</param>
/// <param name="Mask">The annotation mask, 0 outside and 255 inside the expert's regions.</param>
/// <param name="Label">Class code (index into the dataset's class list).</param>
public sealed record AnnotatedImage(int Height, int Width, byte[] Image, byte[] Roi, byte[] Mask, int Label);

/// <summary>A decoded dataset that batches draw from, indexed 0..Count-1.</summary>
public interface IAnnotatedImageSet
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>Class labels in code order.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The class code of example <paramref name="index"/> without decoding it.</summary>
    int LabelOf(int index);

    /// <summary>Example <paramref name="index"/> at the set's working size.</summary>
    AnnotatedImage Get(int index);
}
