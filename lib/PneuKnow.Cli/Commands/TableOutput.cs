using System.ComponentModel;
using System.Text;
using System.Text.Json;
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

/// <summary>The <c>--format</c> option of the commands that print a table.</summary>
public interface IFormattedOutput
{
    /// <summary>How the table is printed.</summary>
    OutputFormat Format { get; }
}

/// <summary>A table of text cells, printed in any <see cref="OutputFormat"/>.</summary>
public sealed class TextTable(params string[] columns)
{
    readonly List<string[]> _rows = [];

    /// <summary>The column titles.</summary>
    public IReadOnlyList<string> Columns { get; } = columns;

    /// <summary>The rows, each with one cell per column.</summary>
    public IReadOnlyList<string[]> Rows => _rows;

    /// <summary>Adds a row.</summary>
    /// <exception cref="ArgumentException">The row does not have one cell per column.</exception>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"table row: expected {Columns.Count} cells ({string.Join(", ", Columns)}), found {cells.Length}.", nameof(cells));
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
        switch (format)
        {
            case OutputFormat.Csv:
            {
                var b = new StringBuilder();
                b.Append(string.Join(',', Columns.Select(Quote))).Append('\n');
                foreach (var r in _rows) b.Append(string.Join(',', r.Select(Quote))).Append('\n');
                return b.ToString();
            }
            case OutputFormat.Json:
            {
                var rows = _rows.Select(r => Columns.Select((c, i) => (c, r[i])).ToDictionary(p => p.c, p => p.Item2)).ToList();
                return JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }) + "\n";
            }
            case OutputFormat.Md:
            {
                var b = new StringBuilder();
                b.Append("| ").Append(string.Join(" | ", Columns.Select(EscapeMd))).Append(" |\n");
                b.Append('|').Append(string.Concat(Columns.Select(_ => "---|"))).Append('\n');
                foreach (var r in _rows) b.Append("| ").Append(string.Join(" | ", r.Select(EscapeMd))).Append(" |\n");
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
                foreach (var c in Columns) table.AddColumn(Markup.Escape(c));
                foreach (var r in _rows) table.AddRow(r.Select(Markup.Escape).ToArray());
                console.Write(table);
                return text.ToString();
            }
        }
    }

    static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) < 0 ? cell : "\"" + cell.Replace("\"", "\"\"") + "\"";

    static string EscapeMd(string cell) => cell.Replace("|", "\\|").Replace("\n", " ");
}
