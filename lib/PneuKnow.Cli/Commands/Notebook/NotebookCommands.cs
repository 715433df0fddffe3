using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Notebook;

/// <summary>Registers the notebook commands.</summary>
internal static class NotebookCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
