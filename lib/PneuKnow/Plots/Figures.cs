using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.TraceObjects;
using PneuKnow.Evaluation;
using CSharpChart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;

namespace PneuKnow.Plots;

/// <summary>
/// The study's figures as Plotly.NET charts (display them in a notebook, or save them with
/// <see cref="FigureFile"/>). Each function takes evaluated results, never raw training state.
/// </summary>
public static class Figures
{
    /// <summary>
    /// Training curves in the authors' style: every run as a thin translucent line, the mean over runs
    /// (per epoch, over the runs that reached it) as a thick line of the same colour.
    /// </summary>
    /// <param name="epochs">Epoch numbers (x).</param>
    /// <param name="series">Groups of runs, e.g. ("train loss", fold series) and ("val loss", fold series).</param>
    /// <param name="title">Figure title.</param>
    /// <param name="yTitle">y-axis title.</param>
    /// <exception cref="ArgumentException">No series, or a run longer than <paramref name="epochs"/>.</exception>
    public static GenericChart LossCurves(double[] epochs, IReadOnlyList<(string Label, IReadOnlyList<(string Run, double[] Values)> Runs)> series,
        string title = "Loss per epoch", string yTitle = "loss")
    {
        if (series.Count == 0 || series.All(s => s.Runs.Count == 0)) throw new ArgumentException("Expected at least one run, found none.", nameof(series));
        var charts = new List<GenericChart>();
        for (int s = 0; s < series.Count; s++)
        {
            var colour = Palette(s);
            var (label, runs) = series[s];
            foreach (var (run, values) in runs)
            {
                if (values.Length > epochs.Length) throw new ArgumentException($"Series '{label}', run '{run}': expected at most {epochs.Length} epochs, found {values.Length}.", nameof(series));
                charts.Add(CSharpChart.Line<double, double, string>(epochs.Take(values.Length), values, Name: $"{label} {run}", ShowLegend: false,
                    LineColor: colour, LineWidth: 1.0, Opacity: 0.35));
            }
            var mean = Enumerable.Range(0, epochs.Length).Select(e =>
            {
                var v = runs.Where(r => e < r.Values.Length && !double.IsNaN(r.Values[e])).Select(r => r.Values[e]).ToArray();
                return v.Length == 0 ? double.NaN : v.Average();
            }).ToArray();
            charts.Add(CSharpChart.Line<double, double, string>(epochs, mean, Name: $"{label} (mean of {runs.Count})", LineColor: colour, LineWidth: 3.0));
        }
        return Styled(CSharpChart.Combine(charts), title, "epoch", yTitle);
    }

    /// <summary>Accuracy mean with ± std error bars per backbone (x) and variant (one bar colour each).</summary>
    public static GenericChart AccuracyPerBackbone(IReadOnlyList<(string Backbone, string Variant, Spread Accuracy)> cells, string title = "Accuracy per backbone")
    {
        if (cells.Count == 0) throw new ArgumentException("Expected at least one cell, found none.", nameof(cells));
        var charts = cells.Select(c => c.Variant).Distinct().Select((variant, i) =>
        {
            var mine = cells.Where(c => c.Variant == variant).ToArray();
            return WithError(CSharpChart.Column<double, string, string>(mine.Select(c => c.Accuracy.Mean), Keys: new Optional<IEnumerable<string>>(mine.Select(c => c.Backbone).ToArray(), true), Name: variant, MarkerColor: Palette(i)),
                mine.Select(c => c.Accuracy.Std));
        });
        return Styled(CSharpChart.Combine(charts), title, "backbone", "accuracy");
    }

    /// <summary>Per-class F1 mean ± std for each model (grouped bars).</summary>
    public static GenericChart ClassF1(IReadOnlyList<(string Model, RunGroup Group)> models, string title = "F1 per class")
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        var charts = models.Select((m, i) =>
        {
            var classes = m.Group.Classes;
            return WithError(CSharpChart.Column<double, string, string>(classes.Select(c => m.Group[$"{c}_f1"].Mean), Keys: new Optional<IEnumerable<string>>(classes, true), Name: m.Model, MarkerColor: Palette(i)),
                classes.Select(c => m.Group[$"{c}_f1"].Std));
        });
        return Styled(CSharpChart.Combine(charts), title, "class", "F1");
    }

    /// <summary>One-vs-rest ROC curves per class and the micro average, with the chance diagonal; AUCs in the legend.</summary>
    public static GenericChart Roc(RocAnalysis roc, string title = "ROC (one vs rest)")
    {
        var charts = new List<GenericChart>();
        for (int c = 0; c < roc.Classes.Count; c++)
        {
            if (roc.PerClass[c] is not { } curve) continue;
            charts.Add(CSharpChart.Line<double, double, string>(curve.FalsePositiveRate, curve.TruePositiveRate,
                Name: $"{roc.Classes[c]} (AUC {curve.Auc:F3})", LineColor: Palette(c), LineWidth: 2.0));
        }
        charts.Add(CSharpChart.Line<double, double, string>(roc.Micro.FalsePositiveRate, roc.Micro.TruePositiveRate,
            Name: $"micro (AUC {roc.MicroAuc:F3}); macro AUC {roc.MacroAuc:F3}", LineColor: Color.fromString("black"), LineWidth: 3.0));
        charts.Add(CSharpChart.Line<double, double, string>([0.0, 1.0], [0.0, 1.0], Name: "chance", LineColor: Color.fromString("gray"),
            LineDash: StyleParam.DrawingStyle.Dash, ShowLegend: false));
        return Styled(CSharpChart.Combine(charts), title, "false positive rate", "true positive rate");
    }

    /// <summary>Confusion matrix heatmap (rows = true class, columns = predicted), counts or row-normalised (recall per cell).</summary>
    public static GenericChart Confusion(ClassificationReport report, bool normalise = false, string title = "Confusion matrix")
    {
        int k = report.Classes.Count;
        var z = Enumerable.Range(0, k).Select(t =>
        {
            double total = Enumerable.Range(0, k).Sum(p => report.Confusion[t, p]);
            return Enumerable.Range(0, k).Select(p => normalise ? (total == 0 ? 0 : report.Confusion[t, p] / total) : report.Confusion[t, p]).ToArray();
        }).ToArray();
        // Plotly draws row 0 at the bottom; reverse so the first true class is on top as in a printed matrix.
        var heat = CSharpChart.Heatmap<double, string, string, string>(z.Reverse().Select(r => (IEnumerable<double>)r), X: new Optional<IEnumerable<string>>(report.Classes, true), Y: new Optional<IEnumerable<string>>(report.Classes.Reverse().ToArray(), true),
            ColorScale: StyleParam.Colorscale.NewCustom([Tuple.Create(0.0, Color.fromString("#f7fbff")), Tuple.Create(1.0, Color.fromString("#08306b"))]));
        return Styled(heat, title, "predicted", "true");
    }

    /// <summary>Accuracy mean ± std against the teacher's ROI fraction, one line per series (e.g. teacher, HKD student), with optional horizontal references (e.g. baseline, noroi).</summary>
    public static GenericChart AccuracyVsRoiFraction(IReadOnlyList<(string Series, double Fraction, Spread Accuracy)> points,
        IReadOnlyList<(string Label, double Accuracy)>? references = null, string title = "Accuracy vs annotated fraction")
    {
        if (points.Count == 0) throw new ArgumentException("Expected at least one point, found none.", nameof(points));
        var charts = points.Select(p => p.Series).Distinct().Select((s, i) =>
        {
            var mine = points.Where(p => p.Series == s).OrderBy(p => p.Fraction).ToArray();
            return WithError(CSharpChart.Line<double, double, string>(mine.Select(p => p.Fraction), mine.Select(p => p.Accuracy.Mean), Name: s,
                ShowMarkers: true, LineColor: Palette(i), LineWidth: 2.0), mine.Select(p => p.Accuracy.Std));
        }).ToList();
        double lo = points.Min(p => p.Fraction), hi = points.Max(p => p.Fraction);
        // Each reference its own dash and colour, so they can be told apart in print.
        StyleParam.DrawingStyle[] dashes = [StyleParam.DrawingStyle.Dash, StyleParam.DrawingStyle.DashDot, StyleParam.DrawingStyle.LongDash, StyleParam.DrawingStyle.Dot];
        string[] greys = ["#000000", "#7F7F7F", "#CC79A7", "#56B4E9"];
        foreach (var ((label, accuracy), i) in (references ?? []).Select((r, i) => (r, i)))
            charts.Add(CSharpChart.Line<double, double, string>([lo, hi], [accuracy, accuracy], Name: label, LineDash: dashes[i % dashes.Length],
                LineColor: Color.fromString(greys[i % greys.Length]), LineWidth: 2.0));
        return FigureStyle.Apply(CSharpChart.Combine(charts), title + "<br><sup>mean ± std over runs; 0 % is the baseline (no annotated image)</sup>", "fraction of training images with ROI", "accuracy");
    }

    private static GenericChart WithError(GenericChart chart, IEnumerable<double> std) =>
        // Error.init's parameters are F# options (null is None): Visible, Type, Symmetric, Array, then 11 we leave unset.
        Plotly.NET.Chart.withYError(Error.init<double, double>(new FSharpOption<bool>(true), null, null, new FSharpOption<IEnumerable<double>>(std.ToArray()),
            null, null, null, null, null, null, null, null, null, null, null)).Invoke(chart);

    private static GenericChart Styled(GenericChart chart, string title, string x, string y) =>
        Plotly.NET.Chart.withTitle(title, null).Invoke(chart).WithXAxisStyle<string, string, string>(TitleText: x).WithYAxisStyle<string, string, string>(TitleText: y);

    private static Color Palette(int i)
    {
        string[] colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
        return Color.fromString(colours[i % colours.Length]);
    }
}
