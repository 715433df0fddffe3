using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary>Registers the data commands.</summary>
internal static class DataCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
