using System.Globalization;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>One teacher run's eval-mode recall per class and accuracy, and whether it passed the study's gate.</summary>
/// <param name="Group">The row of panels it is drawn in: condition and backbone, e.g. <c>clean · cntk_resnet18</c>.</param>
/// <param name="Arm">The column of panels: the teacher's arm, e.g. <c>ROI teacher</c> or <c>raw teacher (noroi)</c>.</param>
/// <param name="Run">Its run index k (pair k of its arm); spreads its markers within a category and is each marker's customdata.</param>
/// <param name="Recall">Recall by class code (NaN for a class absent from the split: no marker).</param>
/// <param name="Accuracy">Accuracy over all images of the split (NaN: no marker).</param>
/// <param name="BaselineAccuracy">The paired baseline's accuracy (run k of the same backbone and condition), null where it has none.</param>
/// <param name="Gate">Empty when the teacher passes the gate; otherwise the reasons it fails, joined by <c>;</c>.</param>
public sealed record TeacherRecall(string Group, string Arm, int Run, IReadOnlyDictionary<string, double> Recall, double Accuracy, double? BaselineAccuracy, string Gate)
{
    /// <summary>Whether the teacher passes the gate.</summary>
    public bool Passes => Gate.Length == 0;

    /// <summary>Which teacher, in words: group, arm and run.</summary>
    public string Label => string.Join(" · ", new[] { Group, Arm }.Where(x => x.Length > 0)) + string.Create(CultureInfo.InvariantCulture, $" · run {Run}");
}

public static partial class StudyFigures
{
    /// <summary>The mark of a teacher that fails the gate (its legend entry and hover text).</summary>
    public const string FailMark = "✗";

    /// <summary>The marker symbol of a teacher run that fails the gate; a passing run is a circle.</summary>
    public const string FailSymbol = "x";

    /// <summary>The colour of a teacher run that fails the gate (the "contradicted" red of <see cref="FigureStyle.VerdictHex"/>, apart from every model colour).</summary>
    public static string FailHex => FigureStyle.VerdictHex("contradicted");

    /// <summary>The category of the teachers' figure that holds accuracy, below the classes.</summary>
    public const string AccuracyCategory = "accuracy";

    /// <summary>How far apart the markers of one arm's runs are spread within a category, in categories (run order, top to bottom).</summary>
    public const double TeacherSpread = 0.7;

    // Layout pixels of the teachers' figure: one category band, the narrowest panel, the narrowest figure, the gaps between
    // panels, the room above a panel (its two-line title), the top margin (title and subtitle, then the first panels'
    // titles), the bottom margin (tick labels, the x title, a legend of up to three lines) and the right margin.
    const int TeacherBand = 34, TeacherPanelMin = 220, TeacherFigureMin = 1000, TeacherColumnGap = 28, TeacherPanelTitle = 46,
        TeacherTickRoom = 30, TeacherTitle = 96, TeacherBottom = 150, TeacherRight = 24, TeacherPanelFont = 14;

    /// <summary>
    /// Every teacher run's eval-mode recall per class and its accuracy, as a strip plot whose size does not depend on the
    /// number of runs: one panel per arm (rows of panels: <see cref="TeacherRecall.Group"/>, columns: <see cref="TeacherRecall.Arm"/>,
    /// both in order of first appearance), y = the classes and then <see cref="AccuracyCategory"/>, x = the share of images
    /// classified correctly on a fixed [0, 1] axis, one marker per run and category, spread vertically within the category
    /// by the run's rank in its arm (run order; no randomness), so that one run sits at the same height in every category.
    /// A run that passes the gate is a teacher-green circle (<see cref="FigureStyle.Hex(ModelKind)"/>); one that fails it a
    /// red <see cref="FailSymbol"/> drawn over them, its reasons in the hover text; the paired baseline's accuracy is a
    /// baseline-blue tick at the same height in the accuracy row, and the healthy-recall gate a dashed line in the healthy
    /// row. Each panel's title gives its number of runs and how many fail. Each marker carries its run index as customdata.
    /// </summary>
    /// <param name="teachers">The teacher runs, in the order of tables/teachers.csv.</param>
    /// <param name="classes">Class codes, top to bottom.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="gate">The gate in words (the legend entry of a failing run and the subtitle).</param>
    /// <param name="healthyClass">The code of the healthy class in <paramref name="classes"/>, whose row gets the gate line; null: none.</param>
    /// <param name="healthyGate">The lowest healthy recall that passes the gate.</param>
    /// <exception cref="ArgumentException">No teachers, no classes, a run that appears twice in one arm, or a healthy class not among the classes.</exception>
    public static GenericChart TeacherRecallFigure(IReadOnlyList<TeacherRecall> teachers, IReadOnlyList<string> classes, string title, string gate, string? healthyClass, double healthyGate)
    {
        if (teachers.Count == 0) throw new ArgumentException("Expected at least one teacher run, found none.", nameof(teachers));
        if (classes.Count == 0) throw new ArgumentException("Expected at least one class, found none.", nameof(classes));
        if (healthyClass is not null && !classes.Contains(healthyClass))
            throw new ArgumentException($"Expected the healthy class '{healthyClass}' among the classes, found {string.Join(", ", classes)}.", nameof(healthyClass));
        if (teachers.GroupBy(t => (t.Group, t.Arm, t.Run)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Expected each run once per arm, found {twice.First().Label} {twice.Count()} times.", nameof(teachers));

        var groups = teachers.Select(t => t.Group).Distinct().ToList();
        var arms = teachers.Select(t => t.Arm).Distinct().ToList();
        var categories = classes.Select(FigureStyle.ClassName).Append(AccuracyCategory).ToArray();
        int k = categories.Length, healthyRow = healthyClass is null ? -1 : classes.ToList().IndexOf(healthyClass);

        // The layout follows the arms and the classes only, never the number of runs.
        int size = FigureStyle.FontSize;
        int left = (int)Math.Ceiling(categories.Max(c => MatrixPanels.LabelWidth(c, size)) + 12 + 2.2 * size);
        int panel = Math.Max(TeacherPanelMin, (TeacherFigureMin - left - TeacherRight - (arms.Count - 1) * TeacherColumnGap) / arms.Count);
        int width = left + TeacherRight + arms.Count * panel + (arms.Count - 1) * TeacherColumnGap;
        int panelHeight = k * TeacherBand, rowGap = TeacherTickRoom + TeacherPanelTitle + 14;
        int plotHeight = groups.Count * panelHeight + (groups.Count - 1) * rowGap;
        int height = TeacherTitle + TeacherPanelTitle + plotHeight + TeacherBottom;
        double plotWidth = width - left - TeacherRight;

        var traces = new List<GenericChart>();
        var annotations = new List<Dictionary<string, object>>();
        var shapes = new List<Dictionary<string, object>>();
        var layout = new Layout();
        var legend = new HashSet<string>();
        int axis = 0;
        string passName = "teacher run that passes the gate", failName = $"{FailMark} teacher run that fails the gate ({gate})",
            baselineName = "paired baseline's accuracy (same run)", gateName = string.Create(CultureInfo.InvariantCulture, $"healthy-recall gate ({healthyGate:0.0#})");

        for (int r = 0; r < groups.Count; r++)
            for (int c = 0; c < arms.Count; c++)
            {
                var members = teachers.Where(t => t.Group == groups[r] && t.Arm == arms[c]).OrderBy(t => t.Run).ToList();
                double x0 = c * (panel + TeacherColumnGap) / plotWidth, x1 = x0 + panel / plotWidth;
                double top = 1.0 - r * (panelHeight + rowGap) / (double)plotHeight, bottom = top - panelHeight / (double)plotHeight;
                if (members.Count == 0 && c > 0)
                {
                    annotations.Add(PanelNote("no teacher runs in this arm", (x0 + x1) / 2, (top + bottom) / 2, "middle", "#777"));
                    continue;
                }
                axis++;
                string suffix = axis == 1 ? "" : axis.ToString(CultureInfo.InvariantCulture), xref = "x" + suffix, yref = "y" + suffix;
                layout.SetProperty("xaxis" + suffix, new Dictionary<string, object>
                {
                    ["domain"] = new[] { x0, x1 }, ["anchor"] = yref, ["range"] = new[] { -0.03, 1.03 }, ["automargin"] = false, ["visible"] = members.Count > 0,
                    ["tickmode"] = "array", ["tickvals"] = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, ["ticktext"] = new[] { "0", "0.25", "0.5", "0.75", "1" },
                    ["showgrid"] = true, ["gridcolor"] = "#e5e5e5", ["zeroline"] = false, ["showline"] = true, ["linecolor"] = "#444", ["mirror"] = true,
                });
                layout.SetProperty("yaxis" + suffix, new Dictionary<string, object>
                {
                    ["domain"] = new[] { bottom, top }, ["anchor"] = xref, ["range"] = new[] { k - 0.5, -0.5 }, ["automargin"] = false,
                    ["tickmode"] = "array", ["tickvals"] = Enumerable.Range(0, k).ToArray(), ["ticktext"] = categories, ["showticklabels"] = c == 0,
                    ["showgrid"] = false, ["zeroline"] = false, ["showline"] = members.Count > 0, ["linecolor"] = "#444", ["mirror"] = true, ["ticks"] = "",
                    // The row's condition and backbone, left of the first column's class names.
                    ["title"] = new Dictionary<string, object> { ["text"] = c == 0 ? $"<b>{groups[r]}</b>" : "", ["standoff"] = 4 },
                });
                if (members.Count == 0)
                {
                    annotations.Add(PanelNote("no teacher runs in this arm", (x0 + x1) / 2, (top + bottom) / 2, "middle", "#777"));
                    continue;
                }
                // Every other category on a faint band, so that a marker is read against its own row.
                for (int row = 1; row < k; row += 2)
                    shapes.Add(new Dictionary<string, object>
                    {
                        ["type"] = "rect", ["xref"] = xref + " domain", ["yref"] = yref, ["x0"] = 0.0, ["x1"] = 1.0, ["y0"] = row - 0.5, ["y1"] = row + 0.5,
                        ["fillcolor"] = "#f2f2f2", ["line"] = new Dictionary<string, object> { ["width"] = 0 }, ["layer"] = "below",
                    });
                int failed = members.Count(t => !t.Passes);
                annotations.Add(new Dictionary<string, object>
                {
                    ["text"] = string.Create(CultureInfo.InvariantCulture, $"<b>{arms[c]}</b><br>n = {members.Count} teacher run{(members.Count == 1 ? "" : "s")}, {failed} fail{(failed == 1 ? "s" : "")}"),
                    ["xref"] = "paper", ["yref"] = "paper", ["x"] = (x0 + x1) / 2, ["y"] = top, ["xanchor"] = "center", ["yanchor"] = "bottom", ["yshift"] = 4,
                    ["showarrow"] = false, ["font"] = new Dictionary<string, object> { ["size"] = TeacherPanelFont, ["color"] = failed > 0 ? FailHex : "#222" },
                });

                // Rounded to what tables/teachers.csv prints (4 decimals), which keeps the page small; the spread to 4 decimals too.
                double Offset(int rank) => members.Count == 1 ? 0 : Math.Round(TeacherSpread * (rank / (members.Count - 1.0) - 0.5), 4);
                var points = members.SelectMany((t, rank) => classes.Select(code => t.Recall.TryGetValue(code, out var v) ? v : double.NaN).Append(t.Accuracy)
                    .Select((v, row) => (Teacher: t, Row: row, X: Math.Round(v, 4), Y: row + Offset(rank)))).Where(p => double.IsFinite(p.X)).ToList();
                // The hover names the panel once per trace and the run by its customdata.
                string hover = $"<b>{string.Join(" · ", new[] { groups[r], arms[c] }.Where(x => x.Length > 0))}</b> · run %{{customdata}}<br>%{{text}}<extra></extra>";
                // Passing runs first, the paired baselines and the gate line over them, the failing runs on top, so that no failing run is hidden.
                var pass = points.Where(p => p.Teacher.Passes).ToList();
                if (pass.Count > 0)
                    traces.Add(Trace(xref, yref, passName, "pass", legend, pass.Select(p => p.X).ToArray(), pass.Select(p => p.Y).ToArray(), pass.Select(p => p.Teacher.Run).ToArray(),
                        pass.Select(p => TeacherHover(p.Teacher, categories[p.Row], p.X)).ToArray(), hover, "markers",
                        marker: new Dictionary<string, object>
                        {
                            ["color"] = FigureStyle.Hex(ModelKind.Teacher), ["symbol"] = "circle", ["size"] = 8, ["opacity"] = 0.75,
                            ["line"] = new Dictionary<string, object> { ["color"] = "white", ["width"] = 0.5 },
                        }));
                var baselines = members.Select((t, rank) => (Teacher: t, Rank: rank)).Where(m => m.Teacher.BaselineAccuracy is { } b && double.IsFinite(b)).ToList();
                if (baselines.Count > 0)
                    traces.Add(Trace(xref, yref, baselineName, "baseline", legend, baselines.Select(m => Math.Round(m.Teacher.BaselineAccuracy!.Value, 4)).ToArray(),
                        baselines.Select(m => k - 1 + Offset(m.Rank)).ToArray(), baselines.Select(m => m.Teacher.Run).ToArray(),
                        baselines.Select(m => string.Create(CultureInfo.InvariantCulture, $"paired baseline's accuracy: {m.Teacher.BaselineAccuracy:0.000}")).ToArray(), hover, "markers",
                        marker: new Dictionary<string, object>
                        {
                            ["color"] = FigureStyle.Hex(ModelKind.Baseline), ["symbol"] = "line-ns-open", ["size"] = 11,
                            ["line"] = new Dictionary<string, object> { ["color"] = FigureStyle.Hex(ModelKind.Baseline), ["width"] = 2 },
                        }));
                if (healthyRow >= 0)
                    traces.Add(Trace(xref, yref, gateName, "gate", legend, [healthyGate, healthyGate], [healthyRow - 0.5, healthyRow + 0.5], null, null, null, "lines",
                        line: new Dictionary<string, object> { ["color"] = "#222", ["width"] = 2, ["dash"] = "5px,3px" }));
                var fail = points.Where(p => !p.Teacher.Passes).ToList();
                if (fail.Count > 0)
                    traces.Add(Trace(xref, yref, failName, "fail", legend, fail.Select(p => p.X).ToArray(), fail.Select(p => p.Y).ToArray(), fail.Select(p => p.Teacher.Run).ToArray(),
                        fail.Select(p => TeacherHover(p.Teacher, categories[p.Row], p.X)).ToArray(), hover, "markers",
                        marker: new Dictionary<string, object>
                        {
                            ["color"] = FailHex, ["symbol"] = FailSymbol, ["size"] = 11,
                            ["line"] = new Dictionary<string, object> { ["color"] = "white", ["width"] = 0.5 },
                        }));
            }

        // The x axis's meaning and unit, once under the grid; the legend under it.
        annotations.Add(new Dictionary<string, object>
        {
            ["text"] = "share of images classified correctly (0–1): recall within each class; accuracy over all images", ["xref"] = "paper", ["yref"] = "paper",
            ["x"] = 0.5, ["y"] = 0.0, ["xanchor"] = "center", ["yanchor"] = "top", ["yshift"] = -TeacherTickRoom, ["showarrow"] = false,
        });
        layout.SetProperty("annotations", annotations);
        layout.SetProperty("shapes", shapes);
        layout.SetProperty("showlegend", true);
        layout.SetProperty("legend", new Dictionary<string, object>
        {
            ["orientation"] = "h", ["x"] = -(left - 20.0) / plotWidth, ["xanchor"] = "left", ["y"] = -(TeacherTickRoom + 34.0) / plotHeight, ["yanchor"] = "top",
            ["font"] = new Dictionary<string, object> { ["size"] = TeacherPanelFont },
        });
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = left, ["r"] = TeacherRight, ["t"] = TeacherTitle + TeacherPanelTitle, ["b"] = TeacherBottom });
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        var chart = Chart.withLayout(layout).Invoke(GenericChart.combine(traces.Count > 0 ? traces : [GenericChart.ofTraceObject(true, new Trace2D("scatter"))]));
        int fails = teachers.Count(t => !t.Passes);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{title}<br><sup>{fails} of {teachers.Count} teacher run(s) fail the gate ({gate}): red {FailMark}</sup>" +
            $"<br><sup>one marker per run and row, spread within the row by run index; n per panel in its title</sup>");
        chart = FigureStyle.Apply(chart, text);
        // The title pinned to the top of the page, above the first panels' titles.
        var pinned = new Layout();
        pinned.SetProperty("title", new Dictionary<string, object>
        {
            ["text"] = text, ["font"] = new Dictionary<string, object> { ["size"] = FigureStyle.FontSize + 2 },
            ["yref"] = "container", ["y"] = 1.0 - 30.0 / height, ["yanchor"] = "top", ["xref"] = "container", ["x"] = 20.0 / width, ["xanchor"] = "left",
        });
        return Chart.withLayout(pinned).Invoke(chart);
    }

    static Dictionary<string, object> PanelNote(string text, double x, double y, string anchor, string colour) => new()
    {
        ["text"] = text, ["xref"] = "paper", ["yref"] = "paper", ["x"] = x, ["y"] = y, ["xanchor"] = "center", ["yanchor"] = anchor, ["showarrow"] = false,
        ["font"] = new Dictionary<string, object> { ["size"] = TeacherPanelFont, ["color"] = colour },
    };

    // One scatter trace on a panel's axes; its legend entry shown on the first panel that has it.
    static GenericChart Trace(string xref, string yref, string name, string group, HashSet<string> legend, double[] x, double[] y, int[]? runs, string[]? text, string? hover, string mode,
        Dictionary<string, object>? marker = null, Dictionary<string, object>? line = null)
    {
        var trace = new Trace2D("scatter");
        trace.SetProperty("mode", mode);
        trace.SetProperty("name", name);
        trace.SetProperty("legendgroup", group);
        trace.SetProperty("showlegend", legend.Add(group));
        trace.SetProperty("legendrank", Array.IndexOf(LegendOrder, group));
        trace.SetProperty("xaxis", xref);
        trace.SetProperty("yaxis", yref);
        trace.SetProperty("x", x);
        trace.SetProperty("y", y);
        if (runs is not null) trace.SetProperty("customdata", runs);
        if (text is not null)
        {
            trace.SetProperty("text", text);
            trace.SetProperty("hovertemplate", hover ?? "%{text}<extra></extra>");
        }
        else trace.SetProperty("hoverinfo", "skip");
        if (marker is not null) trace.SetProperty("marker", marker);
        if (line is not null) trace.SetProperty("line", line);
        return GenericChart.ofTraceObject(true, trace);
    }

    static readonly string[] LegendOrder = ["pass", "fail", "baseline", "gate"];

    /// <summary>The hover text of one marker (after its panel and run): the category and its value, and for a run that fails the gate the reasons.</summary>
    public static string TeacherHover(TeacherRecall t, string category, double value) => string.Create(CultureInfo.InvariantCulture,
        $"{category}: {value:0.000}{(t.Passes ? "" : $"<br>{FailMark} fails the gate: {t.Gate.Replace('_', ' ').Replace(";", ", ", StringComparison.Ordinal)}")}");
}
