using System.ComponentModel;
using PneuKnow.Notebooks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Notebook;

/// <summary><c>pneuknow notebook run &lt;notebooks...&gt; [-p key=value]... [-o folder]</c>.</summary>
public sealed class NotebookRunCommand : AsyncCommand<NotebookRunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<NOTEBOOKS>")]
        [Description("The .ipynb files to run, in order.")]
        public string[] Notebooks { get; init; } = [];

        [CommandOption("-p|--parameter <KEY=VALUE>")]
        [Description("Override a variable of the cell tagged 'parameters' (repeatable), e.g. -p preset=quick.")]
        public string[] Parameters { get; init; } = [];

        [CommandOption("-o|--output <FOLDER>")]
        [Description("Folder for the executed notebooks.")]
        [DefaultValue("results/notebooks")]
        public string Output { get; init; } = "results/notebooks";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The kernel redirects Console.Out while a cell runs; report through the writer this process started with.
        var stdout = Console.Out;
        var stderr = Console.Error;
        IReadOnlyDictionary<string, string> parameters;
        try
        {
            parameters = NotebookParameters.ParsePairs(settings.Parameters);
            // A typo in the last of several notebooks should not cost the runs before it.
            foreach (var notebook in settings.Notebooks) NotebookRunner.CheckPath(notebook);
        }
        catch (NotebookRunException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        // Live bars on a terminal; one line per cell when the output is a log or a pipe.
        bool live = console.Profile.Capabilities.Interactive;
        var results = new List<NotebookRunResult>();
        foreach (var notebook in settings.Notebooks)
        {
            stdout.WriteLine($"{notebook}:");
            NotebookRunResult result;
            try
            {
                var request = new NotebookRunRequest(notebook, settings.Output, parameters);
                result = live
                    ? await TerminalProgress.RunAsync(progress => NotebookRunner.RunAsync(request, null, progress, cancellationToken), console)
                    : await NotebookRunner.RunAsync(request, stdout, null, cancellationToken);
            }
            catch (NotebookRunException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 2;
            }
            results.Add(result);
            if (!result.Succeeded)
            {
                stderr.WriteLine(result.Describe());
                return 1;
            }
            stdout.WriteLine(result.Describe());
        }
        var table = new Table().AddColumns("notebook", "code cells", "seconds", "executed copy");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.NotebookPath), r.CodeCellsRun.ToString(), $"{r.Elapsed.TotalSeconds:F1}", Markup.Escape(r.OutputPath));
        console.Write(table);
        return 0;
    }
}
