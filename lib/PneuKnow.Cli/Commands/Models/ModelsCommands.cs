using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary>Registers the models commands.</summary>
internal static class ModelsCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("models", models =>
        {
            models.SetDescription("The backbone zoo. Alone: one row per backbone with parameters, feature map and GFLOPs at --size, local pretrained weights; `import`: store weights for a backbone.");
            models.SetDefaultCommand<ModelsCommand>();
            models.AddCommand<ModelsImportCommand>("import")
                .WithDescription("Load a timm or torchvision state dict into a backbone and store it (timm names, safetensors) where training finds pretrained weights. Fails listing every missing, unexpected or shape-mismatched key unless --allow-partial.")
                .WithExample("models", "import", "convnext_tiny", "convnext_tiny-983f1562.pth");
        });
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
        bench.AddCommand<BenchModelsCommand>("models")
            .WithDescription("Forward and forward+backward images/s per backbone, beside this machine's GEMM GFLOP/s.")
            .WithExample("bench", "models", "--size", "224", "--batch", "8");
    }
}
