using Microsoft.DotNet.Interactive;

namespace PneuKnow.Notebooks;

/// <summary>Displays what the engine renders as bytes in the running cell, with the MIME type notebook viewers expect.</summary>
public static class NotebookDisplay
{
    /// <summary>MIME type of a PNG output (Jupyter stores it base64-encoded).</summary>
    public const string PngMimeType = "image/png";

    /// <summary>
    /// Shows <paramref name="png"/> as an <c>image/png</c> output: GitHub, nbviewer, Jupyter and VS Code show it as an image,
    /// where an HTML <c>&lt;img src="data:…"&gt;</c> is a text/html output that some viewers drop and that is larger.
    /// </summary>
    /// <exception cref="ArgumentException">Bytes that are not a PNG (no PNG signature).</exception>
    /// <exception cref="InvalidOperationException">Not called from a running notebook cell.</exception>
    public static void Png(byte[] png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png is null || !png.AsSpan().StartsWith(signature))
            throw new ArgumentException("png: expected the bytes of a PNG image (signature 89 50 4E 47 0D 0A 1A 0A), found other bytes.", nameof(png));
        var context = KernelInvocationContext.Current
                      ?? throw new InvalidOperationException("NotebookDisplay.Png must be called from a running notebook cell.");
        context.DisplayAs(Convert.ToBase64String(png), PngMimeType);
    }
}
