using System.Globalization;
using System.Text;

namespace PneuKnow.Evaluation;

/// <summary>One model's predictions on one split: what training writes and evaluation reads.</summary>
/// <param name="Classes">Class labels in code order; probability column k belongs to class k.</param>
/// <param name="Rows">One row per image.</param>
public sealed record Predictions(IReadOnlyList<string> Classes, IReadOnlyList<PredictionRow> Rows)
{
    /// <summary>True class codes.</summary>
    public int[] Labels => Rows.Select(r => r.Label).ToArray();

    /// <summary>Predicted class codes (arg-max of the probabilities).</summary>
    public int[] Predicted => Rows.Select(r => r.Predicted).ToArray();

    /// <summary>
    /// Writes the CSV <c>index,file_name,label,predicted,&lt;class 0&gt;,...,&lt;class K-1&gt;</c>
    /// (labels as class names, probabilities with 9 significant digits) atomically.
    /// </summary>
    public void Write(string path)
    {
        var sb = new StringBuilder();
        sb.Append("index,file_name,label,predicted");
        foreach (var c in Classes) sb.Append(',').Append(c);
        sb.Append('\n');
        foreach (var r in Rows)
        {
            sb.Append(r.Index.ToString(CultureInfo.InvariantCulture)).Append(',').Append(r.FileName)
              .Append(',').Append(Classes[r.Label]).Append(',').Append(Classes[r.Predicted]);
            foreach (var p in r.Probabilities) sb.Append(',').Append(p.ToString("G9", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        Runtime.AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads a file written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">Missing columns, unknown class names, malformed numbers or an empty file; the message names file, row and column.</exception>
    public static Predictions Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: predictions file not found.", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path}: empty predictions file (expected a header 'index,file_name,label,predicted,<classes...>').");
        var header = lines[0].Split(',');
        string[] fixedColumns = ["index", "file_name", "label", "predicted"];
        if (header.Length < 6 || !header.Take(4).SequenceEqual(fixedColumns))
            throw new InvalidDataException($"{path}, row 1: expected header 'index,file_name,label,predicted' followed by at least two class columns, found '{lines[0]}'.");
        var classes = header.Skip(4).ToArray();
        var code = classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => t.i);
        var rows = new List<PredictionRow>();
        for (int n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            var f = lines[n].Split(',');
            string where = $"{path}, row {n + 1}";
            if (f.Length != header.Length)
                throw new InvalidDataException($"{where}: expected {header.Length} columns, found {f.Length}.");
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
/// <param name="Predicted">Predicted class code.</param>
/// <param name="Probabilities">Softmax probability per class, in class-code order.</param>
public sealed record PredictionRow(int Index, string FileName, int Label, int Predicted, double[] Probabilities);
