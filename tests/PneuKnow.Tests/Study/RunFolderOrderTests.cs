using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

/// <summary>Run k of every model of a condition is pair k, and the claims pair runs by their position in the folder list.</summary>
public sealed class RunFolderOrderTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("pneuknow-runorder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Make(params string[] names)
    {
        var role = Path.Combine(_root, Guid.NewGuid().ToString("N"), "baseline");
        foreach (var n in names) Directory.CreateDirectory(Path.Combine(role, n));
        return role;
    }

    [Fact]
    public void Twelve_runs_come_in_numeric_order_not_ordinal()
    {
        // Created in ordinal order (run_0, run_1, run_10, run_11, run_2 ...), which is what an ordinal sort also gives.
        var names = Enumerable.Range(0, 12).Select(k => $"run_{k}").OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var role = Make(names);
        var folders = StudyReport.RunFoldersOf(role);
        Assert.Equal(Enumerable.Range(0, 12).Select(k => $"run_{k}"), folders.Select(Path.GetFileName));
    }

    [Fact]
    public void A_gap_is_refused_naming_the_missing_run()
    {
        var role = Make("run_0", "run_1", "run_3");
        var e = Assert.Throws<InvalidDataException>(() => StudyReport.RunFoldersOf(role));
        Assert.Contains("no run_2", e.Message);
        Assert.Contains("run_3", e.Message);
    }

    [Fact]
    public void A_folder_that_is_not_run_k_is_refused()
    {
        var role = Make("run_0", "run_x");
        var e = Assert.Throws<InvalidDataException>(() => StudyReport.RunFoldersOf(role));
        Assert.Contains("run_x", e.Message);
    }
}
