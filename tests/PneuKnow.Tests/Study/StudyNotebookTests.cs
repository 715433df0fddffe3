using PneuKnow.Study;
using PneuKnow.Tests.Notebooks;

namespace PneuKnow.Tests.Study;

/// <summary>
/// The notebooks' entry point on the committed quick reference (copied, so nothing can be written into the repository):
/// it loads a finished study as it is, and what the chapters show comes from the engine's own tables.
/// </summary>
public sealed class StudyNotebookTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("study-notebook-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static string Reference => Path.Combine(NotebookPaths.RepositoryRoot, "results", "reference", "quick");

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    /// <summary>The reference's study.json, runs and tables in a temporary study folder.</summary>
    string QuickStudy()
    {
        var study = Path.Combine(_root, "quick");
        Directory.CreateDirectory(study);
        File.Copy(Path.Combine(Reference, StudyStamp.FileName), Path.Combine(study, StudyStamp.FileName));
        Copy(Path.Combine(Reference, "runs"), Path.Combine(study, "runs"));
        Copy(Path.Combine(Reference, "tables"), Path.Combine(study, "tables"));
        return study;
    }

    static Dictionary<string, DateTime> Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

    [Fact]
    public void A_finished_study_is_loaded_as_it_is_and_its_numbers_come_from_the_engines_tables()
    {
        var dir = QuickStudy();
        var before = Files(dir);

        // The reference keeps no checkpoint: running it would stop where a main-arm run is scored; loading needs none.
        var study = StudyNotebook.Open("quick", dir, Path.Combine(_root, "data"));

        Assert.False(study.Trained);
        Assert.Equal(StudyStamp.Read(dir).Units.Count, study.Units);
        Assert.Contains("loaded as finished", study.Summary);
        Assert.Contains("grid: conditions clean, shortcut × backbones cntk_resnet18, resnet18", study.Summary);
        Assert.Equal(before, Files(dir));
        Assert.False(Directory.Exists(Path.Combine(_root, "data")));

        // The answer rows: test accuracy, student − baseline, one per backbone and condition (resnet18 only clean).
        var rows = study.AccuracyRows();
        Assert.Equal(new[] { "cntk_resnet18 · clean", "cntk_resnet18 · shortcut", "resnet18 · clean" }, rows.Select(StudyNotebook.LabelOf).Order(StringComparer.Ordinal).ToArray());
        var sentence = study.Verdict(rows.First(r => r.Primary));
        Assert.Contains("accuracy: HKD student − baseline", sentence);
        Assert.Contains("95 % CI", sentence);
        Assert.Contains("primary", sentence);
        Assert.EndsWith(rows.First(r => r.Primary).Verdict, sentence);

        // Our models beside the published ones, each row naming our backbone and condition.
        var comparison = study.ComparisonAccuracy();
        Assert.Contains("resnet18", comparison["backbone"].Cast<string>());
        Assert.Contains("shortcut", comparison["condition"].Cast<string>());
        Assert.All(comparison["published experiment"].Cast<string>(), e => Assert.StartsWith("ResNet50_", e));
        var gain = study.PublishedGain("cntk_resnet18 · clean");
        Assert.NotNull(gain);
        Assert.Equal(("ResNet50_Baseline", "ResNet50_KD"), (gain.Value.Baseline, gain.Value.Student));

        // The per-model Grad-CAM means, read from tables/decision_regions.csv(.gz), one row per condition, backbone and model.
        var regions = study.DecisionRegionTable();
        Assert.Equal(regions.Rows.Count, regions["model"].Cast<string>().Zip(regions["backbone"].Cast<string>(), regions["condition"].Cast<string>()).Distinct().Count());
        Assert.Contains("ROI teacher", regions["model"].Cast<string>());

        Assert.Equal(new[] { 1.0 }, study.RoiFractions);
        Assert.True(study.HasNoRoiControl);
        Assert.Null(study.BudgetFigure());
        Assert.Equal(2, study.Compared("resnet18 · clean").Count);
        Assert.Throws<ArgumentException>(() => study.Compared("convnext_small"));
    }

    [Fact]
    public void The_published_tables_are_read_from_the_engines_copy()
    {
        var study = StudyNotebook.Open("quick", QuickStudy(), Path.Combine(_root, "data"));

        Assert.True(File.Exists(StudyNotebook.PublishedMetricsPath), StudyNotebook.PublishedMetricsPath);
        var main = study.PublishedMainArm();
        int convnext = main["published backbone"].Cast<string>().ToList().IndexOf("ConvNeXt_small");
        Assert.Equal(0.7853, (double)main["baseline mean"][convnext]!, 4);
        Assert.Equal(0.8083, (double)main["HKD student mean"][convnext]!, 4);
        Assert.Equal(0.0230, (double)main["HKD − baseline"][convnext]!, 4);

        // Baseline, the four budgets, every ROI, and the noroi student of the one published backbone with budget arms.
        var budget = study.PublishedBudget();
        Assert.Equal(new[] { 0, 0.1, 0.3, 0.5, 0.7, 1, 0 }, budget["share of training images with a ROI"].Cast<double>().ToArray());
        Assert.Equal(new[] { "none", "ROIs", "ROIs", "ROIs", "ROIs", "ROIs", "raw images" }, budget["teacher taught on"].Cast<string>().ToArray());
        Assert.Equal(0.788, (double)budget["accuracy mean"][6]!, 3);
    }

    [Fact]
    public void A_folder_of_another_preset_is_refused_naming_both()
    {
        var e = Assert.Throws<ArgumentException>(() => StudyNotebook.Open("smoke", QuickStudy(), Path.Combine(_root, "data")));
        Assert.Contains("holds a study of preset 'quick', not 'smoke'", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    public void An_unknown_preset_is_refused_listing_the_valid_ones(string preset)
    {
        var e = Assert.Throws<ArgumentException>(() => StudyNotebook.CheckPreset(preset));
        Assert.Contains("expected one of smoke, quick, study, paper", e.Message);
    }

    [Fact]
    public void The_preset_table_has_every_preset_with_the_engines_sizes()
    {
        var table = StudyNotebook.PresetTable();
        Assert.Equal(StudyPreset.Names, table["preset"].Cast<string>().ToArray());
        Assert.Equal(StudyPreset.Names.Select(n => StudyPreset.Get(n).Data.Images), table["phantom images"].Cast<int>().ToArray());
        Assert.Equal(StudyPreset.Names.Select(n => StudyPreset.Get(n).Resolution), table["network input (px)"].Cast<int>().ToArray());
    }
}
