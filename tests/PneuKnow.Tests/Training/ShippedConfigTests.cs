using PneuKnow.Augmentation;
using PneuKnow.Evaluation;
using PneuKnow.Tests.Notebooks;
using PneuKnow.Training;

namespace PneuKnow.Tests.Training;

/// <summary>The configs shipped under <c>configs/</c> (which the help examples of <c>train</c> name) parse and say what their README says.</summary>
public class ShippedConfigTests
{
    static string Configs => Path.Combine(NotebookPaths.RepositoryRoot, "configs");

    public static TheoryData<string> Files() => new(Directory.GetFiles(Path.Combine(NotebookPaths.RepositoryRoot, "configs"))
        .Where(f => Path.GetExtension(f) is ".txt" or ".json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_shipped_config_parses_with_its_paths_inside_the_repository(string file)
    {
        var config = ExperimentConfig.Load(Path.Combine(Configs, file));
        foreach (var path in new[] { config.RawDataDir, config.RoiDataDir, config.MetadataFile, config.ModelDir })
            Assert.StartsWith(NotebookPaths.RepositoryRoot + Path.DirectorySeparatorChar, path);
    }

    [Fact]
    public void The_convnext_configs_are_the_papers_recipe_under_the_authors_experiment_names()
    {
        var kd = ExperimentConfig.Load(Path.Combine(Configs, "ConvNeXt_small_KD_config.txt"));
        var baseline = ExperimentConfig.Load(Path.Combine(Configs, "ConvNeXt_small_Baseline_config.txt"));
        Assert.Equal((ExperimentKind.Distillation, ExperimentKind.Baseline), (kd.Kind, baseline.Kind));
        foreach (var stage in new[] { kd.Teacher!, kd.Student!, baseline.Model! })
            Assert.Equal(("convnext_small", 224, 0.5, AugmentationKind.Strong, 8, 1e-4, true),
                (stage.Architecture, stage.Resolution, stage.Dropout, stage.Augmentations, stage.BatchSize, stage.LearningRate, stage.Pretrained));
        Assert.Equal((20, 60, 40, 60), (kd.Teacher!.EffectiveEpochs(true), kd.Student!.EffectiveEpochs(false), kd.Student.KdEpochs, baseline.Model!.Epochs));
        Assert.Equal((5, 5), (kd.RepeatedRuns, baseline.RepeatedRuns));
        // The names the published numbers are filed under, so that `tables --compare` finds them.
        var published = PublishedMetrics.Read(Path.Combine(NotebookPaths.RepositoryRoot, "data", "paper-reference", "published-metrics.csv"));
        Assert.Contains(published.Results, p => p.Experiment == kd.ExperimentName);
        Assert.Contains(published.Results, p => p.Experiment == baseline.ExperimentName);
    }

    [Fact]
    public void Smoke_json_reads_the_synth_examples_phantom_and_trains_two_runs()
    {
        var smoke = ExperimentConfig.Load(Path.Combine(Configs, "smoke.json"));
        Assert.Equal(Path.Combine(NotebookPaths.RepositoryRoot, "data", "generated", "smoke", "manifest.csv"), smoke.MetadataFile);
        Assert.Equal((ExperimentKind.Baseline, 2, "resnet18", 64), (smoke.Kind, smoke.RepeatedRuns, smoke.Model!.Architecture, smoke.Model.Resolution));
    }
}
