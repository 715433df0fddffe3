using PneuKnow.Cli.Commands.Notebook;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Notebooks;

/// <summary>`pneuknow notebook run` exit codes: 0 all ran, 1 a cell failed, 2 the request itself was wrong.</summary>
[Collection(NotebookCollection.Name)]
public sealed class NotebookRunCommandTests : IDisposable
{
    readonly string _out = NotebookPaths.TempOutput();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    static Task<int> Run(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(c => c.AddBranch("notebook", n => n.AddCommand<NotebookRunCommand>("run")));
        return app.RunAsync(["notebook", "run", .. args]);
    }

    [Fact]
    public async Task A_failing_notebook_exits_1_and_still_writes_the_executed_copy()
    {
        Assert.Equal(1, await Run(NotebookPaths.Fixture("throws-at-cell-3.ipynb"), "-o", _out));
        Assert.True(File.Exists(Path.Combine(_out, "throws-at-cell-3.ipynb")));
    }

    [Fact]
    public async Task A_missing_notebook_in_a_batch_exits_2_before_any_notebook_runs()
    {
        Assert.Equal(2, await Run(NotebookPaths.Fixture("parameters.ipynb"), Path.Combine(_out, "missing.ipynb"), "-o", _out));
        Assert.Empty(Directory.GetFiles(_out));
    }

    [Fact]
    public async Task Parameters_reach_the_notebook_and_success_exits_0()
    {
        Assert.Equal(0, await Run(NotebookPaths.Fixture("parameters.ipynb"), "-p", "epochs=41", "-o", _out));
        Assert.Contains("sum=42", File.ReadAllText(Path.Combine(_out, "parameters.ipynb")));
    }
}
