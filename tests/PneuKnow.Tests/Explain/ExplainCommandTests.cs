using PneuKnow.Augmentation;
using PneuKnow.Cli.Commands.Evaluation;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Explain;
using PneuKnow.Runtime;
using PneuKnow.Tests.Training;
using PneuKnow.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Explain;

/// <summary>
/// <c>pneuknow explain</c> and <see cref="TrainedModel"/> on a run trained here for one epoch (tiny phantom,
/// 32 px, resnet18 from scratch), so the test needs no fixture and stays fast.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class ExplainCommandTests : IDisposable
{
    readonly string root = TrainingSetup.TempDir("explain");

    public ExplainCommandTests() => TorchRuntime.Initialize("cpu");

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    string TrainRun()
    {
        var data = Path.Combine(root, "phantom");
        PhantomGenerator.Generate(new PhantomOptions
        {
            Images = 30, Size = 32, Seed = 5, Conspicuity = 2,
            ClassShares = new Dictionary<string, double> { ["B"] = 1, ["NB"] = 1, ["V"] = 1 },
            Splits = new SplitFractions(0.6, 0.2, 0.2),
        }, data);
        var config = new ExperimentConfig("explain", Path.Combine(data, "raw"), Path.Combine(data, "roi"), Path.Combine(data, "manifest.csv"),
            Path.Combine(root, "runs"), Cuda: 0, RepeatedRuns: 1,
            Model: new StageConfig(32, "resnet18", 0.5, 1, AugmentationKind.Weak, 6) { Pretrained = false, Schedule = LearningRateScheduleKind.Constant, LearningRate = 1e-3 },
            Teacher: null, Student: null)
        { Seed = 3, ValidSplit = "valid", TestSplit = "test" };
        var result = Experiment.Run(config, options: new ExperimentOptions(OutputRoot: Path.Combine(root, "runs")));
        return result.Baselines[0].Directory;
    }

    static int Cli(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(c => c.AddCommand<ExplainCommand>("explain"));
        return app.Run(args);
    }

    [Fact]
    public void Explain_writes_the_runs_grad_cam_overlays_and_scores_and_refuses_bad_input()
    {
        var run = TrainRun();
        var outDir = Path.Combine(root, "explain-out");
        Assert.Equal(0, Cli("explain", run, "--images", "0,2", "--split", "test", "--out", outDir));

        // Independent path: load the run by hand the way the trainer built it, compute Grad-CAM directly.
        using var trained = TrainedModel.Load(run);
        Assert.Equal("resnet18", trained.Architecture);
        Assert.Equal(["B", "NB", "V"], trained.Classes);
        var test = trained.OpenSplit("test");
        var maps = GradCam.OfImages(trained.Model, test, [0, 2], CamTarget.Label, ImagePlane.Image);
        // The reloaded weights give the probabilities the trainer saved for these images with its own model.
        var saved = PneuKnow.Evaluation.RunFolders.ReadPredictions(run, "test");
        foreach (var (index, map) in new[] { 0, 2 }.Zip(maps))
            Assert.Equal(saved.Rows[index].Probabilities[test.LabelOf(index)], map.Probability, 1e-4);
        foreach (var (index, map) in new[] { 0, 2 }.Zip(maps))
        {
            var file = Path.Combine(outDir, $"test_{index:D4}_{test.Classes[test.LabelOf(index)]}.png");
            Assert.True(File.Exists(file), $"{file} missing");
            using var written = Image.Load<Rgb24>(file);
            using var expected = CamOverlay.Render(test.Get(index), map);
            Assert.Equal((expected.Width, expected.Height), (written.Width, written.Height));
            for (int y = 0; y < expected.Height; y++)
                for (int x = 0; x < expected.Width; x++)
                    Assert.Equal(expected[x, y], written[x, y]);
        }
        var scores = maps.Select(m => DecisionRegions.Score(m, test.Get(m.Index).Mask)).ToArray();
        var md = File.ReadAllText(Path.Combine(outDir, "regions.md"));
        Assert.Contains("baseline (resnet18)", md);
        Assert.True(File.Exists(Path.Combine(outDir, "regions.csv")));
        var caption = File.ReadAllText(Path.Combine(outDir, "caption.txt"));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.CurrentCulture, $"image 2; baseline (resnet18): class {test.Classes[maps[1].Class]} (p {maps[1].Probability:F2}), energy {scores[1].EnergyPointingGame:F2}, IoU@0.5 {scores[1].IouAtHalf:F2}"), caption);

        // --count picks annotated images only (healthy NB masks are empty).
        var counted = Path.Combine(root, "counted");
        Assert.Equal(0, Cli("explain", run, "--count", "2", "--out", counted));
        var pngs = Directory.GetFiles(counted, "*.png");
        Assert.Equal(2, pngs.Length);
        Assert.DoesNotContain(pngs, p => p.EndsWith("_NB.png", StringComparison.Ordinal));

        // Bad input: an index outside the split, a folder that is not a run folder, a malformed list.
        Assert.Equal(1, Cli("explain", run, "--images", $"{test.Count}", "--out", Path.Combine(root, "bad")));
        Assert.Equal(1, Cli("explain", root, "--out", Path.Combine(root, "bad")));
        Assert.Equal(1, Cli("explain", run, "--images", "0,x", "--out", Path.Combine(root, "bad")));
        Assert.False(Directory.Exists(Path.Combine(root, "bad")));
        var outside = Assert.Throws<ArgumentException>(() => ExplainCommand.ParseIndices($"1,{test.Count}", test.Count, "test"));
        Assert.Contains($"index {test.Count} is outside the test split, which has {test.Count} images", outside.Message);
        var notRun = Assert.Throws<InvalidDataException>(() => TrainedModel.Load(root));
        Assert.Contains("not a run folder: expected run.json", notRun.Message);
    }
}
