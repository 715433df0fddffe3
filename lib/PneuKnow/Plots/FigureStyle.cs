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

    /// <summary>The figure label of a model: teachers are marked oracle, controls control.</summary>
    /// <param name="model">The model's label (the study's <c>StudyReport.ModelLabel</c>).</param>
    /// <param name="kind">Its kind, which the study knows from its role and arm (the label is never parsed back).</param>
    public static string Label(string model, ModelKind kind) => kind switch
    {
        ModelKind.Teacher => $"{model} [oracle]",
        ModelKind.Control => $"{model} [control]",
        _ => model,
    };

    /// <summary>The readable class name of a label code (B → bacterial, C → COVID-19, NB → healthy, P → fungal, V → viral).</summary>
    public static string ClassName(string code) => Data.Phantom.PhantomFindings.Describe(code);

    /// <summary>
    /// The colour of a claim's verdict (Paul Tol's colour-blind-safe "vibrant" set, apart from the model colours of
    /// <see cref="Hex(ModelKind)"/> so that a verdict is never read as a kind of model): supported teal, contradicted red,
    /// inconclusive dark grey, and light grey for a row without a verdict (a measure that failed its control, a row not
    /// estimable, a preset without power).
    /// </summary>
    public static string VerdictHex(string verdict) => verdict switch
    {
        "supported" => "#009988",
        "contradicted" => "#CC3311",
        "inconclusive" => "#555555",
        _ => NoVerdictHex,
    };

    /// <summary>The colour of a row without a verdict (<see cref="VerdictHex"/>).</summary>
    public const string NoVerdictHex = "#9E9E9E";

    /// <summary>The sequential colour scale of every matrix figure (the confusion matrices): white at 0, dark blue at 1.</summary>
    public static IReadOnlyList<object[]> ShareColourScale { get; } = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]];

    /// <summary>The text colour that reads on a cell of <see cref="ShareColourScale"/> holding <paramref name="share"/>.</summary>
    public static string TextOnShare(double share) => share > 0.55 ? "white" : "#222";

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
