using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary>Registers the data commands.</summary>
internal static class DataCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<SynthCommand>("synth")
            .WithDescription("Write an annotated chest X-ray phantom in the authors' layout (raw/, roi/, masks/, manifest.csv).")
            .WithExample("synth", "--out", "data/generated/smoke", "--images", "200", "--size", "128");
        config.AddBranch("data", data =>
        {
            data.SetDescription("Check manifests and assign patient-level splits.");
            data.AddCommand<DataCheckCommand>("check")
                .WithDescription("Validate a manifest and its annotations; print class and split counts.")
                .WithExample("data", "check", "--manifest", "data/generated/smoke/manifest.csv", "--decode", "128");
            data.AddCommand<DataSplitCommand>("split")
                .WithDescription("Write a manifest with patient-level, class-stratified splits (or carve a test split).")
                .WithExample("data", "split", "--manifest", "data/generated/smoke/manifest.csv", "--out", "data/generated/smoke/manifest-split.csv", "--fractions", "0.6,0.2,0.2");
        });
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
        bench.AddCommand<BenchDataCommand>("data")
            .WithDescription("Phantom generation and image-store throughput (cold and cached) against a plain-decode baseline.");
    }
}
