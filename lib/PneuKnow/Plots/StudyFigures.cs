using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;
using CSharpChart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;

namespace PneuKnow.Plots;

/// <summary>One model's per-run values of a metric (e.g. accuracy over the repeated runs).</summary>
/// <param name="Backbone">Backbone name.</param>
/// <param name="Model">Study label (<c>baseline</c>, <c>HKD student</c>, <c>ROI teacher</c>, <c>HKD student (noroi)</c>, ...).</param>
/// <param name="Kind">What kind of model it is: its colour, place and legend entry.</param>
/// <param name="Accuracy">Accuracy of each run.</param>
/// <param name="BalancedAccuracy">Balanced accuracy (mean recall over classes) of each run.</param>
public sealed record ModelRuns(string Backbone, string Model, ModelKind Kind, double[] Accuracy, double[] BalancedAccuracy);

/// <summary>Per-image scores of the baseline and the HKD student on the same images, for one metric.</summary>
/// <param name="Metric">e.g. "energy in mask", "pointing game", "energy on confounder".</param>
/// <param name="Baseline">Score of the baseline per image.</param>
/// <param name="Student">Score of the student on the same images, same order.</param>
public sealed record PairedScores(string Metric, double[] Baseline, double[] Student);

/// <summary>The study's figures in one style (<see cref="FigureStyle"/>): accuracy, training curves, confusion, per-class F1, paired scores.</summary>
public static partial class StudyFigures
{
    /// <summary>A 95 % confidence interval of the mean (Student's t, n − 1 degrees of freedom), clipped to [0, 1]; NaN width for one run.</summary>
    public static (double Mean, double Lower, double Upper) MeanCi95(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("Expected at least one value, found none.", nameof(values));
        double mean = values.Average();
        if (values.Count < 2) return (mean, mean, mean);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double half = TQuantile975(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return (mean, Math.Max(0, mean - half), Math.Min(1, mean + half));
    }

    /// <summary>The 0.975 quantile of Student's t with <paramref name="df"/> degrees of freedom (table to 30, then the normal 1.960).</summary>
    public static double TQuantile975(int df)
    {
        double[] table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df), df, "Expected at least one degree of freedom.");
        return df <= table.Length ? table[df - 1] : 1.960;
    }

    /// <summary>
    /// Accuracy and balanced accuracy side by side as a horizontal dot plot, one row per model: rows grouped by backbone
    /// (and condition), within a group baseline, HKD student, controls, then the teacher (labelled control / oracle), so that
    /// the models compared sit next to each other; each run a dot, the mean a diamond with its 95 % CI (Student's t, clipped
    /// to [0, 1]). Reference lines where they mean something: the majority rate (always answering the commonest class) on the
    /// accuracy panel, chance (1 / classes) on the balanced-accuracy panel, where always answering one class scores exactly that.
    /// Labels are horizontal, so that no two overlap however many models there are.
    /// </summary>
    /// <param name="models">The models and their per-run values.</param>
    /// <param name="majorityRate">The share of the commonest class in the split, or null.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="classes">How many classes (for the chance line of balanced accuracy), or null for none.</param>
    /// <exception cref="ArgumentException">No models, or a model without runs.</exception>
    public static GenericChart Accuracy(IReadOnlyList<ModelRuns> models, double? majorityRate, string title, int? classes = null)
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        if (models.FirstOrDefault(m => m.Accuracy.Length == 0) is { } empty) throw new ArgumentException($"{empty.Backbone} {empty.Model}: expected at least one run, found none.", nameof(models));
        static int Order(ModelKind k) => k switch { ModelKind.Baseline => 0, ModelKind.Student => 1, ModelKind.Control => 2, _ => 3 };
        var groups = models.Select(m => m.Backbone).Distinct().ToList();
        var ordered = models.OrderBy(m => groups.IndexOf(m.Backbone)).ThenBy(m => Order(m.Kind)).ToList();
        bool several = groups.Count > 1;
        string Label(ModelRuns m) => several ? $"{m.Backbone}: {FigureStyle.Label(m.Model, m.Kind)}" : FigureStyle.Label(m.Model, m.Kind);
        // Row positions top-down, with half a row between groups.
        var position = new double[ordered.Count];
        for (int i = 0; i < ordered.Count; i++)
            position[i] = i == 0 ? 0 : position[i - 1] + (ordered[i].Backbone == ordered[i - 1].Backbone ? 1 : 1.6);
        int runs = ordered.Max(m => m.Accuracy.Length);
        int size = FigureStyle.FontSize;
        const int rowHeight = 30, top = 130, bottom = 90, right = 40, width = 1200;
        int left = (int)Math.Ceiling(ordered.Select(m => MatrixPanels.LabelWidth(Label(m), size)).Max() + 30);
        double span = position[^1];
        int height = top + bottom + (int)Math.Ceiling((span + 1) * rowHeight);
        const double gap = 0.06, panelWidth = (1 - gap) / 2;

        var traces = new List<GenericChart>();
        var layout = new Layout();
        var shownInLegend = new HashSet<string>();
        void Panel(int panel, Func<ModelRuns, double[]> metric)
        {
            string suffix = panel == 0 ? "" : "2", xref = "x" + suffix, yref = "y" + suffix;
            for (int i = 0; i < ordered.Count; i++)
            {
                var m = ordered[i];
                var values = metric(m);
                var dots = new Trace2D("scatter");
                dots.SetProperty("mode", "markers");
                dots.SetProperty("x", values);
                dots.SetProperty("y", values.Select(_ => position[i]).ToArray());
                dots.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureStyle.Hex(m.Kind), ["opacity"] = 0.45, ["size"] = 8 });
                dots.SetProperty("showlegend", false);
                dots.SetProperty("hovertemplate", $"{Label(m)}: %{{x:.3f}}<extra>a run</extra>");
                dots.SetProperty("xaxis", xref);
                dots.SetProperty("yaxis", yref);
                traces.Add(GenericChart.ofTraceObject(true, dots));
                var (mean, lower, upper) = MeanCi95(values);
                string legend = m.Kind switch { ModelKind.Teacher => "teacher (oracle)", ModelKind.Control => "control", ModelKind.Student => "HKD student", _ => "baseline" };
                var diamond = new Trace2D("scatter");
                diamond.SetProperty("mode", "markers");
                diamond.SetProperty("x", new[] { mean });
                diamond.SetProperty("y", new[] { position[i] });
                diamond.SetProperty("name", legend);
                diamond.SetProperty("legendgroup", legend);
                diamond.SetProperty("showlegend", panel == 0 && shownInLegend.Add(legend));
                diamond.SetProperty("marker", new Dictionary<string, object> { ["color"] = FigureStyle.Hex(m.Kind), ["symbol"] = "diamond", ["size"] = 13 });
                diamond.SetProperty("error_x", new Dictionary<string, object>
                {
                    ["type"] = "data", ["symmetric"] = false, ["array"] = new[] { upper - mean }, ["arrayminus"] = new[] { mean - lower },
                    ["color"] = FigureStyle.Hex(m.Kind), ["thickness"] = 2, ["width"] = 5,
                });
                diamond.SetProperty("hovertemplate", $"{Label(m)}: mean %{{x:.3f}}, 95 % CI {lower:F3}–{upper:F3}<extra></extra>");
                diamond.SetProperty("xaxis", xref);
                diamond.SetProperty("yaxis", yref);
                traces.Add(GenericChart.ofTraceObject(true, diamond));
            }
            layout.SetProperty("xaxis" + suffix, new Dictionary<string, object>
            {
                ["domain"] = new[] { panel * (panelWidth + gap), panel * (panelWidth + gap) + panelWidth }, ["anchor"] = yref, ["range"] = new[] { 0.0, 1.02 },
                ["title"] = new Dictionary<string, object> { ["text"] = panel == 0 ? "accuracy (share of test images right)" : "balanced accuracy (mean recall over classes)" },
                ["showgrid"] = true, ["gridcolor"] = "#e5e5e5", ["zeroline"] = false, ["showline"] = true, ["linecolor"] = "#444", ["dtick"] = 0.1,
            });
            layout.SetProperty("yaxis" + suffix, new Dictionary<string, object>
            {
                ["domain"] = new[] { 0.0, 1.0 }, ["anchor"] = xref, ["range"] = new[] { span + 0.6, -0.6 },
                ["tickmode"] = "array", ["tickvals"] = position, ["ticktext"] = panel == 0 ? ordered.Select(Label).ToArray() : ordered.Select(_ => "").ToArray(),
                ["showgrid"] = false, ["zeroline"] = false, ["automargin"] = false,
            });
        }
        Panel(0, m => m.Accuracy);
        Panel(1, m => m.BalancedAccuracy);

        void Reference(string xref, double x, string name, string dash)
        {
            var line = new Trace2D("scatter");
            line.SetProperty("mode", "lines");
            line.SetProperty("x", new[] { x, x });
            line.SetProperty("y", new[] { -0.5, span + 0.5 });
            line.SetProperty("name", name);
            line.SetProperty("line", new Dictionary<string, object> { ["color"] = "black", ["dash"] = dash, ["width"] = 1.5 });
            line.SetProperty("xaxis", xref);
            line.SetProperty("yaxis", xref == "x" ? "y" : "y2");
            traces.Add(GenericChart.ofTraceObject(true, line));
        }
        if (majorityRate is { } rate) Reference("x", rate, FormattableString.Invariant($"majority rate {rate:F3} (accuracy of always answering the commonest class)"), "dash");
        if (classes is int k && k > 1) Reference("x2", 1.0 / k, FormattableString.Invariant($"chance {1.0 / k:F3} (1/{k} classes: balanced accuracy of any constant answer)"), "dot");

        layout.SetProperty("title", new Dictionary<string, object>
        {
            ["text"] = $"{title}<br><sup>dots: {runs} run(s); diamond: mean with 95 % CI (Student's t, clipped to [0, 1])</sup>",
            ["font"] = new Dictionary<string, object> { ["size"] = size + 2 },
        });
        layout.SetProperty("font", new Dictionary<string, object> { ["size"] = size, ["family"] = "Arial, Helvetica, sans-serif", ["color"] = "#222" });
        layout.SetProperty("legend", new Dictionary<string, object> { ["orientation"] = "h", ["x"] = 0.0, ["y"] = -70.0 / (height - top - bottom), ["yanchor"] = "top" });
        layout.SetProperty("paper_bgcolor", "white");
        layout.SetProperty("plot_bgcolor", "white");
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = left, ["r"] = right, ["t"] = top, ["b"] = bottom + 40 });
        layout.SetProperty("width", width + left);
        layout.SetProperty("height", height + 40);
        return Plotly.NET.Chart.withLayout(layout).Invoke(GenericChart.combine(traces));
    }

    /// <summary>
    /// Training curves of one backbone: training cross-entropy, consistency MSE, combined training loss, validation
    /// loss and validation accuracy, baseline and student on shared axes, each model's mean over runs with a band
    /// from the lowest to the highest run, integer epochs.
    /// </summary>
    /// <exception cref="ArgumentException">No logs.</exception>
    public static GenericChart TrainingCurves(string backbone, IReadOnlyList<(string Model, ModelKind Kind, TrainingLog Log)> logs)
    {
        if (logs.Count == 0) throw new ArgumentException("Expected at least one training log, found none.", nameof(logs));
        // A baseline's training loss is its cross-entropy; a student's splits into cross-entropy (train_cls_loss) and consistency.
        (string Title, Func<TrainingLog, string?> Column)[] panels =
        [
            ("training cross-entropy", l => l.Has("train_cls_loss") ? "train_cls_loss" : l.Has("train_loss") ? "train_loss" : null),
            ("consistency MSE (student)", l => l.Has("train_cons_loss") ? "train_cons_loss" : null),
            ("combined training loss", l => l.Has("train_loss") ? "train_loss" : null),
            ("validation loss", l => l.Has("val_loss") ? "val_loss" : null),
            ("validation accuracy", l => l.Has("val_acc") ? "val_acc" : null),
        ];
        var shownInLegend = new HashSet<string>();
        var charts = panels.Select(panel =>
        {
            var traces = new List<GenericChart>();
            foreach (var (model, kind, log) in logs)
            {
                if (panel.Column(log) is not { } column) continue;
                var runs = log.Series(column);
                var epochs = log.Epochs;
                double[] Over(Func<double[], double> f) => epochs.Select((_, e) =>
                {
                    var v = runs.Where(r => e < r.Values.Length && !double.IsNaN(r.Values[e])).Select(r => r.Values[e]).ToArray();
                    return v.Length == 0 ? double.NaN : f(v);
                }).ToArray();
                var mean = Over(v => v.Average());
                var low = Over(v => v.Min());
                var high = Over(v => v.Max());
                if (runs.Count > 1)
                {
                    traces.Add(CSharpChart.Line<double, double, string>(epochs, high, ShowLegend: false, LineColor: FigureStyle.Translucent(kind, 0), Name: $"{model} highest run"));
                    traces.Add(CSharpChart.Line<double, double, string>(epochs, low, ShowLegend: false, LineColor: FigureStyle.Translucent(kind, 0), Name: $"{model} lowest run",
                        Fill: StyleParam.Fill.ToNext_y, FillColor: FigureStyle.Translucent(kind, 0.2)));
                }
                traces.Add(CSharpChart.Line<double, double, string>(epochs, mean, Name: runs.Count > 1 ? $"{model} (mean of {runs.Count}, band: lowest–highest run)" : model,
                    ShowLegend: shownInLegend.Add(model), LineColor: FigureStyle.ColourOf(kind), LineWidth: 2.5, ShowMarkers: true));
            }
            if (traces.Count == 0) traces.Add(CSharpChart.Line<double, double, string>([0.0], [double.NaN], ShowLegend: false, Name: "no data"));
            return CSharpChart.Combine(traces);
        }).ToList();
        var grid = CSharpChart.Grid(charts, 2, 3, SubPlotTitles: panels.Select(p => p.Title).ToArray());
        grid = FigureStyle.Apply(grid, $"{backbone}: training curves per epoch");
        for (int i = 1; i <= panels.Length; i++)
        {
            var axis = new LinearAxis();
            axis.SetProperty("dtick", 1);
            axis.SetProperty("tickformat", "d");
            axis.SetProperty("title", new Dictionary<string, object> { ["text"] = "epoch" });
            grid = Plotly.NET.Chart.withXAxis(axis, new FSharpOption<StyleParam.SubPlotId>(StyleParam.SubPlotId.NewXAxis(i))).Invoke(grid);
        }
        return grid;
    }

    /// <summary>
    /// Confusion matrices side by side (e.g. baseline and HKD student), each row normalised by its true class (rows sum
    /// to 1, recall on the diagonal), on one colour scale fixed to [0, 1] with one colourbar, every cell annotated in its
    /// own panel, "true class" and "predicted class" axis titles, and each row labelled with its class name and its
    /// image count n (summed over the runs). The layout is <paramref name="width"/> wide and as high as the rows need;
    /// <see cref="FigureFile.Save"/> exports the PNG at that size.
    /// </summary>
    /// <exception cref="ArgumentException">No matrices, or a matrix not k × k for the k classes.</exception>
    public static GenericChart Confusions(IReadOnlyList<(string Model, int[,] Counts)> matrices, IReadOnlyList<string> classes, string title, int width = 1200)
    {
        if (matrices.Count == 0) throw new ArgumentException("Expected at least one confusion matrix, found none.", nameof(matrices));
        int k = classes.Count;
        var names = classes.Select(FigureStyle.ClassName).ToArray();
        var panels = matrices.Select(m =>
        {
            if (m.Counts.GetLength(0) != k || m.Counts.GetLength(1) != k)
                throw new ArgumentException($"{m.Model}: expected a {k}×{k} matrix for classes {string.Join(", ", classes)}, found {m.Counts.GetLength(0)}×{m.Counts.GetLength(1)}.", nameof(matrices));
            var totals = Enumerable.Range(0, k).Select(t => Enumerable.Range(0, k).Sum(p => m.Counts[t, p])).ToArray();
            // A class absent from the split has no row to normalise: its cells stay empty instead of claiming 0 recall.
            var share = Enumerable.Range(0, k).Select(t => Enumerable.Range(0, k).Select(p => totals[t] == 0 ? double.NaN : m.Counts[t, p] / (double)totals[t]).ToArray()).ToArray();
            var rows = Enumerable.Range(0, k).Select(t => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{names[t]} (n = {totals[t]})")).ToArray();
            return new MatrixPanel(m.Model, share, rows, names);
        }).ToList();
        var chart = MatrixPanels.Build(panels, "predicted class", "true class", "share of the true class", width, cellHeight: 66, textSize: FigureStyle.FontSize);
        return FigureStyle.Apply(chart, $"{title}<br><sup>each row normalised to 1 (recall on the diagonal); n: images of the true class, summed over runs</sup>");
    }

    /// <summary>Per-class F1 for each model: mean with a 95 % CI over runs (clipped to [0, 1]) and the runs as dots, class names on the x axis.</summary>
    /// <exception cref="ArgumentException">No models.</exception>
    public static GenericChart ClassF1(IReadOnlyList<(string Model, ModelKind Kind, IReadOnlyList<string> Classes, IReadOnlyList<IReadOnlyDictionary<string, double>> PerRun)> models, string title)
    {
        if (models.Count == 0) throw new ArgumentException("Expected at least one model, found none.", nameof(models));
        var traces = new List<GenericChart>();
        foreach (var (model, kind, classes, perRun) in models)
        {
            var names = classes.Select(FigureStyle.ClassName).ToArray();
            var ci = classes.Select(c => MeanCi95(perRun.Select(r => r[$"{c}_f1"]).ToArray())).ToArray();
            var mean = CSharpChart.Point<string, double, string>(names, ci.Select(c => c.Mean).ToArray(), Name: FigureStyle.Label(model, kind), Marker: MeanMarker(kind));
            traces.Add(WithAsymmetricError(mean, ci.Select(c => c.Upper - c.Mean), ci.Select(c => c.Mean - c.Lower)));
        }
        var chart = Plotly.NET.Chart.withLayout(LayoutWith(("scattermode", "group"))).Invoke(CSharpChart.Combine(traces));
        chart = FigureStyle.Apply(chart, $"{title}<br><sup>mean with 95 % CI over runs (Student's t, clipped to [0, 1])</sup>", "class", "F1");
        return AxisRange(chart, 1, 0, 1.02);
    }

    /// <summary>
    /// Paired per-image scores, one panel per metric: each image a grey line from its baseline score to its student
    /// score, the two distributions as box plots, and the mean paired difference in the panel title.
    /// </summary>
    /// <exception cref="ArgumentException">No metrics, or a metric whose two series differ in length.</exception>
    public static GenericChart PairedScoresFigure(IReadOnlyList<PairedScores> metrics, string title)
    {
        if (metrics.Count == 0) throw new ArgumentException("Expected at least one metric, found none.", nameof(metrics));
        var panels = new List<GenericChart>();
        var titles = new List<string>();
        for (int i = 0; i < metrics.Count; i++)
        {
            var m = metrics[i];
            if (m.Baseline.Length != m.Student.Length)
                throw new ArgumentException($"{m.Metric}: expected one student score per baseline score, found {m.Baseline.Length} and {m.Student.Length}.", nameof(metrics));
            var pairs = m.Baseline.Zip(m.Student).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToArray();
            var traces = pairs.Select(p => CSharpChart.Line<string, double, string>(["baseline", "HKD student"], [p.First, p.Second], ShowLegend: false,
                LineColor: Color.fromString("rgba(120,120,120,0.35)"), LineWidth: 1.0, Name: m.Metric)).ToList();
            traces.Add(CSharpChart.BoxPlot<string, double, string>(X: Enumerable.Repeat("baseline", pairs.Length).ToArray(), Y: pairs.Select(p => p.First).ToArray(), Name: "baseline", ShowLegend: i == 0, MarkerColor: FigureStyle.ColourOf(ModelKind.Baseline)));
            traces.Add(CSharpChart.BoxPlot<string, double, string>(X: Enumerable.Repeat("HKD student", pairs.Length).ToArray(), Y: pairs.Select(p => p.Second).ToArray(), Name: "HKD student", ShowLegend: i == 0, MarkerColor: FigureStyle.ColourOf(ModelKind.Student)));
            panels.Add(CSharpChart.Combine(traces));
            double diff = pairs.Length == 0 ? double.NaN : pairs.Average(p => p.Second - p.First);
            titles.Add(FormattableString.Invariant($"{m.Metric}: student − baseline {diff:+0.000;-0.000} (n = {pairs.Length})"));
        }
        var grid = CSharpChart.Grid(panels, 1, panels.Count, SubPlotTitles: titles.ToArray());
        return FigureStyle.Apply(grid, $"{title}<br><sup>one line per annotated test image (images where either CAM is undefined left out)</sup>");
    }

    static GenericChart WithAsymmetricError(GenericChart chart, IEnumerable<double> plus, IEnumerable<double> minus) =>
        // Error.init's parameters are F# options (null is None): Visible, Type, Symmetric, Array, Arrayminus, then 10 left unset.
        Plotly.NET.Chart.withYError(Error.init<double, double>(new FSharpOption<bool>(true), null, new FSharpOption<bool>(false),
            new FSharpOption<IEnumerable<double>>(plus.ToArray()), new FSharpOption<IEnumerable<double>>(minus.ToArray()),
            null, null, null, null, null, null, null, null, null, null)).Invoke(chart);

    // A large diamond in the model's colour marks a mean (the F# marker setters take every option; set by name instead).
    static Marker MeanMarker(ModelKind kind)
    {
        var marker = new Marker();
        marker.SetProperty("size", 13);
        marker.SetProperty("symbol", "diamond");
        marker.SetProperty("color", FigureStyle.Hex(kind));
        return marker;
    }

    static Layout LayoutWith(params (string Name, object Value)[] properties)
    {
        var layout = new Layout();
        foreach (var (name, value) in properties) layout.SetProperty(name, value);
        return layout;
    }

    // Fixes the y range of the first `panels` y axes (accuracy-like scores live in [0, 1]).
    static GenericChart AxisRange(GenericChart chart, int panels, double min, double max)
    {
        for (int i = 1; i <= panels; i++)
        {
            var axis = new LinearAxis();
            axis.SetProperty("range", new[] { min, max });
            chart = Plotly.NET.Chart.withYAxis(axis, new FSharpOption<StyleParam.SubPlotId>(StyleParam.SubPlotId.NewYAxis(i))).Invoke(chart);
        }
        return chart;
    }
}
