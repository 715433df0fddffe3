using System.ComponentModel;
using System.Globalization;
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
        var table = new TextTable("backbone", "parameters", $"features at {settings.Size}", "forward GFLOPs", "pretrained weights");
        foreach (var (name, c, weights) in BackboneZoo.Describe(settings.Classes, settings.Size, cancellationToken))
            table.Add(
                name,
                c.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                string.Join("×", c.FeatureShape),
                c.ForwardGFlops.ToString("F2", CultureInfo.InvariantCulture),
                weights is null ? "no" : $"yes ({weights})");
        table.Write(settings.Format, [$"GFLOPs = 2 × multiply-accumulates of convolutions and linear layers, one image. Weights folder: {WeightStore.Folder} (${WeightStore.Variable})."]);
        return 0;
    }
}
