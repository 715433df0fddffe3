using PneuKnow.Runtime;
using Spectre.Console;

namespace PneuKnow.Cli.Commands.Data;

/// <summary>Renders <see cref="IProgress"/> as Spectre.Console progress bars for the duration of <see cref="Run"/>.</summary>
internal sealed class TerminalProgress : IProgress
{
    private readonly ProgressContext _context;
    private TerminalProgress(ProgressContext context) => _context = context;

    /// <summary>Runs <paramref name="work"/> with live progress bars (plain output when the terminal is not interactive).</summary>
    public static T Run<T>(Func<IProgress, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return work(SilentProgress.Instance);
        T result = default!;
        AnsiConsole.Progress().AutoClear(true).Start(ctx => { result = work(new TerminalProgress(ctx)); });
        return result;
    }

    public IProgressTask Start(string description, long total) => new Task(_context.AddTask(description, maxValue: Math.Max(1, total)));

    private sealed class Task(ProgressTask task) : IProgressTask
    {
        public void Advance(long steps = 1, string? status = null)
        {
            task.Increment(steps);
            if (status is not null) task.Description = status;
        }

        public void Dispose() => task.StopTask();
    }
}
