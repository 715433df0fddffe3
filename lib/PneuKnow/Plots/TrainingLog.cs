using System.Globalization;

namespace PneuKnow.Plots;

/// <summary>
/// A per-epoch training log in the authors' layout: one row per epoch, columns
/// <c>fold{k}_train_acc</c>, <c>fold{k}_train_loss</c>, <c>fold{k}_train_cons_loss</c>,
/// <c>fold{k}_train_cls_loss</c>, <c>fold{k}_val_acc</c>, <c>fold{k}_val_loss</c> for each repeated run k
/// (an optional <c>epochs</c> column, the authors' and the trainer's spelling, or <c>epoch</c> gives the epoch
/// numbers; otherwise rows count from 1). Other columns (<c>lr</c>, <c>consistency_weight</c>) are kept as they are.
/// </summary>
/// <param name="Source">The file read (or a name).</param>
/// <param name="Epochs">Epoch number per row.</param>
/// <param name="Columns">Values per column; empty cells are NaN (a run that stopped earlier).</param>
public sealed record TrainingLog(string Source, double[] Epochs, IReadOnlyDictionary<string, double[]> Columns)
{
    /// <summary>Each run's series of <paramref name="quantity"/> (e.g. <c>val_loss</c>), named <c>fold{k}</c>, in fold order.</summary>
    /// <exception cref="KeyNotFoundException">No <c>fold{k}_{quantity}</c> column; the message lists the quantities present.</exception>
    public IReadOnlyList<(string Run, double[] Values)> Series(string quantity)
    {
        var hits = Columns.Keys
            .Select(c => (Column: c, Fold: FoldOf(c, quantity)))
            .Where(t => t.Fold >= 0).OrderBy(t => t.Fold)
            .Select(t => ($"fold{t.Fold}", Columns[t.Column])).ToList();
        if (hits.Count == 0)
        {
            var quantities = Columns.Keys.Select(c => c.IndexOf('_') is var i and > 0 && c.StartsWith("fold", StringComparison.Ordinal) ? c[(i + 1)..] : c).Distinct();
            throw new KeyNotFoundException($"{Source}: expected columns fold<k>_{quantity}, found quantities {string.Join(", ", quantities)}.");
        }
        return hits;
    }

    /// <summary>Whether the log has at least one <c>fold{k}_{quantity}</c> column (baselines log no consistency loss).</summary>
    public bool Has(string quantity) => Columns.Keys.Any(c => FoldOf(c, quantity) >= 0);

    private static int FoldOf(string column, string quantity)
    {
        if (!column.StartsWith("fold", StringComparison.Ordinal) || !column.EndsWith("_" + quantity, StringComparison.Ordinal)) return -1;
        var k = column[4..^(quantity.Length + 1)];
        return int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var fold) ? fold : -1;
    }

    /// <summary>Reads a comma-separated log with a header row (through <see cref="Data.Csv"/>).</summary>
    /// <exception cref="InvalidDataException">No rows, a ragged row, malformed quoting or a malformed number; names file, row and column.</exception>
    public static TrainingLog Read(string path)
    {
        if (!Data.Csv.Exists(path)) throw new FileNotFoundException($"{path}: training log not found.", path);
        Data.CsvTable table;
        try { table = Data.Csv.Read(path); }
        catch (Data.DataException error) { throw new InvalidDataException(error.Message, error); }
        var rows = table.Rows;
        if (rows.Count == 0) throw new InvalidDataException($"{path}: expected at least one epoch row after the header, found none.");
        var header = table.Header.ToArray();
        var values = header.Select(_ => new double[rows.Count]).ToArray();
        for (int n = 0; n < rows.Count; n++)
        {
            var (line, f) = rows[n];
            if (f.Length != header.Length) throw new InvalidDataException($"{path}, row {line}: expected {header.Length} columns, found {f.Length}.");
            for (int c = 0; c < f.Length; c++)
            {
                if (f[c].Length == 0) { values[c][n] = double.NaN; continue; }
                if (!double.TryParse(f[c], NumberStyles.Float, CultureInfo.InvariantCulture, out values[c][n]))
                    throw new InvalidDataException($"{path}, row {line}, column {header[c]}: expected a number, found '{f[c]}'.");
            }
        }
        int epochColumn = Array.IndexOf(header, "epochs") is var e and >= 0 ? e : Array.IndexOf(header, "epoch");
        var columns = header.Select((h, c) => (h, c)).Where(t => t.c != epochColumn && t.h.Length > 0).ToDictionary(t => t.h, t => values[t.c]);
        var epochs = epochColumn >= 0 ? values[epochColumn] : Enumerable.Range(1, rows.Count).Select(e => (double)e).ToArray();
        return new TrainingLog(path, epochs, columns);
    }
}
