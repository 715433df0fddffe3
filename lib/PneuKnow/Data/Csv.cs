using System.Text;

namespace PneuKnow.Data;

/// <summary>A CSV table: the header and the data rows with their 1-based line numbers.</summary>
/// <param name="Path">Where it was read from.</param>
/// <param name="Header">Column names, trimmed.</param>
/// <param name="Rows">Data rows (line number, fields).</param>
public sealed record CsvTable(string Path, IReadOnlyList<string> Header, IReadOnlyList<(int Line, string[] Fields)> Rows)
{
    /// <summary>Index of <paramref name="column"/> (case-insensitive), or -1.</summary>
    public int IndexOf(string column)
    {
        for (int i = 0; i < Header.Count; i++) if (string.Equals(Header[i], column, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>Index of a required column; throws naming the file, the missing column and the columns found.</summary>
    public int Require(string column)
    {
        int i = IndexOf(column);
        if (i < 0) throw new DataException(Path, 1, column, $"missing required column '{column}'; found columns: {string.Join(", ", Header)}.");
        return i;
    }
}

/// <summary>Minimal RFC 4180 reading (quoted fields, doubled quotes; no newlines inside fields) and quoting.</summary>
public static class Csv
{
    /// <summary>Reads a CSV file; blank lines are ignored, a malformed quote throws naming the line.</summary>
    public static CsvTable Read(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, null, null, "expected a CSV file, found none (file does not exist).");
        var lines = File.ReadAllLines(path);
        int first = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (first < 0) throw new DataException(path, 1, null, "expected a header line, found an empty file.");
        var header = Split(lines[first], path, first + 1).Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        var rows = new List<(int, string[])>();
        for (int i = first + 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            rows.Add((i + 1, Split(lines[i], path, i + 1)));
        }
        return new CsvTable(path, header, rows);
    }

    /// <summary>Splits one CSV line into fields.</summary>
    public static string[] Split(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"' && sb.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        if (quoted) throw new DataException(path, lineNumber, null, "expected a closing quote, found the end of the line.");
        fields.Add(sb.ToString());
        return fields.Select(f => f.Trim()).ToArray();
    }

    /// <summary>Quotes a field when it holds a comma, quote or newline.</summary>
    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
