using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands;

/// <summary>How a command prints its table (docs/design.md, "Command line").</summary>
public enum OutputFormat
{
    /// <summary>A boxed table for a terminal; never wrapped when stdout is redirected.</summary>
    Table,
    /// <summary>Comma-separated values with RFC 4180 quoting and a header row.</summary>
    Csv,
    /// <summary>A JSON array with one object per row, keyed by the column titles.</summary>
    Json,
    /// <summary>A GitHub Markdown table.</summary>
    Md,
}

/// <summary>
/// The <c>--format</c> option of the commands that print a table. Spectre reads options from attributes on each settings
/// class, so every such class declares the property; its text, default and option name are the constants here (one owner).
/// </summary>
public interface IFormattedOutput
{
    /// <summary>The option's template.</summary>
    const string Option = "--format <FORMAT>";

    /// <summary>The option's help text.</summary>
    const string Help = "How the table prints: table, csv, json or md (script formats send the notes under the table to stderr).";

    /// <summary>The format when the option is not given: a boxed table for a person.</summary>
    const OutputFormat Default = OutputFormat.Table;

    /// <summary>How the table is printed.</summary>
    OutputFormat Format { get; }
}

/// <summary>
/// A column of a <see cref="TextTable"/>: the title a person reads, and the field names a script reads in the csv and
/// json formats (one or more: a shape or a mean ± std is one column on screen and several fields in a file).
/// </summary>
/// <param name="Title">The title in the table and md formats.</param>
/// <param name="Keys">The field names in the csv and json formats (snake_case, no spaces), one per value of the column's cells.</param>
public sealed record TableColumn(string Title, IReadOnlyList<string> Keys)
{
    /// <summary>A column with one value per cell, named <paramref name="key"/> in the csv and json formats.</summary>
    public TableColumn(string title, string key) : this(title, [key]) { }
}

/// <summary>
/// One cell: the text a person reads (thousands separators, rounding, <c>×</c>, <c>±</c>) and the raw values a script
/// reads (numbers, booleans, text or null; as many as the column has keys).
/// </summary>
/// <param name="Text">What the table and md formats print.</param>
/// <param name="Values">What the csv and json formats print: <see cref="string"/>, <see cref="long"/>/<see cref="int"/>,
/// <see cref="double"/>, <see cref="bool"/> or null (an empty csv field, a json null; so is a NaN).</param>
public readonly record struct Cell(string Text, IReadOnlyList<object?> Values)
{
    /// <summary>A text cell: the same text for people and scripts.</summary>
    public static implicit operator Cell(string text) => new(text, [text]);

    /// <summary>A count, shown with thousands separators (<c>11,689,512</c>), written as a plain integer.</summary>
    public static Cell Count(long value) => new(value.ToString("N0", CultureInfo.InvariantCulture), [value]);

    /// <summary>An integer shown as it is.</summary>
    public static Cell Integer(long value) => new(value.ToString(CultureInfo.InvariantCulture), [value]);

    /// <summary>A number shown with <paramref name="format"/> (e.g. <c>F2</c>, <c>P1</c>), written unrounded.</summary>
    public static Cell Number(double value, string format) => new(value.ToString(format, CultureInfo.InvariantCulture), [value]);

    /// <summary>A tensor shape, shown as <c>512×7×7</c>, written as one integer per dimension.</summary>
    public static Cell Shape(IReadOnlyList<long> dims) => new(string.Join("×", dims), [.. dims.Select(d => (object?)d)]);

    /// <summary>A mean ± std over runs, shown by <see cref="PneuKnow.Evaluation.Spread.Format"/>, written as the two numbers.</summary>
    public static Cell Spread(PneuKnow.Evaluation.Spread spread) => new(spread.Format(), [spread.Mean, spread.Std]);

    /// <summary>A cell whose text and raw values differ in some other way.</summary>
    public static Cell Of(string text, params object?[] values) => new(text, values);
}

/// <summary>A table printed in any <see cref="OutputFormat"/>: text for people in table/md, raw typed values in csv/json.</summary>
public sealed class TextTable
{
    readonly List<Cell[]> _rows = [];

    /// <summary>A table with text columns whose csv/json field names are their titles.</summary>
    public TextTable(params string[] columns) : this(columns.Select(c => new TableColumn(c, c)).ToArray()) { }

    /// <summary>A table with the given columns.</summary>
    /// <exception cref="ArgumentException">Two columns share a csv/json field name.</exception>
    public TextTable(params TableColumn[] columns)
    {
        Columns = columns;
        var keys = columns.SelectMany(c => c.Keys).ToList();
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            throw new ArgumentException($"table columns: expected distinct field names, found {string.Join(", ", keys)}.", nameof(columns));
    }

    /// <summary>The columns.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>
    /// A library table (<see cref="PneuKnow.Evaluation.TableFormat.Display"/>): the same columns and cell text as its
    /// Markdown (mean ± std merged, <paramref name="digits"/> decimals), and in csv/json its source values unrounded under
    /// snake_case field names (<c>"accuracy mean"</c> becomes <c>accuracy_mean</c>).
    /// </summary>
    public static TextTable FromFrame(Microsoft.Data.Analysis.DataFrame frame, int digits = 4)
    {
        var shown = PneuKnow.Evaluation.TableFormat.Display(frame, digits);
        var table = new TextTable(shown.Select(c => new TableColumn(c.Title, c.Sources.Select(FieldName).ToList())).ToArray());
        for (int r = 0; r < frame.Rows.Count; r++)
            table.Add(shown.Select(c => new Cell(c.Cells[r].Text, c.Cells[r].Values.Select(Raw).ToList())).ToArray());
        return table;
    }

    // Field names for scripts: lower case, every run of other characters one underscore ("macro F1 (95% CI)" -> macro_f1_95_ci).
    static string FieldName(string title)
    {
        var b = new StringBuilder();
        foreach (char ch in title.ToLowerInvariant())
            if (char.IsAsciiLetterOrDigit(ch)) b.Append(ch);
            else if (b.Length > 0 && b[^1] != '_') b.Append('_');
        return b.ToString().TrimEnd('_');
    }

    // A frame cell as one of the value types a cell holds: floats widen to double, other integers to long.
    static object? Raw(object? value) => value switch
    {
        null or string or double or long or int or bool => value,
        float f => (double)f,
        IConvertible c when value is byte or sbyte or short or ushort or uint or ulong => c.ToInt64(CultureInfo.InvariantCulture),
        IConvertible c when value is decimal => c.ToDouble(CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The rows, each with one cell per column.</summary>
    public IReadOnlyList<Cell[]> Rows => _rows;

    /// <summary>Adds a row.</summary>
    /// <exception cref="ArgumentException">The row does not have one cell per column, or a cell not one value per key of its column.</exception>
    public TextTable Add(params Cell[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"table row: expected {Columns.Count} cells ({string.Join(", ", Columns.Select(c => c.Title))}), found {cells.Length}.", nameof(cells));
        for (int i = 0; i < cells.Length; i++)
            if (cells[i].Values.Count != Columns[i].Keys.Count)
                throw new ArgumentException($"table column '{Columns[i].Title}': expected {Columns[i].Keys.Count} values ({string.Join(", ", Columns[i].Keys)}), found {cells[i].Values.Count}.", nameof(cells));
        _rows.Add(cells);
        return this;
    }

    /// <summary>
    /// Prints the table to <paramref name="output"/> (default stdout). Notes under a table go to stdout only in
    /// <see cref="OutputFormat.Table"/>; in the script formats they go to stderr, so stdout holds the table alone.
    /// </summary>
    public void Write(OutputFormat format, IEnumerable<string>? notes = null, TextWriter? output = null, TextWriter? noteOutput = null)
    {
        var o = output ?? Console.Out;
        o.Write(Render(format, ReferenceEquals(o, Console.Out) && !Console.IsOutputRedirected ? null : int.MaxValue));
        var n = format == OutputFormat.Table ? o : noteOutput ?? Console.Error;
        foreach (var note in notes ?? []) n.WriteLine(note);
    }

    /// <summary>
    /// The table as text. <paramref name="width"/> is the terminal width that <see cref="OutputFormat.Table"/> may
    /// wrap to; null asks the terminal, <see cref="int.MaxValue"/> never wraps (a file or a pipe).
    /// </summary>
    public string Render(OutputFormat format, int? width = int.MaxValue)
    {
        var titles = Columns.Select(c => c.Title).ToList();
        switch (format)
        {
            case OutputFormat.Csv:
            {
                var csv = new PneuKnow.Data.CsvWriter(Columns.SelectMany(c => c.Keys).ToList());
                foreach (var r in _rows) csv.Row(r.SelectMany(c => c.Values).Select(CsvField).ToList());
                return csv.ToString();
            }
            case OutputFormat.Json:
            {
                var rows = new JsonArray();
                foreach (var r in _rows)
                {
                    var o = new JsonObject();
                    for (int i = 0; i < Columns.Count; i++)
                        for (int k = 0; k < Columns[i].Keys.Count; k++) o[Columns[i].Keys[k]] = JsonValueOf(r[i].Values[k]);
                    rows.Add(o);
                }
                return rows.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
            }
            case OutputFormat.Md:
            {
                var b = new StringBuilder();
                b.Append("| ").Append(string.Join(" | ", titles.Select(EscapeMd))).Append(" |\n");
                b.Append('|').Append(string.Concat(Columns.Select(_ => "---|"))).Append('\n');
                foreach (var r in _rows) b.Append("| ").Append(string.Join(" | ", r.Select(c => EscapeMd(c.Text)))).Append(" |\n");
                return b.ToString();
            }
            default:
            {
                var text = new StringWriter();
                var console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(text),
                    Ansi = width is null ? AnsiSupport.Detect : AnsiSupport.No,
                    ColorSystem = width is null ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                    Interactive = InteractionSupport.No,
                });
                // Spectre wraps at the console width, which is 80 when there is no terminal: a redirected table
                // would put "efficientnet_b" and "1" on separate lines. Unbounded, it takes the width it needs.
                console.Profile.Width = width is { } w ? Math.Min(w, 100_000) : AnsiConsole.Profile.Width;
                var table = new Table();
                foreach (var c in titles) table.AddColumn(Markup.Escape(c));
                foreach (var r in _rows) table.AddRow(r.Select(c => Markup.Escape(c.Text)).ToArray());
                console.Write(table);
                return text.ToString();
            }
        }
    }

    // Raw values in invariant culture; doubles round-trip. NaN has no JSON number, so both formats leave it empty.
    static string CsvField(object? value) => value switch
    {
        null => "",
        double d when !double.IsFinite(d) => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static JsonNode? JsonValueOf(object? value) => value switch
    {
        null => null,
        double d when !double.IsFinite(d) => null,
        double d => JsonValue.Create(d),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => throw new ArgumentException($"table cell: expected a string, integer, double, boolean or null, found {value.GetType().Name}."),
    };

    static string EscapeMd(string cell) => cell.Replace("|", "\\|").Replace("\n", " ");
}
