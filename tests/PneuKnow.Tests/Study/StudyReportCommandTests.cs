using PneuKnow.Study;
using PneuKnow.Tests.Cli;
using PneuKnow.Tests.Notebooks;

namespace PneuKnow.Tests.Study;

/// <summary>
/// <c>pneuknow report</c> on a copy of the committed quick reference: it rewrites every table byte for byte from the
/// runs (so a figure change can be brought to a finished study without touching its numbers) and adds the forest plot
/// of claims.csv and the teachers' recall figure.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StudyReportCommandTests : IDisposable
{
    readonly DirectoryInfo root = Directory.CreateTempSubdirectory("pneuknow-report-");
    public void Dispose() => root.Delete(true);

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    [Fact]
    public void Report_rewrites_the_quick_references_tables_unchanged_and_draws_the_claims_and_teachers_figures()
    {
        var reference = Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference", "quick");
        var study = Path.Combine(root.FullName, "quick");
        // The study as reproduce left it, without its figures: they must come from the report.
        File.Copy(Path.Combine(reference, StudyStamp.FileName), Path.Combine(Directory.CreateDirectory(study).FullName, StudyStamp.FileName));
        Copy(Path.Combine(reference, "runs"), Path.Combine(study, "runs"));
        Copy(Path.Combine(reference, "tables"), Path.Combine(study, "tables"));
        var before = Directory.GetFiles(Path.Combine(study, "tables")).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        // Make sure the tables are really rewritten, not just left in place.
        File.Delete(Path.Combine(study, "tables", "accuracy.csv"));
        File.Delete(Path.Combine(study, "tables", StudyTeachers.FileName + ".csv"));

        var result = PneuknowCli.Run("report", study);
        Assert.True(result.Exit == 0, result.Error + result.Out);

        foreach (var (name, bytes) in before)
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(study, "tables", name))), $"tables/{name} changed when the report was rewritten from the runs");
        foreach (var stem in new[] { StudyClaims.FigureStem, StudyReport.TeachersFigureStem, "confusion_cntk_resnet18_clean" })
            Assert.True(File.Exists(Path.Combine(study, "figures", stem + ".html")), $"figures/{stem}.html not written; found {string.Join(", ", Directory.GetFiles(Path.Combine(study, "figures")).Select(Path.GetFileName))}");
        // One forest marker per claims row with an estimate: each carries its row index.
        var claims = StudyClaims.Read(Path.Combine(study, "tables", StudyClaims.FileStem + ".csv"));
        var html = File.ReadAllText(Path.Combine(study, "figures", StudyClaims.FigureStem + ".html"));
        var indices = System.Text.RegularExpressions.Regex.Matches(html, @"""customdata"":\[([0-9,]*)\]")
            .SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse).Order().ToList();
        Assert.Equal(Enumerable.Range(0, claims.Count).Where(i => double.IsFinite(claims[i].Difference.Estimate)), indices);
    }
}
