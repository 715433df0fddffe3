using System.Globalization;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>One panel of a decision-region figure: one model's Grad-CAM over the input it was fed, for one image.</summary>
/// <param name="Model">The model's label (column header).</param>
/// <param name="Kind">Its kind, which fixes the header's colour.</param>
/// <param name="Png">The tile: the input in grey, the CAM in viridis, the outlines (<see cref="Explain.CamOverlay.Render"/>), as PNG bytes.</param>
/// <param name="Width">Tile width in pixels.</param>
/// <param name="Height">Tile height in pixels.</param>
/// <param name="Predicted">The class the model predicts (the class the CAM explains), readable.</param>
/// <param name="Probability">Its softmax probability.</param>
/// <param name="EnergyInMask">Share of the CAM's energy inside the expert mask; NaN where the image has none (a healthy one).</param>
/// <param name="EnergyOnDevice">Share on the planted device; null where the image carries none.</param>
public sealed record DecisionRegionPanel(string Model, ModelKind Kind, byte[] Png, int Width, int Height, string Predicted, double Probability,
    double EnergyInMask, double? EnergyOnDevice);

/// <summary>One row of a decision-region figure: one test image, the reason it was chosen, and one panel per model.</summary>
/// <param name="Image">The image's file name.</param>
/// <param name="TrueClass">Its true class, readable.</param>
/// <param name="Reason">Why the row is shown (the selection rule's part that chose it).</param>
/// <param name="Panels">One panel per model, in column order.</param>
public sealed record DecisionRegionImageRow(string Image, string TrueClass, string Reason, IReadOnlyList<DecisionRegionPanel> Panels);

/// <summary>
/// The decision-region figure (issue 24): one row per chosen test image, one column per model (baseline | HKD student |
/// ROI teacher on its ROI input), each tile the model's Grad-CAM of its predicted class over its input with the expert
/// mask outlined in green and, in the shortcut condition, the device in magenta; above each tile the predicted class, its
/// probability and the tile's scores; at the left the true class and why the row is shown; one viridis colourbar.
/// </summary>
public static class DecisionRegionFigure
{
    // Layout pixels: the title and column headers above, row labels at the left, the colourbar at the right, and the
    // caption strip above each tile (two lines of text).
    const int Top = 190, Bottom = 40, Left = 230, MinRight = 170, CaptionStrip = 48, Gap = 10, MaxTile = 240;

    /// <summary>The smallest width the figure is laid out at (issue 24: at least 1,200 px).</summary>
    public const int MinWidth = 1200;

    /// <summary>
    /// The PNG's pixels per layout pixel: 1, not the 2 of other figures. Its tiles are pictures, which PNG compresses
    /// poorly (about 4 MB at twice the size against 1 MB at once), and a committed study keeps to 10 MB; the tiles'
    /// own resolution (the network input, 112 px) is below what the figure shows them at anyway.
    /// </summary>
    public const double PngScale = 1.0;

    /// <summary>
    /// How the exported PNG is stored: always with a 256-colour palette (<see cref="FigureFile.Browser.Palette"/>), although
    /// its pictures do not quantize within <see cref="FigureFile.Browser.IsFaithful"/>'s bound: the committed study keeps to
    /// 10 MB, and an RGB PNG of the figure's pictures is over a megabyte (docs/study-design.md, "Committed runs are packed",
    /// measures both).
    /// </summary>
    public const PngEncoding Png = PngEncoding.Palette;

    /// <summary>
    /// A tile as the figure embeds it (a data URI in the HTML): a palette PNG of at most 256 colours
    /// (<see cref="FigureFile.Browser.PaletteEncoder"/>), a fraction of the RGB PNG's bytes for a grey X-ray under a viridis
    /// map, with the outlines' colours kept exact (a JPEG would blur the one-pixel outlines).
    /// </summary>
    public static byte[] EncodeTile(SixLabors.ImageSharp.Image tile)
    {
        using var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(tile, png, FigureFile.Browser.PaletteEncoder());
        return png.ToArray();
    }

    /// <summary>
    /// The chart, <paramref name="width"/> layout pixels wide; its height follows from the rows (square tiles of at most
    /// 240 px). Six rows give a layout about 2,000 px tall (a 2,400 × 4,000 px PNG); the headless Chromium's
    /// <c>Plotly.toImage</c> never finished here for layouts above about 2,150 px.
    /// </summary>
    /// <param name="rows">The images, top to bottom; every row has the same models in the same order.</param>
    /// <param name="title">The figure's title (backbone, condition, pair, split).</param>
    /// <param name="subtitle">A line under it (the selection rule, what the colours mean).</param>
    /// <param name="width">Layout width, at least <see cref="MinWidth"/>.</param>
    /// <exception cref="ArgumentException">No rows, rows with different models, or a width below <see cref="MinWidth"/>.</exception>
    public static GenericChart Build(IReadOnlyList<DecisionRegionImageRow> rows, string title, string subtitle, int width = MinWidth)
    {
        if (rows.Count == 0 || rows[0].Panels.Count == 0) throw new ArgumentException("Expected at least one image row with one panel, found none.", nameof(rows));
        if (width < MinWidth) throw new ArgumentException($"Expected a width of at least {MinWidth} px, found {width}.", nameof(width));
        var models = rows[0].Panels.Select(p => p.Model).ToArray();
        foreach (var row in rows)
            if (!row.Panels.Select(p => p.Model).SequenceEqual(models))
                throw new ArgumentException($"{row.Image}: expected the models {string.Join(" | ", models)} like the first row, found {string.Join(" | ", row.Panels.Select(p => p.Model))}.", nameof(rows));

        int columns = models.Length, n = rows.Count, size = FigureStyle.FontSize;
        // Tiles at most MaxTile px: the PNG of a taller layout (about 2,150 px at twice the size) never came back from the
        // headless Chromium here, and six rows of larger tiles would pass that. Spare width goes to the right margin.
        double tile = Math.Min((width - Left - MinRight - Gap * (columns - 1)) / (double)columns, MaxTile);
        double plotWidth = tile * columns + Gap * (columns - 1);
        int right = (int)Math.Floor(width - Left - plotWidth);
        double rowHeight = tile + CaptionStrip;
        int plotHeight = (int)Math.Ceiling(n * rowHeight + (n - 1) * Gap);
        int height = Top + Bottom + plotHeight;

        var layout = new Layout();
        var traces = new List<GenericChart>();
        var annotations = new List<Dictionary<string, object>>();
        Dictionary<string, object> Text(string text, double x, double y, string xanchor, string yanchor, int fontSize, string? colour = null) => new()
        {
            ["text"] = text, ["xref"] = "paper", ["yref"] = "paper", ["x"] = x, ["y"] = y, ["xanchor"] = xanchor, ["yanchor"] = yanchor,
            ["showarrow"] = false, ["align"] = xanchor == "right" ? "right" : "center",
            ["font"] = colour is null ? new Dictionary<string, object> { ["size"] = fontSize } : new Dictionary<string, object> { ["size"] = fontSize, ["color"] = colour },
        };

        for (int c = 0; c < columns; c++)
        {
            double x0 = c * (tile + Gap) / plotWidth, x1 = x0 + tile / plotWidth;
            var kind = rows[0].Panels[c].Kind;
            annotations.Add(Text($"<b>{models[c]}</b>", (x0 + x1) / 2, 1.0, "center", "bottom", size + 2, FigureStyle.Hex(kind)));
        }
        var images = new List<Dictionary<string, object>>();
        for (int r = 0; r < n; r++)
        {
            var row = rows[r];
            // Paper coordinates run bottom-up; rows are laid out top-down.
            double rowTop = 1.0 - r * (rowHeight + Gap) / plotHeight;
            double tileTop = rowTop - CaptionStrip / (double)plotHeight, tileBottom = rowTop - rowHeight / plotHeight;
            annotations.Add(Text($"<b>true: {row.TrueClass}</b><br>{row.Image}<br>{row.Reason}", -12.0 / plotWidth, (tileTop + tileBottom) / 2, "right", "middle", size - 2));
            for (int c = 0; c < columns; c++)
            {
                var p = row.Panels[c];
                double x0 = c * (tile + Gap) / plotWidth, x1 = x0 + tile / plotWidth;
                // A layout image stretched over the tile's box in paper coordinates (the box is square in pixels): it fills the
                // tile whatever the tile's pixel size, where an image trace drew small tiles at their own size.
                images.Add(new Dictionary<string, object>
                {
                    ["source"] = "data:image/png;base64," + Convert.ToBase64String(p.Png), ["xref"] = "paper", ["yref"] = "paper",
                    ["x"] = x0, ["y"] = tileTop, ["sizex"] = x1 - x0, ["sizey"] = tileTop - tileBottom, ["xanchor"] = "left", ["yanchor"] = "top",
                    ["sizing"] = "stretch", ["layer"] = "above", ["name"] = $"{row.Image} · {p.Model}",
                });
                string device = p.EnergyOnDevice is { } d ? FormattableString.Invariant($" · on device {d:0.00}") : "";
                string mask = double.IsNaN(p.EnergyInMask) ? "no expert mask" : FormattableString.Invariant($"in mask {p.EnergyInMask:0.00}");
                annotations.Add(Text(FormattableString.Invariant($"predicted <b>{p.Predicted}</b> (p {p.Probability:0.00})<br>{mask}{device}"),
                    (x0 + x1) / 2, tileTop, "center", "bottom", size - 2));
            }
        }
        // The colourbar: a transparent one-cell heatmap on the shared colour axis, on the only axes, which take no room.
        var scale = new Trace2D("heatmap");
        scale.SetProperty("z", new[] { new[] { 0.0, 1.0 } });
        scale.SetProperty("coloraxis", "coloraxis");
                scale.SetProperty("hoverinfo", "skip");
        scale.SetProperty("showlegend", false);
        scale.SetProperty("opacity", 0.0);   // only its colourbar is wanted
        traces.Add(GenericChart.ofTraceObject(true, scale));
        layout.SetProperty("xaxis", new Dictionary<string, object> { ["domain"] = new[] { 0.999, 1.0 }, ["anchor"] = "y", ["visible"] = false });
        layout.SetProperty("yaxis", new Dictionary<string, object> { ["domain"] = new[] { 0.999, 1.0 }, ["anchor"] = "x", ["visible"] = false });
        layout.SetProperty("coloraxis", new Dictionary<string, object>
        {
            ["cmin"] = 0.0, ["cmax"] = 1.0, ["colorscale"] = "Viridis",
            ["colorbar"] = new Dictionary<string, object>
            {
                ["title"] = new Dictionary<string, object> { ["text"] = "Grad-CAM<br>(normalised)", ["side"] = "top" },
                ["thickness"] = 20, ["len"] = Math.Min(1.0, 600.0 / plotHeight), ["y"] = 1.0, ["yanchor"] = "top", ["x"] = 1.02, ["tickformat"] = ".1f",
            },
        });
        layout.SetProperty("title", new Dictionary<string, object>
        {
            ["text"] = $"{title}<br><sup>{subtitle}</sup>", ["x"] = 0.5, ["xanchor"] = "center", ["font"] = new Dictionary<string, object> { ["size"] = size + 4 },
        });
        layout.SetProperty("annotations", annotations);
        layout.SetProperty("images", images);
        layout.SetProperty("showlegend", false);
        layout.SetProperty("plot_bgcolor", "white");
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("font", new Dictionary<string, object> { ["size"] = size, ["family"] = "Arial, sans-serif" });
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = Left, ["r"] = right, ["t"] = Top, ["b"] = Bottom });
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        return Chart.withLayout(layout).Invoke(GenericChart.combine(traces));
    }
}
