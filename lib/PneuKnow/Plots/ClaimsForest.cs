using System.Globalization;
using System.Text;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>One row of the forest plot: a paired estimate with its 95 % interval and its verdict.</summary>
/// <param name="Panel">The panel it is drawn in (rows of one panel share an x axis, so they must share a unit).</param>
/// <param name="Unit">The unit of the panel's x axis, e.g. <c>difference in share of images</c> or <c>epochs</c>.</param>
/// <param name="Label">The row label (what is compared, on which backbone and condition).</param>
/// <param name="Estimate">The estimate (NaN: not estimable).</param>
/// <param name="Lower">Lower end of the 95 % interval (NaN: none).</param>
/// <param name="Upper">Upper end of the 95 % interval (NaN: none).</param>
/// <param name="Primary">Whether the row belongs to the pre-stated primary family.</param>
/// <param name="Verdict">supported, contradicted, inconclusive, or what stands instead of a verdict (e.g. <c>measure failed its control</c>).</param>
public sealed record ForestRow(string Panel, string Unit, string Label, double Estimate, double Lower, double Upper, bool Primary, string Verdict)
{
    /// <summary>Whether the row has an estimate to draw.</summary>
    public bool Estimable => double.IsFinite(Estimate);

    /// <summary>Whether the row has an interval to draw.</summary>
    public bool HasInterval => Estimable && double.IsFinite(Lower) && double.IsFinite(Upper);
}

public static partial class StudyFigures
{
    /// <summary>The marker symbol of a primary row of <see cref="ClaimsForest"/>; other rows are circles.</summary>
    public const string PrimarySymbol = "diamond";

    /// <summary>What the forest plot writes where a row has no estimate.</summary>
    public const string NotEstimable = "not estimable";

    // Layout pixels of the forest plot: one text line of a row label, the room above a panel (its title) and below it
    // (tick labels and the x-axis title), the top margin (title, subtitle, legend) and the label wrap width in characters.
    const int ForestLine = 19, ForestPanelTop = 34, ForestPanelBottom = 66, ForestTop = 200, ForestBottom = 20, ForestWrap = 64, ForestLabelFont = 14;

    /// <summary>
    /// A forest plot of the claims: every row as its estimate (a marker) with its 95 % interval (a horizontal error
    /// bar), a dashed zero line in every panel, the marker coloured by the verdict (<see cref="FigureStyle.VerdictHex"/>),
    /// primary rows drawn as larger diamonds and labelled "primary". Rows keep their order, top to bottom; rows of
    /// different units sit in different panels, each with its own x axis. A row without an estimate says
    /// <see cref="NotEstimable"/> at zero. Each marker carries its row's index in <paramref name="rows"/> as customdata.
    /// </summary>
    /// <param name="rows">The rows, in the order of the table they come from.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="intervalNote">How the intervals were computed, shown under the title.</param>
    /// <param name="width">Layout width; the height follows from the rows.</param>
    /// <exception cref="ArgumentException">No rows.</exception>
    public static GenericChart ClaimsForest(IReadOnlyList<ForestRow> rows, string title, string intervalNote, int width = 1400)
    {
        if (rows.Count == 0) throw new ArgumentException("Expected at least one claim row, found none.", nameof(rows));
        var panels = rows.Select((r, i) => (Row: r, Index: i)).GroupBy(x => (x.Row.Panel, x.Row.Unit)).ToList();
        var labels = rows.Select(ForestLabel).ToArray();
        int labelWidth = (int)Math.Ceiling(labels.SelectMany(l => l.Split("<br>")).Max(l => MatrixPanels.LabelWidth(l, ForestLabelFont))) + 24;
        int left = labelWidth + 10, right = 40;

        // Row j of a panel covers its label's lines; y counts lines downwards from the panel's top.
        var panelLines = panels.Select(p => p.Sum(x => Lines(labels[x.Index]) + 0.6)).ToArray();
        double plotPx = panelLines.Sum() * ForestLine + panels.Count * (ForestPanelTop + ForestPanelBottom) - ForestPanelTop - ForestPanelBottom;
        int height = (int)Math.Ceiling(ForestTop + ForestBottom + ForestPanelBottom + plotPx);

        var traces = new List<GenericChart>();
        var annotations = new List<Dictionary<string, object>>();
        var shapes = new List<Dictionary<string, object>>();
        var layout = new Layout();
        var legend = new HashSet<string>();
        double top = 1.0;
        for (int p = 0; p < panels.Count; p++)
        {
            string suffix = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            string xref = "x" + suffix, yref = "y" + suffix;
            double panelPx = panelLines[p] * ForestLine;
            double bottom = top - panelPx / plotPx;
            var members = panels[p].ToList();

            var y = new Dictionary<int, double>();
            double line = 0;
            foreach (var (row, index) in members)
            {
                double lines = Lines(labels[index]) + 0.6;
                y[index] = line + lines / 2;
                line += lines;
            }

            foreach (var group in members.Where(m => m.Row.Estimable).GroupBy(m => (m.Row.Verdict, m.Row.Primary)))
            {
                var list = group.ToList();
                string name = group.Key.Primary ? $"{group.Key.Verdict} · primary row" : group.Key.Verdict;
                var trace = new Trace2D("scatter");
                trace.SetProperty("mode", "markers");
                trace.SetProperty("name", name);
                trace.SetProperty("legendgroup", name);
                trace.SetProperty("showlegend", legend.Add(name));
                trace.SetProperty("xaxis", xref);
                trace.SetProperty("yaxis", yref);
                trace.SetProperty("x", list.Select(m => m.Row.Estimate).ToArray());
                trace.SetProperty("y", list.Select(m => y[m.Index]).ToArray());
                trace.SetProperty("customdata", list.Select(m => m.Index).ToArray());
                trace.SetProperty("text", list.Select(m => HoverText(m.Row)).ToArray());
                trace.SetProperty("hovertemplate", "%{text}<extra></extra>");
                string colour = FigureStyle.VerdictHex(group.Key.Verdict);
                // Legend: supported, contradicted, inconclusive, then rows without a verdict; primary rows first within each.
                trace.SetProperty("legendrank", 100 * Array.IndexOf(VerdictOrder, VerdictOrder.Contains(group.Key.Verdict) ? group.Key.Verdict : "") + (group.Key.Primary ? 0 : 1));
                trace.SetProperty("marker", new Dictionary<string, object>
                {
                    ["color"] = colour, ["symbol"] = ForestSymbol(group.Key.Primary, group.Key.Verdict), ["size"] = group.Key.Primary ? 17 : 11,
                    // An open marker is drawn by its outline, in the verdict's colour.
                    ["line"] = new Dictionary<string, object> { ["color"] = colour, ["width"] = 2 },
                });
                // A row without an interval (one pair) gets a zero-length bar: JSON has no NaN to leave it out with.
                trace.SetProperty("error_x", new Dictionary<string, object>
                {
                    ["type"] = "data", ["symmetric"] = false, ["visible"] = true, ["color"] = colour, ["thickness"] = group.Key.Primary ? 3 : 2, ["width"] = 5,
                    ["array"] = list.Select(m => m.Row.HasInterval ? m.Row.Upper - m.Row.Estimate : 0.0).ToArray(),
                    ["arrayminus"] = list.Select(m => m.Row.HasInterval ? m.Row.Estimate - m.Row.Lower : 0.0).ToArray(),
                });
                traces.Add(GenericChart.ofTraceObject(true, trace));
            }
            foreach (var (row, index) in members.Where(m => !m.Row.Estimable))
                annotations.Add(new Dictionary<string, object>
                {
                    ["text"] = NotEstimable, ["xref"] = xref, ["yref"] = yref, ["x"] = 0.0, ["y"] = y[index], ["xanchor"] = "left", ["xshift"] = 6, ["showarrow"] = false,
                    ["font"] = new Dictionary<string, object> { ["size"] = ForestLabelFont, ["color"] = FigureStyle.NoVerdictHex },
                });

            var values = members.Where(m => m.Row.Estimable).SelectMany(m => m.Row.HasInterval ? new[] { m.Row.Estimate, m.Row.Lower, m.Row.Upper } : [m.Row.Estimate]).Append(0.0).ToList();
            double lo = values.Min(), hi = values.Max();
            if (hi - lo < 1e-12) (lo, hi) = (lo - 1, hi + 1);
            double pad = 0.06 * (hi - lo);
            layout.SetProperty("xaxis" + suffix, new Dictionary<string, object>
            {
                ["anchor"] = yref, ["range"] = new[] { lo - pad, hi + pad }, ["zeroline"] = false, ["showgrid"] = true, ["gridcolor"] = "#e5e5e5",
                ["showline"] = true, ["linecolor"] = "#444", ["automargin"] = false,
                ["title"] = new Dictionary<string, object> { ["text"] = $"{panels[p].Key.Unit} (positive = as the paper claims)", ["standoff"] = 6 },
            });
            layout.SetProperty("yaxis" + suffix, new Dictionary<string, object>
            {
                ["domain"] = new[] { Math.Max(0, bottom), top }, ["anchor"] = xref, ["range"] = new[] { line, 0.0 }, ["automargin"] = false,
                ["tickmode"] = "array", ["tickvals"] = members.Select(m => y[m.Index]).ToArray(), ["ticktext"] = members.Select(m => labels[m.Index]).ToArray(),
                ["tickfont"] = new Dictionary<string, object> { ["size"] = ForestLabelFont }, ["showgrid"] = false, ["zeroline"] = false,
            });
            shapes.Add(new Dictionary<string, object>
            {
                ["type"] = "line", ["xref"] = xref, ["yref"] = yref + " domain", ["x0"] = 0.0, ["x1"] = 0.0, ["y0"] = 0.0, ["y1"] = 1.0,
                ["line"] = new Dictionary<string, object> { ["color"] = "#222", ["width"] = 1.5, ["dash"] = "dash" },
            });
            annotations.Add(new Dictionary<string, object>
            {
                ["text"] = $"<b>{panels[p].Key.Panel}</b>", ["xref"] = "paper", ["yref"] = "paper", ["x"] = 0.0, ["y"] = top,
                ["xanchor"] = "left", ["yanchor"] = "bottom", ["yshift"] = 4, ["showarrow"] = false,
            });
            top = bottom - (ForestPanelTop + ForestPanelBottom) / plotPx;
        }
        layout.SetProperty("annotations", annotations);
        layout.SetProperty("shapes", shapes);
        layout.SetProperty("showlegend", true);
        layout.SetProperty("legend", new Dictionary<string, object>
        {
            // In the top margin, under the title and above the first panel's title, starting where the title starts.
            ["orientation"] = "h", ["x"] = -(left - 20.0) / (width - left - right), ["xanchor"] = "left", ["y"] = 1.0 + (ForestPanelTop + 8) / plotPx, ["yanchor"] = "bottom",
            ["title"] = new Dictionary<string, object> { ["text"] = "verdict: " },
        });
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = left, ["r"] = right, ["t"] = ForestTop, ["b"] = ForestBottom + ForestPanelBottom });
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        var chart = Chart.withLayout(layout).Invoke(GenericChart.combine(traces.Count > 0 ? traces : [GenericChart.ofTraceObject(true, new Trace2D("scatter"))]));
        var text = $"{title}<br><sup>each row: estimate with its 95 % interval; dashed line: no difference; ◆ primary row; open marker: no verdict</sup><br><sup>{intervalNote}</sup>";
        chart = FigureStyle.Apply(chart, text);
        // The title pinned to the top of the page, so that the legend below it has the rest of the top margin.
        var pinned = new Layout();
        pinned.SetProperty("title", new Dictionary<string, object>
        {
            ["text"] = text, ["font"] = new Dictionary<string, object> { ["size"] = FigureStyle.FontSize + 2 },
            ["yref"] = "container", ["y"] = 1.0, ["yanchor"] = "top", ["pad"] = new Dictionary<string, object> { ["t"] = 16 },
        });
        return Chart.withLayout(pinned).Invoke(chart);
    }

    static readonly string[] VerdictOrder = ["supported", "contradicted", "inconclusive", ""];

    /// <summary>
    /// The marker of a row: a diamond (<see cref="PrimarySymbol"/>) for a primary row, else a circle; open where the row
    /// has no verdict (a measure that failed its control, no power), so that it reads apart from an inconclusive row in grey print too.
    /// </summary>
    public static string ForestSymbol(bool primary, string verdict) =>
        (primary ? PrimarySymbol : "circle") + (VerdictOrder[..^1].Contains(verdict) ? "" : "-open");

    /// <summary>The row label as drawn: "primary" first where it is, the label wrapped to lines of at most about 64 characters.</summary>
    public static string ForestLabel(ForestRow row) => (row.Primary ? "<b>primary</b> · " : "") + Wrap(row.Label, ForestWrap);

    static int Lines(string label) => label.Split("<br>").Length;

    static string HoverText(ForestRow r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Label}<br>{r.Estimate:+0.000;−0.000;0.000} {(r.HasInterval ? string.Create(CultureInfo.InvariantCulture, $"[{r.Lower:+0.000;−0.000;0.000}, {r.Upper:+0.000;−0.000;0.000}]") : "(no interval)")}<br>{r.Verdict}{(r.Primary ? " (primary)" : "")}");

    // Greedy word wrap with plotly's line break.
    static string Wrap(string text, int width)
    {
        var lines = new List<StringBuilder> { new() };
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (lines[^1].Length > 0 && lines[^1].Length + 1 + word.Length > width) lines.Add(new StringBuilder());
            if (lines[^1].Length > 0) lines[^1].Append(' ');
            lines[^1].Append(word);
        }
        return string.Join("<br>", lines.Select(l => l.ToString()));
    }
}
