namespace PneuKnow.Explain;

/// <summary>A class activation map at image resolution, row-major, non-negative.</summary>
/// <param name="Index">Index of the image in its dataset (or position in the batch when there is none).</param>
/// <param name="Class">The class code the map explains.</param>
/// <param name="Probability">The model's softmax probability of <paramref name="Class"/> on this image.</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Values">Height×Width activations.</param>
public sealed record CamMap(int Index, int Class, double Probability, int Height, int Width, float[] Values);

/// <summary>Which class a Grad-CAM explains.</summary>
public abstract record CamTarget
{
    private CamTarget() { }

    /// <summary>The class the model predicts (arg-max of its logits).</summary>
    public static CamTarget Predicted { get; } = new PredictedClass();

    /// <summary>The image's true class.</summary>
    public static CamTarget Label { get; } = new TrueClass();

    /// <summary>A fixed class code.</summary>
    public static CamTarget Class(int code) => new FixedClass(code);

    /// <summary>The model's prediction.</summary>
    public sealed record PredictedClass : CamTarget;

    /// <summary>The true label.</summary>
    public sealed record TrueClass : CamTarget;

    /// <summary>One class for every image.</summary>
    /// <param name="Code">The class code.</param>
    public sealed record FixedClass(int Code) : CamTarget;
}

/// <summary>Which plane of an annotated image a model looks at.</summary>
public enum ImagePlane
{
    /// <summary>The full X-ray (baseline, HKD student; also the fair input for comparing a teacher).</summary>
    Image,
    /// <summary>The ROI image, everything outside the expert's regions suppressed (what the teacher trained on).</summary>
    Roi,
}
