using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PneuKnow.Explain;

/// <summary>
/// Pictures of decision regions: the X-ray in gray, the min-max-normalised CAM blended over it with a jet
/// colour map (weight <c>alpha × activation</c>, so inactive regions keep the X-ray visible), and the
/// expert mask's outline (mask pixels with a 4-neighbour outside the mask) drawn on top.
/// </summary>
public static class CamOverlay
{
    /// <summary>Colour of the mask outline (green: absent from the jet map's low and high ends).</summary>
    public static readonly Rgb24 OutlineColor = new(0, 255, 0);

    /// <summary>The overlay of <paramref name="cam"/> on the full X-ray of <paramref name="example"/> with its mask outline.</summary>
    /// <exception cref="ArgumentException">The CAM's size differs from the image's.</exception>
    public static Image<Rgb24> Render(AnnotatedImage example, CamMap cam, double alpha = 0.5, bool outline = true)
    {
        if (cam.Height != example.Height || cam.Width != example.Width)
            throw new ArgumentException($"Image {cam.Index}: expected a CAM of the image's size {example.Height}×{example.Width}, found {cam.Height}×{cam.Width}.", nameof(cam));
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"Expected alpha in [0, 1], found {alpha}.", nameof(alpha));
        var normalised = DecisionRegions.MinMaxNormalise(cam.Values);
        var edge = outline ? Outline(example.Mask, example.Height, example.Width) : null;
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
                    double g = example.Image[i];
                    double a = normalised is null ? 0 : alpha * normalised[i];
                    var (r, gr, b) = Jet(normalised?[i] ?? 0);
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

    /// <summary>The jet colour map: dark blue (0) → blue → cyan → yellow → red → dark red (1), components in [0, 255].</summary>
    public static (double R, double G, double B) Jet(double v)
    {
        v = Math.Clamp(v, 0, 1);
        double Channel(double centre) => 255 * Math.Clamp(1.5 - Math.Abs(4 * v - centre), 0, 1);
        return (Channel(3), Channel(2), Channel(1));
    }

    private static byte Blend(double gray, double colour, double a) => (byte)Math.Round((1 - a) * gray + a * colour);
}
