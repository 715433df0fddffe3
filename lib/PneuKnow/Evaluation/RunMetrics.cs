using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>
/// Every scalar metric of one run under a stable name, so that repeated runs can be averaged and
/// tabulated generically: <c>accuracy</c>; <c>macro_precision|recall|f1</c>; <c>weighted_precision|recall|f1</c>;
/// per class <c>&lt;class&gt;_precision|recall|f1|auc</c>; <c>auc_micro</c>, <c>auc_macro</c>.
/// </summary>
/// <param name="Classes">Class labels in code order.</param>
/// <param name="Report">Precision/recall/F1, accuracy and confusion matrix.</param>
/// <param name="Roc">One-vs-rest ROC curves and AUCs.</param>
/// <param name="Values">The named scalars, in a fixed order.</param>
public sealed record RunMetrics(IReadOnlyList<string> Classes, ClassificationReport Report, RocAnalysis Roc, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>Names of the scalar metrics for a class list, in the order of <see cref="Values"/>.</summary>
    public static IReadOnlyList<string> MetricNames(IReadOnlyList<string> classes)
    {
        var names = new List<string> { "accuracy", "macro_precision", "macro_recall", "macro_f1", "weighted_precision", "weighted_recall", "weighted_f1" };
        foreach (var c in classes) names.AddRange([$"{c}_precision", $"{c}_recall", $"{c}_f1", $"{c}_auc"]);
        names.AddRange(["auc_micro", "auc_macro"]);
        return names;
    }

    /// <summary>All metrics of one run's predictions.</summary>
    public static RunMetrics Of(Predictions predictions)
    {
        var report = ClassificationReport.Of(predictions);
        var roc = RocAnalysis.Of(predictions);
        var v = new Dictionary<string, double>
        {
            ["accuracy"] = report.Accuracy,
            ["macro_precision"] = report.Macro.Precision, ["macro_recall"] = report.Macro.Recall, ["macro_f1"] = report.Macro.F1,
            ["weighted_precision"] = report.Weighted.Precision, ["weighted_recall"] = report.Weighted.Recall, ["weighted_f1"] = report.Weighted.F1,
        };
        var auc = roc.ClassAuc;
        for (int c = 0; c < predictions.Classes.Count; c++)
        {
            var name = predictions.Classes[c];
            v[$"{name}_precision"] = report.Precision[c];
            v[$"{name}_recall"] = report.Recall[c];
            v[$"{name}_f1"] = report.F1[c];
            v[$"{name}_auc"] = auc[c];
        }
        v["auc_micro"] = roc.MicroAuc;
        v["auc_macro"] = roc.MacroAuc;
        return new RunMetrics(predictions.Classes, report, roc, v);
    }
}
