using System.IO.Compression;
using System.Text;
using PneuKnow.Runtime;

namespace PneuKnow.Data;

/// <summary>A CSV table: the header and the data rows with the 1-based line each starts on.</summary>
/// <param name="Path">Where it was read from (or a name for text parsed from memory).</param>
/// <param name="Header">Column names, trimmed.</param>
/// <param name="Rows">Data rows (line number of the row's first character, fields).</param>
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

/// <summary>
/// The project's one CSV reader and writer (RFC 4180): every CSV the project writes goes through
/// <see cref="Quote"/> (via <see cref="CsvWriter"/> or <see cref="Line"/>), and every CSV it reads through
/// <see cref="Read"/> or <see cref="Parse"/>. A file read by name may be stored gzip-compressed
/// (<c>X.csv.gz</c> for <c>X.csv</c>, see <see cref="Locate"/>); files are always written plain.
/// </summary>
/// <remarks>
/// Writing: fields are separated by commas, records end with <c>\n</c> (the project's files have always used LF),
/// and a field is quoted (inner quotes doubled) only when it must be: when it holds a comma, a quote, a line break, or
/// begins or ends with white space (which the reader trims from unquoted fields). So every field the project wrote
/// before this module existed — names without such characters, numbers in invariant culture — is written byte for
/// byte as before. Numbers are formatted by the caller (each file keeps its own precision); pass them with
/// <see cref="System.Globalization.CultureInfo.InvariantCulture"/>.
/// <para>Reading: quoted fields may hold commas, doubled quotes and line breaks; CRLF, LF and CR end records; a UTF-8
/// byte-order mark is dropped; unquoted fields are trimmed (hand-edited manifests have spaces after commas), quoted ones
/// are kept verbatim; white space around a quoted field is ignored; blank lines are skipped. A quote inside an unquoted
/// field, text after a closing quote, or an unterminated quote is an error naming the line and the field.</para>
/// </remarks>
public static class Csv
{
    /// <summary>The suffix of a gzip-compressed copy: <c>X.csv</c> may be stored as <c>X.csv.gz</c> (see <see cref="Locate"/>).</summary>
    public const string GzipSuffix = ".gz";

    /// <summary>
    /// The file that holds the CSV a reader asks for as <paramref name="path"/>: the plain file, or its gzip-compressed copy
    /// <c><paramref name="path"/>.gz</c>, or <paramref name="path"/> itself when a run file is packed in its unit's
    /// <see cref="RunPack"/> (read it through <see cref="Read"/> or <see cref="ReadAllText"/>); null when none exists. Finished runs are committed with their CSVs compressed
    /// (a study's reference folder has a size budget; <c>tools/study/finished-runs.sh --gzip</c>), while the engine writes
    /// them plain, so every reader of a run file finds it through here and either form gives the same table.
    /// </summary>
    /// <exception cref="DataException">Two forms exist (plain and gzip, or a folder's file and a packed one): which one is current cannot be told, so neither is read (the message names both).</exception>
    public static string? Locate(string path)
    {
        var compressed = path + GzipSuffix;
        bool plain = File.Exists(path), gz = File.Exists(compressed);
        if (plain && gz)
            throw new DataException(path, null, null,
                $"expected the file either plain or gzip-compressed, found both {path} and {compressed}; delete the stale one.");
        // A finished run's CSV may instead be packed with its unit's other runs (RunPack); the path names it then.
        if (RunPack.Contains(path))
        {
            if (plain || gz) throw RunFile.Both(plain ? path : compressed);
            return path;
        }
        return plain ? path : gz ? compressed : null;
    }

    /// <summary>Whether the CSV <paramref name="path"/> exists, plain or gzip-compressed (<see cref="Locate"/>).</summary>
    /// <exception cref="DataException">Both forms exist.</exception>
    public static bool Exists(string path) => Locate(path) is not null;

    /// <summary>The text of the CSV <paramref name="path"/>, from the plain file or its gzip-compressed copy (<see cref="Locate"/>).</summary>
    /// <exception cref="DataException">Neither form exists, both do, or the compressed copy does not decompress.</exception>
    public static string ReadAllText(string path) => ReadLocated(path).Text;

    /// <summary>Reads a CSV file, plain or gzip-compressed (<see cref="Locate"/>): the first non-blank record is the header.</summary>
    /// <exception cref="DataException">No such file (in either form), both forms, no header, or malformed quoting; names the file read, line and column.</exception>
    public static CsvTable Read(string path)
    {
        var (text, found) = ReadLocated(path);
        return Parse(text, found);
    }

    // The text and the file it came from (the compressed copy's name in errors about its content).
    static (string Text, string Found) ReadLocated(string path)
    {
        if (Directory.Exists(path))
        {
            var inside = Path.Combine(path, "manifest.csv");
            throw new DataException(path, null, null, "expected a CSV file, found a directory" +
                (File.Exists(inside) || File.Exists(inside + GzipSuffix) ? $"; did you mean {inside}?" : "."));
        }
        var found = Locate(path)
            ?? throw new DataException(path, null, null, $"expected a CSV file, found none (file does not exist, nor {Path.GetFileName(path)}{GzipSuffix}).");
        if (!File.Exists(found)) return (RunFile.ReadAllText(found), found);
        if (!found.EndsWith(GzipSuffix, StringComparison.Ordinal)) return (File.ReadAllText(found), found);
        try
        {
            using var gzip = new GZipStream(File.OpenRead(found), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            return (reader.ReadToEnd(), found);
        }
        catch (InvalidDataException e)
        {
            throw new DataException(found, null, null, $"expected gzip-compressed CSV, found a file that does not decompress ({e.Message}).", e);
        }
    }

    /// <summary>Parses CSV text (see <see cref="Read"/>); <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="DataException">No header or malformed quoting.</exception>
    public static CsvTable Parse(string text, string source)
    {
        var records = Records(text, source).ToList();
        if (records.Count == 0) throw new DataException(source, 1, null, "expected a header line, found an empty file.");
        var header = records[0].Fields;
        var rows = records.Skip(1).ToList();
        return new CsvTable(source, header, rows);
    }

    /// <summary>
    /// The records of <paramref name="text"/>, each with the 1-based line it starts on; blank lines are skipped.
    /// Errors name the field by its header column once the header is known, else by its 1-based position.
    /// </summary>
    /// <exception cref="DataException">Malformed quoting.</exception>
    public static IEnumerable<(int Line, string[] Fields)> Records(string text, string source)
    {
        int i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        int line = 1;
        string[]? header = null;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (i < text.Length)
        {
            int recordLine = line;
            fields.Clear();
            bool blank = true;
            while (true)
            {
                // One field: optional white space, then either a quoted field or unquoted text up to a comma or line break.
                field.Clear();
                int start = i;
                while (i < text.Length && (text[i] == ' ' || text[i] == '\t')) i++;
                string Where() => header is not null && fields.Count < header.Length ? header[fields.Count] : $"field {fields.Count + 1}";
                if (i < text.Length && text[i] == '"')
                {
                    blank = false;
                    int openLine = line;
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                            throw new DataException(source, openLine, Where(), "expected a closing quote, found the end of the file (the quoted field opens on this line).");
                        char c = text[i];
                        if (c == '"')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                            i++;
                            break;
                        }
                        if (c == '\r' || c == '\n')
                        {
                            // A line break inside quotes is part of the field (RFC 4180); CRLF counts as one line.
                            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { field.Append("\r\n"); i += 2; }
                            else { field.Append(c); i++; }
                            line++;
                            continue;
                        }
                        field.Append(c);
                        i++;
                    }
                    while (i < text.Length && (text[i] == ' ' || text[i] == '\t')) i++;
                    if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                        throw new DataException(source, line, Where(), $"expected a comma or the end of the line after the closing quote, found '{text[i]}'.");
                    fields.Add(field.ToString());
                }
                else
                {
                    while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    {
                        if (text[i] == '"')
                            throw new DataException(source, line, Where(), $"expected a quote only at the start of a field, found one inside '{text[start..(i + 1)].Trim()}…' (a field holding a quote must be quoted, with the quote doubled).");
                        i++;
                    }
                    var value = text[start..i].Trim();
                    if (value.Length > 0) blank = false;
                    fields.Add(value);
                }
                if (i < text.Length && text[i] == ',') { i++; blank = false; continue; }
                break;
            }
            // The record ends at a line break (CRLF, LF or CR) or at the end of the text.
            if (i < text.Length && text[i] == '\r') i++;
            if (i < text.Length && text[i] == '\n') i++;
            line++;
            if (blank) continue;
            var record = fields.ToArray();
            header ??= record.Select(h => h.Trim()).ToArray();
            yield return (recordLine, record);
        }
    }

    /// <summary>
    /// Quotes a field when it must be (RFC 4180): when it holds a comma, a quote or a line break, or starts or ends with
    /// white space; inner quotes are doubled. Any other field is returned unchanged.
    /// </summary>
    public static string Quote(string field)
    {
        bool needs = field.AsSpan().IndexOfAny(",\"\r\n") >= 0
            || (field.Length > 0 && (char.IsWhiteSpace(field[0]) || char.IsWhiteSpace(field[^1])));
        return needs ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
    }

    /// <summary>One record: the fields quoted by <see cref="Quote"/>, joined by commas, ended by <c>\n</c>.</summary>
    public static string Line(IEnumerable<string> fields) => string.Join(',', fields.Select(Quote)) + "\n";

    /// <summary>Writes a header and rows atomically (UTF-8 without a byte-order mark, LF line ends).</summary>
    /// <exception cref="ArgumentException">A row without one field per header column.</exception>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var w = new CsvWriter(header);
        foreach (var r in rows) w.Row(r);
        w.Save(path);
    }
}

/// <summary>Builds a CSV text row by row (fields quoted by <see cref="Csv.Quote"/>) and saves it atomically.</summary>
/// <example><code>
/// var w = new CsvWriter(["index", "file_name"]);
/// w.Row("0", "img,1.png");          // 0,"img,1.png"
/// w.Save("predictions.csv");
/// </code></example>
public sealed class CsvWriter
{
    readonly StringBuilder _text = new();

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Starts a CSV with <paramref name="header"/> as its first record.</summary>
    public CsvWriter(IReadOnlyList<string> header)
    {
        Header = header;
        _text.Append(Csv.Line(header));
    }

    /// <summary>Appends a record.</summary>
    /// <exception cref="ArgumentException">Not one field per header column.</exception>
    public CsvWriter Row(IReadOnlyList<string> fields)
    {
        if (fields.Count != Header.Count)
            throw new ArgumentException($"CSV row: expected {Header.Count} fields ({string.Join(",", Header)}), found {fields.Count}.", nameof(fields));
        _text.Append(Csv.Line(fields));
        return this;
    }

    /// <summary>Appends a record.</summary>
    /// <exception cref="ArgumentException">Not one field per header column.</exception>
    public CsvWriter Row(params string[] fields) => Row((IReadOnlyList<string>)fields);

    /// <summary>The text so far.</summary>
    public override string ToString() => _text.ToString();

    /// <summary>
    /// Writes the text to <paramref name="path"/> atomically (UTF-8 without a byte-order mark), then deletes a
    /// gzip-compressed copy <c><paramref name="path"/>.gz</c> if there is one: the engine always writes plain files, and a
    /// file it writes again (a run scored anew) supersedes the committed compressed one, which readers would otherwise
    /// refuse to choose from (<see cref="Csv.Locate"/>).
    /// </summary>
    public void Save(string path)
    {
        AtomicFile.WriteAllText(path, _text.ToString());
        File.Delete(path + Csv.GzipSuffix);
    }
}
