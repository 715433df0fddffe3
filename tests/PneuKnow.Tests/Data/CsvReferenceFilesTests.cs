using PneuKnow.Data;
using PneuKnow.Evaluation;
using PneuKnow.Training;

namespace PneuKnow.Tests.Data;

/// <summary>
/// The committed quick reference (results/reference/quick) as the record of what the project writes: every CSV in it, plain
/// or gzip-compressed (<c>X.csv.gz</c>, read where <c>X.csv</c> is asked: <see cref="Csv.Locate"/>), reads with the module and
/// writes back byte for byte, and the predictions files go through <see cref="Predictions"/>' own reader and writer. Its
/// probabilities were written with 9 significant digits, its scores with 17; both were rewritten since by the engine's
/// own writers, as it writes them now (4 decimals, 6 significant digits; results/reference/quick/README.md).
/// </summary>
public sealed class CsvReferenceFilesTests
{
    static readonly string Quick = Locate();

    static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "results", "reference", "quick");
            if (Directory.Exists(Path.Combine(candidate, "tables"))) return candidate;
        }
        throw new DirectoryNotFoundException($"Expected results/reference/quick/tables above {AppContext.BaseDirectory}, found none.");
    }

    /// <summary>
    /// Every CSV of the reference (predictions, logs, timings, metrics and summaries per role, tables), by the name the
    /// engine asks for: <c>X.csv</c> also where it is committed as <c>X.csv.gz</c>.
    /// </summary>
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in CsvPaths(Locate())) data.Add(Path.GetRelativePath(Locate(), f));
        return data;
    }

    static IEnumerable<string> CsvPaths(string folder) =>
        Directory.EnumerateFiles(folder, "*.csv", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(folder, "*.csv" + Csv.GzipSuffix, SearchOption.AllDirectories).Select(f => f[..^Csv.GzipSuffix.Length]))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void The_reference_holds_every_kind_of_csv_the_project_writes()
    {
        var names = ((IEnumerable<object[]>)Files()).Select(f => Path.GetFileName((string)f[0])).ToHashSet();
        foreach (var kind in new[] { "predictions_test.csv", "predictions_valid.csv", "log.csv", "timings.csv", "summary.csv", "claims.csv", "teachers.csv",
                     "accuracy.csv", "class_scores.csv", "comparison_with_published.csv", "decision_regions.csv", "decision_regions_zero_maps.csv",
                     "occlusion.csv", "shortcut_reliance.csv" })
            Assert.Contains(kind, names);
        Assert.Contains(names, n => n.EndsWith("_metrics.csv", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reads_and_writes_back_byte_identically(string relative)
    {
        var path = Path.Combine(Quick, relative);
        var table = Csv.Read(path);
        Assert.All(table.Rows, r => Assert.Equal(table.Header.Count, r.Fields.Length));
        var w = new CsvWriter(table.Header);
        foreach (var (_, fields) in table.Rows) w.Row(fields);
        Assert.Equal(Csv.ReadAllText(path), w.ToString());
    }

    [Fact]
    public void Predictions_files_are_what_their_own_writer_writes()
    {
        // Each predictions file, written back by Predictions.Write, is the same text: its probabilities are F4, trailing zeros
        // trimmed (Predictions.FormatProbability of the value read), its other fields as written.
        var files = CsvPaths(Path.Combine(Quick, "runs")).Where(f => Path.GetFileName(f).StartsWith("predictions_", StringComparison.Ordinal)).ToList();
        Assert.True(files.Count >= 78, $"expected the quick reference's 78 predictions files, found {files.Count}");
        var temp = Path.Combine(Path.GetTempPath(), $"pneuknow-pred-{Guid.NewGuid():N}.csv");
        try
        {
            foreach (var f in files)
            {
                var predictions = Predictions.Read(f);
                predictions.Write(temp);
                Assert.True(Csv.ReadAllText(f) == File.ReadAllText(temp), $"{f}: written back differently");
                foreach (var row in predictions.Rows)
                    Assert.All(row.Probabilities, p => Assert.True(p == Math.Round(p, Predictions.ProbabilityDecimals), $"{f}, image {row.FileName}: {p} has more than 4 decimals"));
            }
        }
        finally { File.Delete(temp); }
    }
}
