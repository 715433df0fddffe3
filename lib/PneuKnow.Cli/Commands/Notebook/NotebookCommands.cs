using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Notebook;

/// <summary>Registers the notebook commands.</summary>
internal static class NotebookCommands
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("notebook", notebook =>
        {
            notebook.SetDescription("Polyglot notebooks (notebooks/*.ipynb).");
            notebook.AddCommand<NotebookRunCommand>("run")
                .WithDescription("Run notebooks headlessly, cell by cell, and write the executed copies with their outputs. Stops at the first failing cell.")
                .WithExample("notebook", "run", "notebooks/00-getting-started.ipynb", "-p", "preset=smoke", "-o", "results/notebooks");
        });
    }
}
