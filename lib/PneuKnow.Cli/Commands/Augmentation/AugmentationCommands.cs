using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Augmentation;

/// <summary>Registers the augmentation commands.</summary>
internal static class AugmentationCommands
{
    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
    }
}
