using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PneuKnow.Explain;

/// <summary>
/// Pictures of decision regions: the X-ray in gray, the min-max-normalised CAM blended over it with the viridis
/// colour map (weight <c>alpha × activation</c>, so inactive regions keep the X-ray visible), the expert mask's
/// outline (mask pixels with a 4-neighbour outside the mask) drawn on top, and in the shortcut condition the
/// planted device's outline. Viridis, not jet: its lightness rises monotonically, so a brighter region always means
/// a stronger activation, also in grey print and for colour-blind readers.
/// </summary>
public static class CamOverlay
{
    /// <summary>Colour of the expert mask's outline (pure green: brighter and more saturated than any viridis colour).</summary>
    public static readonly Rgb24 OutlineColor = new(0, 255, 0);

    /// <summary>Colour of the planted device's outline in the shortcut condition (magenta: not in viridis, not the mask's green).</summary>
    public static readonly Rgb24 DeviceOutlineColor = new(255, 0, 255);

    /// <summary>
    /// The overlay of <paramref name="cam"/> on the <paramref name="plane"/> of <paramref name="example"/> (the full X-ray, or the
    /// ROI image a teacher was fed) with the expert mask's outline and, where <paramref name="device"/> is given, the device's.
    /// </summary>
    /// <param name="example">The image.</param>
    /// <param name="cam">Its Grad-CAM, at the image's size.</param>
    /// <param name="alpha">Weight of the colour at the strongest activation.</param>
    /// <param name="outline">Whether to draw the expert mask's outline.</param>
    /// <param name="plane">The input plane drawn under the map: the one the model was fed.</param>
    /// <param name="device">The planted device's mask (0 outside), pixel-aligned with the image; null: none drawn.</param>
    /// <exception cref="ArgumentException">The CAM's or the device mask's size differs from the image's, or alpha outside [0, 1].</exception>
    public static Image<Rgb24> Render(AnnotatedImage example, CamMap cam, double alpha = 0.5, bool outline = true, ImagePlane plane = ImagePlane.Image, byte[]? device = null)
    {
        if (cam.Height != example.Height || cam.Width != example.Width)
            throw new ArgumentException($"Image {cam.Index}: expected a CAM of the image's size {example.Height}×{example.Width}, found {cam.Height}×{cam.Width}.", nameof(cam));
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"Expected alpha in [0, 1], found {alpha}.", nameof(alpha));
        if (device is not null && device.Length != example.Height * example.Width)
            throw new ArgumentException($"Image {cam.Index}: expected a {example.Height}×{example.Width} device mask, found {device.Length} pixels.", nameof(device));
        var normalised = DecisionRegions.MinMaxNormalise(cam.Values);
        var edge = outline ? Outline(example.Mask, example.Height, example.Width) : null;
        var deviceEdge = device is null ? null : Outline(device, example.Height, example.Width);
        var background = plane == ImagePlane.Roi ? example.Roi : example.Image;
        int w = example.Width;
        var image = new Image<Rgb24>(example.Width, example.Height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < w; x++)
                {
                    int i = y * w + x;
                    if (edge is not null && edge[i]) { row[x] = OutlineColor; continue; }
                    if (deviceEdge is not null && deviceEdge[i]) { row[x] = DeviceOutlineColor; continue; }
                    double g = background[i];
                    double a = normalised is null ? 0 : alpha * normalised[i];
                    var (r, gr, b) = Viridis(normalised?[i] ?? 0);
                    row[x] = new Rgb24(Blend(g, r, a), Blend(g, gr, a), Blend(g, b, a));
                }
            }
        });
        return image;
    }

    /// <summary>
    /// A grid figure: one row per image, one column per model (e.g. baseline, HKD student, ROI teacher), tiles
    /// separated by <paramref name="gap"/> white pixels. All tiles must have one size.
    /// </summary>
    /// <exception cref="ArgumentException">An empty grid, ragged rows or tiles of different sizes.</exception>
    public static Image<Rgb24> Grid(IReadOnlyList<IReadOnlyList<Image<Rgb24>>> rows, int gap = 4)
    {
        if (rows.Count == 0 || rows[0].Count == 0) throw new ArgumentException("Expected at least one row with one tile, found none.", nameof(rows));
        int columns = rows[0].Count, tw = rows[0][0].Width, th = rows[0][0].Height;
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Count != columns) throw new ArgumentException($"Row {r}: expected {columns} tiles like row 0, found {rows[r].Count}.", nameof(rows));
            for (int c = 0; c < columns; c++)
                if (rows[r][c].Width != tw || rows[r][c].Height != th)
                    throw new ArgumentException($"Tile ({r}, {c}): expected {tw}×{th}, found {rows[r][c].Width}×{rows[r][c].Height}.", nameof(rows));
        }
        var grid = new Image<Rgb24>(columns * tw + (columns - 1) * gap, rows.Count * th + (rows.Count - 1) * gap, new Rgb24(255, 255, 255));
        grid.Mutate(ctx =>
        {
            for (int r = 0; r < rows.Count; r++)
                for (int c = 0; c < columns; c++)
                    ctx.DrawImage(rows[r][c], new Point(c * (tw + gap), r * (th + gap)), 1f);
        });
        return grid;
    }

    /// <summary>Saves <paramref name="image"/> as PNG atomically.</summary>
    public static void SavePng(Image image, string path)
    {
        Runtime.AtomicFile.WriteStream(path, stream => image.SaveAsPng(stream));
    }

    /// <summary>Mask pixels with at least one 4-neighbour outside the mask or on the image border.</summary>
    public static bool[] Outline(byte[] mask, int height, int width)
    {
        if (mask.Length != height * width) throw new ArgumentException($"Expected a {height}×{width} mask, found {mask.Length} pixels.", nameof(mask));
        var edge = new bool[mask.Length];
        bool Inside(int y, int x) => y >= 0 && y < height && x >= 0 && x < width && mask[y * width + x] != 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                edge[y * width + x] = Inside(y, x) && !(Inside(y - 1, x) && Inside(y + 1, x) && Inside(y, x - 1) && Inside(y, x + 1));
        return edge;
    }

    // matplotlib's viridis at nine equally spaced points (#440154 … #fde725), the colours Plotly's "Viridis" scale uses.
    static readonly (double R, double G, double B)[] ViridisStops =
    [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 145, 140), (40, 174, 128), (94, 201, 98), (173, 220, 48), (253, 231, 37),
    ];

    /// <summary>
    /// The viridis colour map, linearly interpolated between nine points: dark purple (0) → blue → teal → green → yellow (1),
    /// components in [0, 255]. Perceptually uniform: its lightness rises monotonically with <paramref name="v"/>.
    /// </summary>
    public static (double R, double G, double B) Viridis(double v)
    {
        v = double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);
        double at = v * (ViridisStops.Length - 1);
        int i = Math.Min((int)at, ViridisStops.Length - 2);
        double t = at - i;
        var (a, b) = (ViridisStops[i], ViridisStops[i + 1]);
        return (a.R + t * (b.R - a.R), a.G + t * (b.G - a.G), a.B + t * (b.B - a.B));
    }

    private static byte Blend(double gray, double colour, double a) => (byte)Math.Round((1 - a) * gray + a * colour);
}
