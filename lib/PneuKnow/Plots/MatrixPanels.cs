using System.Globalization;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>One annotated matrix of shares in [0, 1] (a row-normalised confusion matrix).</summary>
/// <param name="Title">Shown above the panel.</param>
/// <param name="Share">Row i, column j: the share drawn as colour (NaN: an empty cell, no annotation).</param>
/// <param name="RowLabels">One label per row, top to bottom (may hold plotly's small HTML: <c>&lt;b&gt;</c>, <c>&lt;span style&gt;</c>).</param>
/// <param name="ColumnLabels">One label per column, left to right.</param>
public sealed record MatrixPanel(string Title, double[][] Share, string[] RowLabels, string[] ColumnLabels)
{
    /// <summary>The text written in a cell: the share with two decimals.</summary>
    public static string CellText(double share) => share.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>
/// Lays out annotated matrices side by side on one shared colour scale fixed to [0, 1]. Each panel has its own axes
/// (<c>x</c>/<c>y</c>, <c>x2</c>/<c>y2</c>, ...) and each cell's annotation names its panel's axes: an annotation without
/// an axis reference is placed on the first panel, which is how Plotly.NET's AnnotatedHeatmap inside a Grid printed the
/// student's numbers over the baseline's. The gap between panels is sized from the longest row label, so a panel's row
/// labels never run into its left neighbour's cells.
/// </summary>
internal static class MatrixPanels
{
    // Layout pixels: top margin (title, subtitle, panel titles), bottom margin (rotated column labels, axis title), right (colourbar).
    const int Top = 130, Bottom = 140, Right = 140, AxisTitleRoom = 44;

    /// <summary>Estimated rendered width of a label in layout pixels (Arial at <paramref name="size"/>; tags not counted).</summary>
    internal static double LabelWidth(string label, int size) =>
        System.Text.RegularExpressions.Regex.Replace(label, "<[^>]*>", "").Length * 0.6 * size;

    /// <summary>The chart: panels left to right, cell annotations on their own axes, one colourbar titled <paramref name="colourBarTitle"/>.</summary>
    /// <param name="panels">The matrices; every panel has as many rows as the first.</param>
    /// <param name="xTitle">Column axis title (every panel).</param>
    /// <param name="yTitle">Row axis title (first panel).</param>
    /// <param name="colourBarTitle">What the colour means.</param>
    /// <param name="width">Layout width in pixels.</param>
    /// <param name="cellHeight">Height of one row in pixels; the layout height follows from the row count.</param>
    /// <param name="textSize">Font size of the cell annotations.</param>
    /// <exception cref="ArgumentException">No panels, or a panel whose matrix does not match its labels.</exception>
    public static GenericChart Build(IReadOnlyList<MatrixPanel> panels, string xTitle, string yTitle, string colourBarTitle, int width, int cellHeight, int textSize)
    {
        if (panels.Count == 0) throw new ArgumentException("Expected at least one matrix panel, found none.", nameof(panels));
        foreach (var p in panels)
            if (p.Share.Length != p.RowLabels.Length || p.Share.Any(r => r.Length != p.ColumnLabels.Length))
                throw new ArgumentException($"{p.Title}: expected a {p.RowLabels.Length}×{p.ColumnLabels.Length} matrix for its labels, found {p.Share.Length}×{(p.Share.Length == 0 ? 0 : p.Share.Max(r => r.Length))}.", nameof(panels));
        int rows = panels.Max(p => p.RowLabels.Length);
        int size = FigureStyle.FontSize;
        double labels = panels.SelectMany(p => p.RowLabels).Select(l => LabelWidth(l, size)).DefaultIfEmpty(0).Max() + 24;
        int left = (int)Math.Ceiling(labels + AxisTitleRoom);
        double plotWidth = width - left - Right;
        double gap = panels.Count == 1 ? 0 : labels / plotWidth;
        double panelWidth = (1.0 - gap * (panels.Count - 1)) / panels.Count;
        if (panelWidth <= 0.05) throw new ArgumentException($"Row labels of about {labels:F0} px leave no room for {panels.Count} panels in {width} px.", nameof(width));
        int height = Top + Bottom + rows * cellHeight;

        var traces = new List<GenericChart>();
        var annotations = new List<Dictionary<string, object>>();
        var layout = new Layout();
        for (int i = 0; i < panels.Count; i++)
        {
            var p = panels[i];
            string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            string xref = "x" + suffix, yref = "y" + suffix;
            double x0 = i * (panelWidth + gap), x1 = x0 + panelWidth;
            int r = p.RowLabels.Length, c = p.ColumnLabels.Length;

            var trace = new Trace2D("heatmap");
            trace.SetProperty("name", p.Title);
            // NaN cannot travel in JSON: an empty cell is null, which plotly leaves blank.
            trace.SetProperty("z", p.Share.Select(row => row.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()).ToArray());
            trace.SetProperty("x", Enumerable.Range(0, c).ToArray());
            trace.SetProperty("y", Enumerable.Range(0, r).ToArray());
            trace.SetProperty("xaxis", xref);
            trace.SetProperty("yaxis", yref);
            trace.SetProperty("coloraxis", "coloraxis");
            trace.SetProperty("xgap", 1);
            trace.SetProperty("ygap", 1);
            trace.SetProperty("text", p.RowLabels.Select(row => p.ColumnLabels.Select(col => $"{Plain(row)} → {Plain(col)}").ToArray()).ToArray());
            trace.SetProperty("hovertemplate", "%{text}: %{z:.3f}<extra>" + p.Title + "</extra>");
            traces.Add(GenericChart.ofTraceObject(true, trace));

            layout.SetProperty("xaxis" + suffix, new Dictionary<string, object>
            {
                ["domain"] = new[] { x0, x1 }, ["anchor"] = yref, ["range"] = new[] { -0.5, c - 0.5 },
                ["tickmode"] = "array", ["tickvals"] = Enumerable.Range(0, c).ToArray(), ["ticktext"] = p.ColumnLabels, ["tickangle"] = -30,
                ["title"] = new Dictionary<string, object> { ["text"] = xTitle }, ["showgrid"] = false, ["zeroline"] = false, ["automargin"] = false,
            });
            layout.SetProperty("yaxis" + suffix, new Dictionary<string, object>
            {
                ["domain"] = new[] { 0.0, 1.0 }, ["anchor"] = xref, ["range"] = new[] { r - 0.5, -0.5 },   // first row on top
                ["tickmode"] = "array", ["tickvals"] = Enumerable.Range(0, r).ToArray(), ["ticktext"] = p.RowLabels,
                ["title"] = new Dictionary<string, object> { ["text"] = i == 0 ? yTitle : "" }, ["showgrid"] = false, ["zeroline"] = false, ["automargin"] = false,
            });
            annotations.Add(new Dictionary<string, object>
            {
                ["text"] = $"<b>{p.Title}</b>", ["xref"] = "paper", ["yref"] = "paper", ["x"] = (x0 + x1) / 2, ["y"] = 1.0,
                ["xanchor"] = "center", ["yanchor"] = "bottom", ["yshift"] = 6, ["showarrow"] = false, ["font"] = new Dictionary<string, object> { ["size"] = size },
            });
            for (int row = 0; row < r; row++)
                for (int col = 0; col < c; col++)
                {
                    double v = p.Share[row][col];
                    if (double.IsNaN(v)) continue;
                    annotations.Add(new Dictionary<string, object>
                    {
                        ["text"] = MatrixPanel.CellText(v), ["xref"] = xref, ["yref"] = yref, ["x"] = col, ["y"] = row, ["showarrow"] = false,
                        ["font"] = new Dictionary<string, object> { ["size"] = textSize, ["color"] = FigureStyle.TextOnShare(v) },
                    });
                }
        }
        layout.SetProperty("coloraxis", new Dictionary<string, object>
        {
            ["cmin"] = 0.0, ["cmax"] = 1.0, ["colorscale"] = FigureStyle.ShareColourScale,
            ["colorbar"] = new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = colourBarTitle, ["side"] = "right" }, ["thickness"] = 18, ["tickformat"] = ".1f" },
        });
        layout.SetProperty("annotations", annotations);
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = left, ["r"] = Right, ["t"] = Top, ["b"] = Bottom });
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        return Chart.withLayout(layout).Invoke(GenericChart.combine(traces));
    }

    static string Plain(string label) => System.Text.RegularExpressions.Regex.Replace(label, "<[^>]*>", "");
}
