using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Augmentation;

/// <summary>Registers the augmentation commands.</summary>
internal static class AugmentationCommands
{
    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
        bench.AddCommand<BenchPipelineCommand>("pipeline")
            .WithDescription("Images/s of each augmentation pipeline through the batch loader, and the share of a CPU training step spent waiting for data.")
            .WithExample("bench", "pipeline", "--size", "224", "--images", "64");
    }
}
