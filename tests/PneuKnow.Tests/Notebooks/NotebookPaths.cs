using Xunit.Abstractions;

namespace PneuKnow.Tests.Notebooks;

/// <summary>Where the repository's notebooks and the notebook fixtures are, found from the test binaries upwards.</summary>
internal static class NotebookPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Notebooks => Path.Combine(RepositoryRoot, "notebooks");

    public static string Fixture(string name) => Path.Combine(RepositoryRoot, "tests", "PneuKnow.Tests", "Fixtures", "Notebooks", name);

    static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PneuKnow.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"PneuKnow.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A fresh folder for executed copies, removed by the caller.</summary>
    public static string TempOutput() => Directory.CreateTempSubdirectory("pneuknow-notebooks-").FullName;
}

/// <summary>
/// Notebook runs share the process's working directory and console redirection, so they run one at a time
/// (the runner also serialises them) and not alongside other test classes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "Notebooks (headless, one at a time)";
}

/// <summary>Forwards the runner's per-cell log lines to xunit's test output.</summary>
internal sealed class TestOutputWriter(ITestOutputHelper output) : StringWriter
{
    public override void WriteLine(string? value) => output.WriteLine(value ?? "");
}
