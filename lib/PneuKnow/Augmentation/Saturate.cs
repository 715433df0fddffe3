namespace PneuKnow.Augmentation;

/// <summary>OpenCV's <c>saturate_cast&lt;uchar&gt;(float)</c>: round to nearest (ties to even), then clamp to [0, 255].</summary>
internal static class Saturate
{
    public static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round(v), 0, 255);
}
