using System.ComponentModel;
using System.Globalization;
using PneuKnow.Evaluation;
using PneuKnow.Explain;
using PneuKnow.Runtime;
using PneuKnow.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary>
/// <c>pneuknow explain &lt;run&gt;</c>: Grad-CAM overlays (PNG) of a run's selected model on images of a split,
/// and their decision-region scores against the expert masks.
/// </summary>
public sealed class ExplainCommand : Command<ExplainCommand.Settings>
{
    public sealed class Settings : CommandSettings, IFormattedOutput
    {
        [CommandOption(IFormattedOutput.Option)]
        [Description(IFormattedOutput.Help)]
        [DefaultValue(IFormattedOutput.Default)]
        public OutputFormat Format { get; init; } = IFormattedOutput.Default;

        [Description("Run folder (holds run.json and best.pt), e.g. results/quick/runs/cntk_resnet18_clean_do_kd/student/run_0.")]
        [CommandArgument(0, "<run>")]
        public string Run { get; init; } = "";

        [Description("Comma-separated image indices within the split, e.g. 0,1,2.")]
        [CommandOption("--images")]
        public string? Images { get; init; }

        [Description("Without --images: the first N images of the split whose expert mask is not empty.")]
        [CommandOption("--count")]
        [DefaultValue(4)]
        public int Count { get; init; } = 4;

        [Description("Split of the run's dataset: train, valid or test.")]
        [CommandOption("--split")]
        [DefaultValue("test")]
        public string Split { get; init; } = "test";

        [Description("Output folder.")]
        [CommandOption("--out")]
        [DefaultValue("results/explain")]
        public string Out { get; init; } = "results/explain";

        [Description("Device: cpu, cuda, cuda:<k> or auto.")]
        [CommandOption("--device")]
        [DefaultValue("cpu")]
        public string Device { get; init; } = "cpu";

        public override ValidationResult Validate()
        {
            if (Images is null && Count <= 0) return ValidationResult.Error($"--count: expected a positive number of images, found {Count}.");
            if (PneuKnow.Runtime.TorchRuntime.CheckDeviceSpec(Device, "--device") is { } badDevice) return ValidationResult.Error(badDevice);
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => RunSelectionSettings.Guarded(() =>
    {
        TorchRuntime.Initialize(settings.Device);
        using var trained = TrainedModel.Load(settings.Run);
        var images = trained.OpenSplit(settings.Split);
        var indices = settings.Images is { } list
            ? ParseIndices(list, images.Count, settings.Split)
            : Annotated(images, settings.Count, settings.Split);

        var name = $"{trained.Method} ({trained.Architecture})";
        var result = DecisionRegionComparison.Run([new ExplainedModel(name, trained.Model)], images, indices, CamTarget.Label);
        Directory.CreateDirectory(settings.Out);
        var files = new List<string>();
        var model = result.Models[0];
        for (int i = 0; i < indices.Count; i++)
        {
            // The class label comes from the data: sanitised, and the path checked to stay under --out.
            var label = SafePath.FileName(images.Classes[images.LabelOf(indices[i])]);
            var path = SafePath.Under(settings.Out, $"{settings.Split}_{indices[i]:D4}_{label}.png");
            using (var overlay = CamOverlay.Render(images.Get(indices[i]), model.Maps[i])) CamOverlay.SavePng(overlay, path);
            files.Add(path);
        }
        var table = result.Table();
        TableFormat.WriteCsv(table, Path.Combine(settings.Out, "regions.csv"));
        TableFormat.WriteMarkdown(table, Path.Combine(settings.Out, "regions.md"));
        AtomicFile.WriteAllText(Path.Combine(settings.Out, "caption.txt"), result.Caption(images.Classes));
        files.AddRange(["regions.csv", "regions.md", "caption.txt"]);

        TextTable.FromFrame(table, digits: 3).Write(settings.Format,
            [result.Caption(images.Classes), $"{indices.Count} overlay(s) and the scores in {settings.Out} ({settings.Split} split of {trained.MetadataFile})"]);
        return 0;
    });

    /// <summary>Indices from <c>0,1,2</c>, each within the split.</summary>
    /// <exception cref="ArgumentException">Not a comma-separated list of integers, or an index outside 0..count-1.</exception>
    public static IReadOnlyList<int> ParseIndices(string text, int count, string split)
    {
        var indices = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                throw new ArgumentException($"--images: expected comma-separated image indices such as 0,1,2, found '{part}' in '{text}'.");
            if (i >= count)
                throw new ArgumentException($"--images: index {i} is outside the {split} split, which has {count} images (indices 0..{count - 1}).");
            indices.Add(i);
        }
        return indices;
    }

    static IReadOnlyList<int> Annotated(PneuKnow.Data.IAnnotatedImageSet images, int count, string split)
    {
        var found = Enumerable.Range(0, images.Count).Where(i => images.Get(i).Mask.Any(v => v != 0)).Take(count).ToList();
        if (found.Count == 0)
            throw new InvalidDataException($"--count: the {split} split ({images.Count} images) has no image with a non-empty expert mask; pass --images to explain unannotated ones.");
        return found;
    }
}
