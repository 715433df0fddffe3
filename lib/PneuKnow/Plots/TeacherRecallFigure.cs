using System.Globalization;
using Plotly.NET;

namespace PneuKnow.Plots;

/// <summary>One teacher run's eval-mode recall per class and whether it passed the study's gate.</summary>
/// <param name="Label">Which teacher: condition, backbone, arm and run.</param>
/// <param name="Recall">Recall by class code (NaN for a class absent from the split).</param>
/// <param name="Gate">Empty when the teacher passes the gate; otherwise the reasons it fails, joined by <c>;</c>.</param>
public sealed record TeacherRecall(string Label, IReadOnlyDictionary<string, double> Recall, string Gate)
{
    /// <summary>Whether the teacher passes the gate.</summary>
    public bool Passes => Gate.Length == 0;
}

public static partial class StudyFigures
{
    /// <summary>The mark after the label of a teacher that fails the gate.</summary>
    public const string FailMark = "✗";

    /// <summary>
    /// Every teacher run's eval-mode recall per class as one annotated matrix (rows: teacher runs in table order;
    /// columns: classes; colour fixed to [0, 1]), so a teacher that collapsed onto a few classes shows as a pale row. A
    /// teacher that fails the gate has its label in red, followed by <see cref="FailMark"/> and the reasons.
    /// </summary>
    /// <param name="teachers">The teacher runs, in the order of tables/teachers.csv.</param>
    /// <param name="classes">Class codes, in column order.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="gate">The gate in words, for the subtitle.</param>
    /// <exception cref="ArgumentException">No teachers or no classes.</exception>
    public static GenericChart TeacherRecallFigure(IReadOnlyList<TeacherRecall> teachers, IReadOnlyList<string> classes, string title, string gate)
    {
        if (teachers.Count == 0) throw new ArgumentException("Expected at least one teacher run, found none.", nameof(teachers));
        if (classes.Count == 0) throw new ArgumentException("Expected at least one class, found none.", nameof(classes));
        var rows = teachers.Select(TeacherLabel).ToArray();
        var share = teachers.Select(t => classes.Select(c => t.Recall.TryGetValue(c, out var v) ? v : double.NaN).ToArray()).ToArray();
        var names = classes.Select(FigureStyle.ClassName).ToArray();
        // Wide enough for the labels and about 100 px per class.
        double labels = rows.Max(l => MatrixPanels.LabelWidth(l, FigureStyle.FontSize)) + 24 + 44;
        int width = (int)Math.Ceiling(labels + 100 * classes.Count + 140);
        var chart = MatrixPanels.Build([new MatrixPanel("recall per class (eval mode, own input)", share, rows, names)], "class", "teacher run", "recall", width, cellHeight: 30, textSize: 14);
        int failed = teachers.Count(t => !t.Passes);
        return FigureStyle.Apply(chart, string.Create(CultureInfo.InvariantCulture,
            $"{title}<br><sup>{failed} of {teachers.Count} teacher run(s) fail the gate ({gate}): red label, {FailMark}</sup>"));
    }

    /// <summary>The row label of a teacher run: its label, and for a failing teacher the label in red with the reasons.</summary>
    public static string TeacherLabel(TeacherRecall t) => t.Passes
        ? t.Label
        : $"<span style=\"color:{FigureStyle.VerdictHex("contradicted")}\">{t.Label} {FailMark} {t.Gate.Replace('_', ' ').Replace(";", ", ", StringComparison.Ordinal)}</span>";
}
