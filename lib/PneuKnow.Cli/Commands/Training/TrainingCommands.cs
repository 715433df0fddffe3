using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>Registers the training commands.</summary>
internal static class TrainingCommands
{
    public static void Register(IConfigurator config)
    {
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
    }
}
