using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary>Registers the models commands.</summary>
internal static class ModelsCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<ModelsCommand>("models")
            .WithDescription("List the backbones: parameters, feature map and GFLOPs at 224, local pretrained weights.")
            .WithExample("models", "--classes", "1000");
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
        bench.AddCommand<BenchModelsCommand>("models")
            .WithDescription("Forward and forward+backward images/s per backbone, beside this machine's GEMM GFLOP/s.")
            .WithExample("bench", "models", "--size", "224", "--batch", "8");
    }
}
