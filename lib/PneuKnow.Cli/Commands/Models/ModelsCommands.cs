using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary>Registers the models commands.</summary>
internal static class ModelsCommands
{
    public static void Register(IConfigurator config)
    {
    }

    public static void RegisterBench(IConfigurator<CommandSettings> bench)
    {
    }
}
