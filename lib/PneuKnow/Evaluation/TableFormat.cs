using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;

namespace PneuKnow.Evaluation;

/// <summary>Writes the tables: CSV through <see cref="Data.Csv"/>, and Markdown with "mean ± std" cells.</summary>
public static class TableFormat
{
    /// <summary>
    /// Writes <paramref name="table"/> as comma-separated values (invariant culture) atomically, through
    /// <see cref="Data.Csv"/>. Cells are formatted as Microsoft.Data.Analysis' <c>DataFrame.SaveCsv</c> formatted them
    /// when it wrote these tables (doubles with 17 significant digits, floats with 9, NaN as <c>NaN</c>, booleans as
    /// <c>True</c>/<c>False</c>, a missing value as an empty field), so tables without special characters are
    /// byte-identical to the ones it wrote; text with a quote or line break is now quoted by RFC 4180, which SaveCsv
    /// did not do for every such cell.
    /// </summary>
    public static void WriteCsv(DataFrame table, string path) => Data.Csv.Write(path, table.Columns.Select(c => c.Name).ToList(), CsvRows(table));

    /// <summary>The rows of <paramref name="table"/> as CSV fields (see <see cref="WriteCsv"/>).</summary>
    public static IEnumerable<IReadOnlyList<string>> CsvRows(DataFrame table)
    {
        for (long r = 0; r < table.Rows.Count; r++)
            yield return table.Columns.Select(c => CsvCell(c[r])).ToArray();
    }

    static string CsvCell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G17", CultureInfo.InvariantCulture),
        float f => f.ToString("G9", CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        string s => s,
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

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
        var (titles, numeric, rows) = Cells(table, digits);
        string Escape(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", titles.Select(Escape)).Append(" |\n");
        sb.Append('|').AppendJoin("|", numeric.Select(n => n ? " ---: " : " --- ")).Append("|\n");
        foreach (var row in rows) sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>
    /// The same table as <see cref="ToMarkdown"/> as an HTML <c>&lt;table&gt;</c> (numbers right-aligned): what a
    /// notebook displays, since notebook viewers render HTML outputs but show printed Markdown as source text.
    /// </summary>
    public static string ToHtml(DataFrame table, int digits = 4)
    {
        var (titles, numeric, rows) = Cells(table, digits);
        string Escape(string s) => System.Net.WebUtility.HtmlEncode(s);
        var sb = new StringBuilder("<table>\n<thead><tr>");
        for (int c = 0; c < titles.Count; c++) sb.Append(numeric[c] ? "<th style=\"text-align:right\">" : "<th style=\"text-align:left\">").Append(Escape(titles[c])).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            for (int c = 0; c < row.Count; c++) sb.Append(numeric[c] ? "<td style=\"text-align:right\">" : "<td style=\"text-align:left\">").Append(Escape(row[c])).Append("</td>");
            sb.Append("</tr>\n");
        }
        return sb.Append("</tbody>\n</table>\n").ToString();
    }

    /// <summary>
    /// The columns as <see cref="ToMarkdown"/> shows them, with the raw values behind each shown cell: a column pair
    /// <c>"x mean"</c>/<c>"x std"</c> is one column <c>"x"</c> over the two source columns, every other column one over
    /// itself. A printer that shows text to people and numbers to scripts takes both from here, so the merge rule has one owner.
    /// </summary>
    /// <returns>One entry per shown column: its title, the names of its source columns, and per row the shown text and
    /// the source values (double, float, integer, bool, string or null).</returns>
    public static IReadOnlyList<(string Title, IReadOnlyList<string> Sources, IReadOnlyList<(string Text, IReadOnlyList<object?> Values)> Cells)> Display(DataFrame table, int digits = 4)
    {
        var (titles, _, rows) = Cells(table, digits);
        var layout = Layout(table);
        return layout.Select((l, c) =>
        {
            var sources = l.Std < 0 ? new[] { l.Column } : [l.Column, l.Std];
            var cells = rows.Select((row, r) => (row[c], (IReadOnlyList<object?>)sources.Select(i => table.Columns[i][r]).ToArray())).ToArray();
            return (titles[c], (IReadOnlyList<string>)sources.Select(i => table.Columns[i].Name).ToArray(), (IReadOnlyList<(string, IReadOnlyList<object?>)>)cells);
        }).ToArray();
    }

    // Which columns are shown, and for a merged "x mean"/"x std" pair the index of its std column (else -1).
    static List<(string Title, int Column, int Std)> Layout(DataFrame table)
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
        return layout;
    }

    /// <summary>Column titles, whether each column is numeric, and the formatted cells (mean ± std merged, NaN as an em dash).</summary>
    private static (List<string> Titles, List<bool> Numeric, List<List<string>> Rows) Cells(DataFrame table, int digits)
    {
        var layout = Layout(table);
        string Number(object? v) => v switch
        {
            null => "",
            double d when double.IsNaN(d) => "—",
            double d => d.ToString("F" + digits, CultureInfo.InvariantCulture),
            float f => ((double)f).ToString("F" + digits, CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        var rows = new List<List<string>>();
        for (long r = 0; r < table.Rows.Count; r++)
        {
            rows.Add(layout.Select(l =>
            {
                var v = table.Columns[l.Column][r];
                if (l.Std < 0) return Number(v);
                var mean = Convert.ToDouble(v, CultureInfo.InvariantCulture);
                return double.IsNaN(mean) ? "—" : $"{Number(v)} ± {Number(table.Columns[l.Std][r])}";
            }).ToList());
        }
        return (layout.Select(l => l.Title).ToList(), layout.Select(l => table.Columns[l.Column] is not StringDataFrameColumn).ToList(), rows);
    }

    private static void WriteAtomically(string path, Action<Stream> write) => Runtime.AtomicFile.WriteStream(path, write);
}
