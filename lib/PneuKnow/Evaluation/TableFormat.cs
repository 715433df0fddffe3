using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;

namespace PneuKnow.Evaluation;

/// <summary>Writes the tables: CSV through Microsoft.Data.Analysis, and Markdown with "mean ± std" cells.</summary>
public static class TableFormat
{
    /// <summary>Writes <paramref name="table"/> as comma-separated values (invariant culture) atomically.</summary>
    public static void WriteCsv(DataFrame table, string path)
    {
        WriteAtomically(path, stream => DataFrame.SaveCsv(table, stream, ',', header: true, encoding: new UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture));
    }

    /// <summary>Writes <see cref="ToMarkdown"/> of <paramref name="table"/> atomically.</summary>
    public static void WriteMarkdown(DataFrame table, string path, int digits = 4) =>
        WriteAtomically(path, stream =>
        {
            var bytes = new UTF8Encoding(false).GetBytes(ToMarkdown(table, digits));
            stream.Write(bytes);
        });

    /// <summary>
    /// A GitHub Markdown table. A column <c>"x mean"</c> followed somewhere by <c>"x std"</c> becomes one column
    /// <c>"x"</c> with cells <c>"0.7853 ± 0.0037"</c>; NaN prints as an em dash; other numbers with
    /// <paramref name="digits"/> decimals.
    /// </summary>
    public static string ToMarkdown(DataFrame table, int digits = 4)
    {
        var names = table.Columns.Select(c => c.Name).ToList();
        var layout = new List<(string Title, int Column, int Std)>();
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            if (name.EndsWith(" std", StringComparison.Ordinal) && names.Contains(name[..^4] + " mean")) continue;
            if (name.EndsWith(" mean", StringComparison.Ordinal) && names.IndexOf(name[..^5] + " std") is var s and >= 0)
                layout.Add((name[..^5], i, s));
            else
                layout.Add((name, i, -1));
        }
        string Number(object? v) => v switch
        {
            null => "",
            double d when double.IsNaN(d) => "—",
            double d => d.ToString("F" + digits, CultureInfo.InvariantCulture),
            float f => ((double)f).ToString("F" + digits, CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        string Escape(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", layout.Select(l => Escape(l.Title))).Append(" |\n");
        sb.Append('|').AppendJoin("|", layout.Select(l => table.Columns[l.Column] is StringDataFrameColumn ? " --- " : " ---: ")).Append("|\n");
        for (long r = 0; r < table.Rows.Count; r++)
        {
            var cells = layout.Select(l =>
            {
                var v = table.Columns[l.Column][r];
                if (l.Std < 0) return Escape(Number(v));
                var mean = Convert.ToDouble(v, CultureInfo.InvariantCulture);
                return double.IsNaN(mean) ? "—" : $"{Number(v)} ± {Number(table.Columns[l.Std][r])}";
            });
            sb.Append("| ").AppendJoin(" | ", cells).Append(" |\n");
        }
        return sb.ToString();
    }

    private static void WriteAtomically(string path, Action<Stream> write) => Runtime.AtomicFile.WriteStream(path, write);
}
