using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Reproduce;

/// <summary>Registers the reproduce commands.</summary>
internal static class ReproduceCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
