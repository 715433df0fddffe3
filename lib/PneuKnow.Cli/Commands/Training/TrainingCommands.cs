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
            .WithExample("train", "configs/smoke.json", "--out", "runs", "--device", "cpu", "--no-pretrained");
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
        bench.AddCommand<BenchTrainCommand>("train")
            .WithDescription("Trainer images/s vs a bare TorchSharp loop on the same model and tensors (line 'ratio: x.xx', goal >= 0.90); RSS of the last epoch vs epoch 2 (goal within 5 %).")
            .WithExample("bench", "train", "--arch", "resnet18", "--size", "64", "--device", "cpu");
    }
}
