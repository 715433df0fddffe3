using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>Registers the training commands.</summary>
internal static class TrainingCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<TrainCommand>("train")
            .WithDescription("Train every repeated run of an experiment (baseline, or ROI teacher then HKD student); rerun to resume.")
            .WithExample("train", "configs/ConvNeXt_small_KD_config.txt")
            .WithExample("train", "smoke.json", "--out", "runs", "--device", "cpu", "--no-pretrained");
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
    }
}
