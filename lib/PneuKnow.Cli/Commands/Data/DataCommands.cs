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
    }
}
