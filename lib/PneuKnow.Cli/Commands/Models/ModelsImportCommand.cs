using System.ComponentModel;
using PneuKnow.Models;
using PneuKnow.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary><c>pneuknow models import</c>: a timm or torchvision state dict into the local weights folder.</summary>
public sealed class ModelsImportCommand : Command<ModelsImportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ARCHITECTURE>")]
        [Description("Backbone the weights are for (see `pneuknow models`).")]
        public string Architecture { get; init; } = "";

        [CommandArgument(1, "<FILE>")]
        [Description("State dict: .safetensors or torch.save (.pth), timm or torchvision names.")]
        public string File { get; init; } = "";

        [CommandOption("--classes <N>")]
        [Description("Head outputs of the stored model (1000: ImageNet checkpoints); another class count in the file re-initialises the head.")]
        [DefaultValue(1000)]
        public int Classes { get; init; } = 1000;

        [CommandOption("--allow-partial")]
        [Description("Store the model although keys are missing, unexpected or of another shape (all listed); those tensors stay randomly initialised.")]
        public bool AllowPartial { get; init; }

        [CommandOption("-o|--output <PATH>")]
        [Description("Where to write the safetensors file (default: <weights folder>/<ARCHITECTURE>.safetensors, where training finds it).")]
        public string? Output { get; init; }

        public override ValidationResult Validate() =>
            Classes < 1 ? ValidationResult.Error($"--classes: expected a positive count, found {Classes}.")
            : !BackboneZoo.Names.Contains(Architecture)
                ? ValidationResult.Error($"<ARCHITECTURE>: unknown '{Architecture}'; expected one of {string.Join(", ", BackboneZoo.Names)}.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.Initialize("cpu");
        try
        {
            var (report, path) = WeightStore.Import(settings.Architecture, settings.File, settings.Classes, settings.AllowPartial, settings.Output);
            Console.Out.WriteLine(report.ToString());
            Console.Out.WriteLine(report.Complete
                ? $"stored {settings.Architecture} weights at {path}"
                : $"stored a PARTIAL {settings.Architecture} model at {path} (--allow-partial): the keys listed above kept their random initialisation");
            return 0;
        }
        catch (Exception e) when (e is WeightImportException or InvalidDataException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
