using PneuKnow.Training;

namespace PneuKnow.Evaluation;

/// <summary>
/// Per-class precision, recall and F1, their macro and support-weighted averages, accuracy and the
/// confusion matrix, with the definitions of scikit-learn's <c>classification_report</c> and
/// <c>precision_recall_fscore_support(labels=range(K), zero_division=0)</c>: a ratio whose denominator
/// is zero (a class never predicted, a class absent from the labels) is 0, and every class of
/// <see cref="Classes"/> counts in the macro average whether or not it occurs.
/// </summary>
/// <param name="Classes">Class labels in code order.</param>
/// <param name="Accuracy">Fraction of images whose predicted class is the true class.</param>
/// <param name="Precision">Per class: true positives ÷ predicted positives.</param>
/// <param name="Recall">Per class: true positives ÷ actual positives.</param>
/// <param name="F1">Per class: harmonic mean of precision and recall.</param>
/// <param name="Support">Per class: number of images whose true class it is.</param>
/// <param name="Macro">Unweighted mean over classes.</param>
/// <param name="Weighted">Mean over classes weighted by support.</param>
/// <param name="Confusion">Confusion[true, predicted] counts.</param>
public sealed record ClassificationReport(
    IReadOnlyList<string> Classes, double Accuracy,
    double[] Precision, double[] Recall, double[] F1, int[] Support,
    AveragedScores Macro, AveragedScores Weighted, int[,] Confusion)
{
    /// <summary>The report of one run's predictions (true and predicted codes as written in the CSV).</summary>
    public static ClassificationReport Of(Predictions predictions) =>
        Compute(predictions.Labels, predictions.Predicted, predictions.Classes);

    /// <summary>The report for true codes <paramref name="labels"/> and predicted codes <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentException">Different lengths, no images, or a code outside 0..K-1.</exception>
    public static ClassificationReport Compute(IReadOnlyList<int> labels, IReadOnlyList<int> predicted, IReadOnlyList<string> classes)
    {
        var confusion = ConfusionMatrix(labels, predicted, classes.Count);
        int k = classes.Count, n = labels.Count;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        var support = new int[k];
        int correct = 0;
        for (int c = 0; c < k; c++)
        {
            int tp = confusion[c, c], actual = 0, predictedPositive = 0;
            for (int j = 0; j < k; j++) { actual += confusion[c, j]; predictedPositive += confusion[j, c]; }
            correct += tp;
            support[c] = actual;
            precision[c] = Ratio(tp, predictedPositive);
            recall[c] = Ratio(tp, actual);
            var denominator = precision[c] + recall[c];
            f1[c] = denominator == 0 ? 0 : 2 * precision[c] * recall[c] / denominator;
        }
        return new ClassificationReport(classes, (double)correct / n, precision, recall, f1, support,
            AveragedScores.Macro(precision, recall, f1), AveragedScores.Weighted(precision, recall, f1, support), confusion);
    }

    /// <summary>Counts [true, predicted] over K classes (scikit-learn's <c>confusion_matrix(labels=range(K))</c>).</summary>
    /// <exception cref="ArgumentException">Different lengths, no images, or a code outside 0..K-1.</exception>
    public static int[,] ConfusionMatrix(IReadOnlyList<int> labels, IReadOnlyList<int> predicted, int classCount)
    {
        if (labels.Count != predicted.Count)
            throw new ArgumentException($"Expected as many predicted codes as labels, found {predicted.Count} predicted and {labels.Count} labels.");
        if (labels.Count == 0) throw new ArgumentException("Expected at least one image, found none.");
        var m = new int[classCount, classCount];
        for (int i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= classCount) throw new ArgumentException($"Image {i}: expected a label code in 0..{classCount - 1}, found {labels[i]}.");
            if ((uint)predicted[i] >= classCount) throw new ArgumentException($"Image {i}: expected a predicted code in 0..{classCount - 1}, found {predicted[i]}.");
            m[labels[i], predicted[i]]++;
        }
        return m;
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}

/// <summary>Precision, recall and F1 averaged over classes.</summary>
/// <param name="Precision">Averaged precision.</param>
/// <param name="Recall">Averaged recall.</param>
/// <param name="F1">Averaged per-class F1 (not the F1 of the averaged precision and recall, as in scikit-learn).</param>
public sealed record AveragedScores(double Precision, double Recall, double F1)
{
    /// <summary>Unweighted mean over all classes.</summary>
    public static AveragedScores Macro(double[] precision, double[] recall, double[] f1) =>
        new(precision.Average(), recall.Average(), f1.Average());

    /// <summary>Mean weighted by support; 0 when the total support is 0.</summary>
    public static AveragedScores Weighted(double[] precision, double[] recall, double[] f1, int[] support)
    {
        double total = support.Sum();
        double W(double[] v) => total == 0 ? 0 : v.Select((x, c) => x * support[c]).Sum() / total;
        return new(W(precision), W(recall), W(f1));
    }
}
