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
        // No help example: the examples run as tests, and this command needs a python3 with torch, which CI does not have.
        bench.AddCommand<BenchCompareCommand>("compare")
            .WithDescription("PneuKnow against PyTorch (tools/bench/compare.py under a python3 with torch and torchvision) in interleaved rounds: training step, inference and HKD student step per backbone and precision, same threads, input and recipe; images/s, the ratio, CPU, versions and load. Without such a Python it says how to get one and exits 1.");
    }
}
