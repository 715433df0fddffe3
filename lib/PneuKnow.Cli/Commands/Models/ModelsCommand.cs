using System.ComponentModel;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary><c>pneuknow models</c>: the zoo as a table.</summary>
public sealed class ModelsCommand : Command<ModelsCommand.Settings>
{
    public sealed class Settings : ZooSettings
    {
        [CommandOption("--classes <N>")]
        [Description("Head outputs used for the parameter count (1000 gives the ImageNet reference counts).")]
        [DefaultValue(5)]
        public int Classes { get; init; } = 5;

        public override ValidationResult Validate() =>
            Classes < 1 ? ValidationResult.Error($"--classes: expected a positive count, found {Classes}.") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.Initialize(settings.Device, settings.Threads);
        var table = Table(BackboneZoo.Describe(settings.Classes, settings.Size, cancellationToken), settings.Size);
        table.Write(settings.Format, [$"GFLOPs = 2 × multiply-accumulates of convolutions and linear layers, one image. Weights folder: {WeightStore.Folder} (${WeightStore.Variable})."]);
        return 0;
    }

    /// <summary>
    /// The zoo table: on screen the display text (<c>11,689,512</c>, <c>512×7×7</c>, GFLOPs to 2 decimals); in csv and
    /// json the raw values (the parameter count as an integer, the feature shape as channels/height/width integers,
    /// unrounded GFLOPs, the weights file or null) under snake_case names.
    /// </summary>
    public static TextTable Table(IEnumerable<ZooEntry> zoo, int size)
    {
        var table = new TextTable(
            new TableColumn("backbone", "backbone"),
            new TableColumn("parameters", "parameters"),
            new TableColumn($"features at {size}", ["input_size", "feature_channels", "feature_height", "feature_width"]),
            new TableColumn("forward GFLOPs", "forward_gflops"),
            new TableColumn("pretrained weights", "pretrained_weights"));
        foreach (var (name, c, weights) in zoo)
        {
            var shape = Cell.Shape(c.FeatureShape);
            table.Add(
                name,
                Cell.Count(c.Parameters),
                Cell.Of(shape.Text, [(long)size, .. shape.Values]),
                Cell.Number(c.ForwardGFlops, "F2"),
                Cell.Of(weights is null ? "no" : $"yes ({weights})", weights));
        }
        return table;
    }
}
