using Plotly.NET;
using Plotly.NET.LayoutObjects;

namespace PneuKnow.Plots;

/// <summary>Which kind of model a figure shows; fixes its colour and where it sits.</summary>
public enum ModelKind
{
    /// <summary>Trained on raw images only.</summary>
    Baseline,
    /// <summary>The HKD student of the main arm.</summary>
    Student,
    /// <summary>A teacher: it sees the expert's ROI at test time too, so it is an oracle, not a competitor.</summary>
    Teacher,
    /// <summary>A control arm (noroi, reduced ROI budget, ...).</summary>
    Control,
}

/// <summary>
/// One look for every figure: a fixed colour per kind of model, class names instead of codes, and fonts that stay
/// readable when a figure is printed at column width (about 8.5 cm for an 800 px layout).
/// </summary>
public static class FigureStyle
{
    /// <summary>Base font size in layout pixels.</summary>
    public const int FontSize = 16;

    /// <summary>Colour of each kind of model (colour-blind safe, Okabe–Ito).</summary>
    public static Color ColourOf(ModelKind kind) => Color.fromString(Hex(kind));

    /// <summary>The colour of <paramref name="kind"/> as <c>#rrggbb</c>.</summary>
    public static string Hex(ModelKind kind) => kind switch
    {
        ModelKind.Baseline => "#0072B2",
        ModelKind.Student => "#D55E00",
        ModelKind.Teacher => "#009E73",
        _ => "#7F7F7F",
    };

    /// <summary>
    /// The kind of a model from its study label: <c>baseline</c>, <c>HKD student</c>, <c>ROI teacher</c>; a label with
    /// a variant in parentheses (<c>HKD student (noroi)</c>) is a control, and so is a raw-image teacher.
    /// </summary>
    public static ModelKind KindOf(string model) =>
        model.Contains('(') || model.StartsWith("raw teacher", StringComparison.Ordinal) ? (model.Contains("teacher", StringComparison.Ordinal) && !model.StartsWith("raw", StringComparison.Ordinal) ? ModelKind.Teacher : ModelKind.Control)
        : model.StartsWith("baseline", StringComparison.Ordinal) ? ModelKind.Baseline
        : model.Contains("teacher", StringComparison.Ordinal) ? ModelKind.Teacher
        : model.Contains("student", StringComparison.Ordinal) ? ModelKind.Student
        : ModelKind.Control;

    /// <summary>The figure label of a model: teachers are marked oracle, controls control.</summary>
    public static string Label(string model) => KindOf(model) switch
    {
        ModelKind.Teacher => $"{model} [oracle]",
        ModelKind.Control => $"{model} [control]",
        _ => model,
    };

    /// <summary>The readable class name of a label code (B → bacterial, C → COVID-19, NB → healthy, P → fungal, V → viral).</summary>
    public static string ClassName(string code) => Data.Phantom.PhantomFindings.Describe(code);

    /// <summary>A colour with transparency, for bands and per-run points.</summary>
    public static Color Translucent(ModelKind kind, double alpha)
    {
        var hex = Hex(kind)[1..];
        int r = Convert.ToInt32(hex[..2], 16), g = Convert.ToInt32(hex[2..4], 16), b = Convert.ToInt32(hex[4..], 16);
        return Color.fromString(FormattableString.Invariant($"rgba({r},{g},{b},{alpha:0.##})"));
    }

    /// <summary>Title, axis titles, white background and the column-width font.</summary>
    public static GenericChart Apply(GenericChart chart, string title, string? x = null, string? y = null)
    {
        // Plotly.NET's F# setters take every optional argument in C#; the layout is a dynamic object, so the few
        // properties set here go in by name (plotly.js's own names).
        var layout = new Layout();
        layout.SetProperty("font", new Dictionary<string, object> { ["size"] = FontSize, ["family"] = "Arial, Helvetica, sans-serif", ["color"] = "#222" });
        layout.SetProperty("title", new Dictionary<string, object> { ["text"] = title, ["font"] = new Dictionary<string, object> { ["size"] = FontSize + 2 } });
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("plot_bgcolor", "white");
        chart = Plotly.NET.Chart.withLayout(layout).Invoke(chart);
        if (x is not null) chart = Plotly.NET.CSharp.GenericChartExtensions.WithXAxisStyle<string, string, string>(chart, TitleText: x, ShowLine: true, LineColor: Color.fromString("#444"));
        if (y is not null) chart = Plotly.NET.CSharp.GenericChartExtensions.WithYAxisStyle<string, string, string>(chart, TitleText: y, ShowLine: true, LineColor: Color.fromString("#444"), ShowGrid: true, GridColor: Color.fromString("#e5e5e5"));
        return chart;
    }
}
