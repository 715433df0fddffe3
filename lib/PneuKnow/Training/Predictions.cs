using System.Globalization;

namespace PneuKnow.Training;

/// <summary>One model's predictions on one split: what training writes and evaluation reads.</summary>
/// <remarks>In Training, the folder that writes the file, so that Evaluation (which reads it) depends on Training and not the reverse.</remarks>
/// <param name="Classes">Class labels in code order; probability column k belongs to class k.</param>
/// <param name="Rows">One row per image.</param>
public sealed record Predictions(IReadOnlyList<string> Classes, IReadOnlyList<PredictionRow> Rows)
{
    /// <summary>True class codes.</summary>
    public int[] Labels => Rows.Select(r => r.Label).ToArray();

    /// <summary>
    /// Predicted class codes, as the <c>predicted</c> column holds them: the model's arg-max of its unrounded output, which the
    /// file's rounded probabilities may no longer show (two can round to the same value), so nothing re-derives it from them.
    /// </summary>
    public int[] Predicted => Rows.Select(r => r.Predicted).ToArray();

    /// <summary>The fixed columns before the one probability column per class.</summary>
    public static readonly IReadOnlyList<string> FixedColumns = ["index", "file_name", "label", "predicted"];

    /// <summary>Decimals a probability keeps in the file (see <see cref="Write"/>).</summary>
    public const int ProbabilityDecimals = 4;

    const string ProbabilityFormat = "F4";

    /// <summary>
    /// Writes the CSV <c>index,file_name,label,predicted,&lt;class 0&gt;,...,&lt;class K-1&gt;</c> (labels as class names)
    /// atomically, through <see cref="Data.Csv"/>: a file name with a comma or a quote is quoted, any other is written as it is.
    /// Probabilities are rounded to <see cref="ProbabilityDecimals"/> decimals (<see cref="FormatProbability"/>): a study
    /// commits hundreds of these files under a size budget, and 4 decimals are more than any table resolves (an AUC moves
    /// only where rounding ties two scores of different classes). <c>predicted</c> is written as the row holds it, the
    /// model's own arg-max of its unrounded output, so no rounding can change a prediction, and no reader re-derives it
    /// from the rounded probabilities.
    /// </summary>
    public void Write(string path)
    {
        var csv = new Data.CsvWriter([.. FixedColumns, .. Classes]);
        foreach (var r in Rows)
            csv.Row([r.Index.ToString(CultureInfo.InvariantCulture), r.FileName, Classes[r.Label], Classes[r.Predicted],
                .. r.Probabilities.Select(FormatProbability)]);
        csv.Save(path);
    }

    /// <summary>
    /// A probability as <see cref="Write"/> stores it: rounded to <see cref="ProbabilityDecimals"/> decimals, trailing zeros
    /// dropped (<c>0.25</c>, <c>1</c>, <c>0</c>), invariant culture.
    /// </summary>
    /// <remarks>
    /// "F4" rounds the exact binary value (ties, which only k/32 can be, to even). The custom format <c>0.####</c> does not:
    /// it rounds to 15 significant digits first, so 0.00015, stored as 0.000149999…, would become 0.0002.
    /// </remarks>
    public static string FormatProbability(double p)
    {
        var s = p.ToString(ProbabilityFormat, CultureInfo.InvariantCulture);
        if (s.Contains('.')) s = s.TrimEnd('0').TrimEnd('.');
        // A negative value that rounds to zero ("-0.0000") would otherwise be written as "-0".
        return s == "-0" ? "0" : s;
    }

    /// <summary>Whether the predictions file <paramref name="path"/> exists, plain or as its gzip-compressed copy (<see cref="Data.Csv.Locate"/>).</summary>
    /// <exception cref="InvalidDataException">Both forms exist (the message names both).</exception>
    public static bool Exists(string path)
    {
        try { return Data.Csv.Exists(path); }
        catch (Data.DataException e) { throw new InvalidDataException(e.Message, e); }
    }

    /// <summary>Reads a file written by <see cref="Write"/>, plain or gzip-compressed (<see cref="Data.Csv.Locate"/>).</summary>
    /// <exception cref="FileNotFoundException">Neither form of the file exists.</exception>
    /// <exception cref="InvalidDataException">Missing columns, unknown class names, malformed numbers or quoting, an empty file, or both
    /// a plain and a compressed file; the message names file, row and column.</exception>
    public static Predictions Read(string path)
    {
        if (!Exists(path)) throw new FileNotFoundException($"{path}: predictions file not found (nor {Path.GetFileName(path)}{Data.Csv.GzipSuffix}).", path);
        string text;
        try { text = Data.Csv.ReadAllText(path); }
        catch (Data.DataException e) { throw new InvalidDataException(e.Message, e); }
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidDataException($"{path}: empty predictions file (expected a header 'index,file_name,label,predicted,<classes...>').");
        Data.CsvTable table;
        // The CSV module reports malformed quoting as a DataException; evaluation's callers catch InvalidDataException.
        try { table = Data.Csv.Parse(text, path); }
        catch (Data.DataException e) { throw new InvalidDataException(e.Message, e); }
        var header = table.Header;
        if (header.Count < 6 || !header.Take(4).SequenceEqual(FixedColumns))
            throw new InvalidDataException($"{path}, row 1: expected header 'index,file_name,label,predicted' followed by at least two class columns, found '{string.Join(",", header)}'.");
        var classes = header.Skip(4).ToArray();
        var code = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i);
        var rows = new List<PredictionRow>();
        foreach (var (line, f) in table.Rows)
        {
            string where = $"{path}, row {line}";
            if (f.Length != header.Count)
                throw new InvalidDataException($"{where}: expected {header.Count} columns, found {f.Length}.");
            if (!int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
                throw new InvalidDataException($"{where}, column index: expected an integer, found '{f[0]}'.");
            if (!code.TryGetValue(f[2], out var label))
                throw new InvalidDataException($"{where}, column label: expected one of {string.Join(", ", classes)}, found '{f[2]}'.");
            if (!code.TryGetValue(f[3], out var predicted))
                throw new InvalidDataException($"{where}, column predicted: expected one of {string.Join(", ", classes)}, found '{f[3]}'.");
            var probs = new double[classes.Length];
            for (int k = 0; k < classes.Length; k++)
                if (!double.TryParse(f[4 + k], NumberStyles.Float, CultureInfo.InvariantCulture, out probs[k]) || double.IsNaN(probs[k]))
                    throw new InvalidDataException($"{where}, column {classes[k]}: expected a probability, found '{f[4 + k]}'.");
            rows.Add(new PredictionRow(index, f[1], label, predicted, probs));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no prediction rows after the header.");
        return new Predictions(classes, rows);
    }
}

/// <summary>One image's prediction.</summary>
/// <param name="Index">Index of the image in the dataset.</param>
/// <param name="FileName">The image's file name as in the manifest.</param>
/// <param name="Label">True class code.</param>
/// <param name="Predicted">Predicted class code (the model's arg-max, see <see cref="Predictions.Predicted"/>).</param>
/// <param name="Probabilities">Softmax probability per class, in class-code order; read from a file, rounded to
/// <see cref="Predictions.ProbabilityDecimals"/> decimals (a probability below 0.00005 reads as 0).</param>
public sealed record PredictionRow(int Index, string FileName, int Label, int Predicted, double[] Probabilities);
