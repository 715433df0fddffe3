using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>
/// One-vs-rest ROC curves and AUCs of a run: per class (class c against all others, scored by its
/// probability), micro-averaged (every image×class pair of the binarised labels pooled, scikit-learn's
/// <c>roc_auc_score(label_binarize(y), p, average='micro')</c>) and macro (mean of the per-class AUCs,
/// scikit-learn's <c>roc_auc_score(y, p, multi_class='ovr', average='macro')</c>).
/// </summary>
/// <param name="Classes">Class labels in code order.</param>
/// <param name="PerClass">Curve per class; null where the class has no positive or no negative image (undefined).</param>
/// <param name="Micro">The pooled curve.</param>
/// <param name="MacroAuc">
/// Mean AUC over the classes whose curve is defined. scikit-learn refuses to compute it when a class
/// is absent from the labels; PneuKnow averages the defined ones and lists the others in <see cref="UndefinedClasses"/>.
/// </param>
public sealed record RocAnalysis(IReadOnlyList<string> Classes, IReadOnlyList<RocCurve?> PerClass, RocCurve Micro, double MacroAuc)
{
    /// <summary>Per-class AUC; NaN where undefined.</summary>
    public double[] ClassAuc => PerClass.Select(c => c?.Auc ?? double.NaN).ToArray();

    /// <summary>Micro-averaged AUC.</summary>
    public double MicroAuc => Micro.Auc;

    /// <summary>Classes without positive or without negative images, whose AUC is undefined.</summary>
    public IReadOnlyList<string> UndefinedClasses => Classes.Where((_, c) => PerClass[c] is null).ToArray();

    /// <summary>ROC analysis of one run's probabilities; <see cref="MacroAuc"/> is NaN when every class is undefined (all images of one class).</summary>
    public static RocAnalysis Of(Predictions predictions)
    {
        int k = predictions.Classes.Count;
        var rows = predictions.Rows;
        var perClass = new RocCurve?[k];
        for (int c = 0; c < k; c++)
        {
            var positive = rows.Select(r => r.Label == c).ToArray();
            int count = positive.Count(p => p);
            perClass[c] = count == 0 || count == positive.Length
                ? null
                : RocCurve.Compute(positive, rows.Select(r => r.Probabilities[c]).ToArray());
        }
        var defined = perClass.Where(p => p is not null).Select(p => p!.Auc).ToArray();
        var pooledTruth = rows.SelectMany(r => Enumerable.Range(0, k).Select(c => r.Label == c)).ToArray();
        var pooledScore = rows.SelectMany(r => r.Probabilities).ToArray();
        return new RocAnalysis(predictions.Classes, perClass, RocCurve.Compute(pooledTruth, pooledScore), defined.Length == 0 ? double.NaN : defined.Average());
    }
}
