using PneuKnow.Runtime;
namespace PneuKnow.Data;

/// <summary>
/// Bad input data. The message names what was expected, what was found and where: the file and, when it applies,
/// the line (1-based, the header is line 1) and column or key.
/// </summary>
public sealed class DataException : Exception
{
    /// <summary>The offending file.</summary>
    public string File { get; }
    /// <summary>1-based line of the file, or null.</summary>
    public int? Line { get; }
    /// <summary>Column or key, or null.</summary>
    public string? Column { get; }
    /// <summary>The bare reason, without the location prefix.</summary>
    public string Reason { get; }

    /// <summary>Creates the exception; the message is "<c>file, line N, column 'c': reason</c>".</summary>
    public DataException(string file, int? line, string? column, string reason, Exception? inner = null)
        : base(Format(file, line, column, reason), inner)
    {
        File = file; Line = line; Column = column; Reason = reason;
    }

    /// <summary>Formats a location and reason the way every data error does.</summary>
    public static string Format(string file, int? line, string? column, string reason) =>
        file + (line is { } l ? $", line {l}" : "") + (column is null ? "" : $", column '{column}'") + ": " + reason;
}

/// <summary>An item left out under <c>--skip-invalid</c>, with the error that excluded it.</summary>
/// <param name="FileName">The manifest's file name of the item (or the annotation row's id).</param>
/// <param name="Source">The file the problem was found in.</param>
/// <param name="Line">Line in <paramref name="Source"/>, if any.</param>
/// <param name="Reason">The full error message.</param>
public sealed record SkippedItem(string FileName, string Source, int? Line, string Reason);

/// <summary>Writes the report of skipped items.</summary>
public static class SkipReport
{
    /// <summary>Writes <c>file_name,source,line,reason</c> rows to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IEnumerable<SkippedItem> items)
    {
        var csv = new CsvWriter(["file_name", "source", "line", "reason"]);
        foreach (var i in items)
            csv.Row(i.FileName, i.Source, i.Line?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", i.Reason);
        csv.Save(path);
    }
}
