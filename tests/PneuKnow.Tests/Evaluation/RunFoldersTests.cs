using PneuKnow.Cli.Commands.Evaluation;
using PneuKnow.Evaluation;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Evaluation;

public sealed class RunFoldersTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"pneuknow-runs-{Guid.NewGuid():N}");

    private string Run(string name, string? fixture, string split = "valid")
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        if (fixture is not null) File.Copy(EvaluationFixtures.Path($"predictions_{fixture}.csv"), Path.Combine(dir, $"predictions_{split}.csv"));
        return dir;
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("convnext_small-hkd-seed3", "convnext_small-hkd")]
    [InlineData("convnext_small-hkd_run12", "convnext_small-hkd")]
    [InlineData("convnext_small-hkd-3", "convnext_small-hkd")]
    [InlineData("baseline", "baseline")]
    public void Group_key_drops_a_trailing_run_number(string folder, string key) =>
        Assert.Equal(key, RunFolders.GroupByName(Path.Combine("results", folder)));

    [Fact]
    public void A_run_folder_without_predictions_says_what_it_has()
    {
        var dir = Run("a-0", "imbalanced", split: "test");
        var ex = Assert.Throws<FileNotFoundException>(() => RunFolders.ReadPredictions(dir, "valid"));
        Assert.Contains("expected predictions_valid.csv", ex.Message);
        Assert.Contains("predictions_test.csv", ex.Message);
        var bare = Run("b-0", null);
        Assert.Contains("no predictions file", Assert.Throws<FileNotFoundException>(() => RunFolders.ReadPredictions(bare)).Message);
        Assert.Throws<DirectoryNotFoundException>(() => RunFolders.ReadPredictions(Path.Combine(root, "missing")));
    }

    [Fact]
    public void An_empty_predictions_file_is_refused_with_its_path()
    {
        var dir = Run("c-0", null);
        File.WriteAllText(Path.Combine(dir, "predictions_valid.csv"), "");
        var ex = Assert.Throws<InvalidDataException>(() => RunFolders.ReadPredictions(dir));
        Assert.Contains("predictions_valid.csv", ex.Message);
        Assert.Contains("empty", ex.Message);
        File.WriteAllText(Path.Combine(dir, "predictions_valid.csv"), "index,file_name,label,predicted,B,C\n");
        Assert.Contains("no prediction rows", Assert.Throws<InvalidDataException>(() => RunFolders.ReadPredictions(dir)).Message);
    }

    [Fact]
    public void Loading_groups_repeated_runs_and_refuses_mixed_class_lists()
    {
        var runs = RunFolders.Load([Run("cs-base-0", "imbalanced"), Run("cs-base-1", "never_predicted"), Run("cs-hkd-0", "absent_class")]);
        var groups = RepeatedRuns.Summarize(runs);
        Assert.Equal(["cs-base", "cs-hkd"], groups.Select(g => g.Group));
        Assert.Equal(["cs-base-0", "cs-base-1"], groups[0].Runs);
        var mixed = RunFolders.Load([Run("x-0", "imbalanced"), Run("x-1", "ties")]);
        Assert.Contains("x/x-1", Assert.Throws<ArgumentException>(() => RepeatedRuns.Summarize(mixed)).Message);
    }

    private static int Cli(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(c =>
        {
            c.AddCommand<EvaluateCommand>("evaluate");
            c.AddCommand<TablesCommand>("tables");
        });
        return app.Run(args);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void Evaluate_and_tables_commands_write_their_files_and_fail_cleanly()
    {
        string[] runs = [Run("cs-base-0", "imbalanced"), Run("cs-base-1", "never_predicted"), Run("cs-hkd-0", "absent_class")];
        var evaluation = Path.Combine(root, "evaluation");
        Assert.Equal(0, Cli([.. new[] { "evaluate" }, .. runs, "--out", evaluation, "--resamples", "50"]));
        foreach (var f in new[] { "summary.csv", "summary.md", "metrics_per_run.csv", "class_scores.md", "bootstrap.csv", "roc_cs-base.html", "confusion_cs-hkd.html", "class_f1.html" })
            Assert.True(File.Exists(Path.Combine(evaluation, f)), $"{f} missing");
        Assert.Contains("cs-base-1", File.ReadAllText(Path.Combine(evaluation, "metrics_per_run.csv")));

        var tables = Path.Combine(root, "tables");
        var published = Path.Combine(EvaluationFixtures.Folder, "..", "..", "..", "..", "data", "paper-reference", "published-metrics.csv");
        Assert.Equal(0, Cli([.. new[] { "tables" }, .. runs, "--out", tables, "--published", published,
            "--cell", "cs-base=convnext_small:baseline", "--cell", "cs-hkd=convnext_small:HKD", "--compare", "cs-hkd=ConvNeXt_small_KD:student"]));
        var comparison = File.ReadAllText(Path.Combine(tables, "comparison.md"));
        Assert.Contains("| ConvNeXt_small_KD | student | accuracy |", comparison);
        Assert.Contains("0.8083 ± 0.0103", comparison);
        Assert.Contains("| convnext_small |", File.ReadAllText(Path.Combine(tables, "accuracy.md")));

        Assert.Equal(1, Cli("evaluate", Run("bare-0", null)));
        Assert.Equal(1, Cli([.. new[] { "tables" }, .. runs, "--out", tables, "--compare", "nope=ConvNeXt_small_KD:student"]));
    }
}
