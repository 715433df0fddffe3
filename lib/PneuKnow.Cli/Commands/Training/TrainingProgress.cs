using PneuKnow.Runtime;
using Spectre.Console;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>
/// Renders the trainer's <see cref="IProgress"/> as one Spectre.Console bar per epoch (loss, accuracy,
/// lr and ETA), kept on screen as a history; without an interactive terminal (CI, pipes) it prints one
/// plain line per finished task instead.
/// </summary>
internal sealed class TrainingProgress : IProgress
{
    readonly ProgressContext? context;
    TrainingProgress(ProgressContext? context) => this.context = context;

    /// <summary>Runs <paramref name="work"/> with live progress.</summary>
    public static T Run<T>(Func<IProgress, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return work(new TrainingProgress(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => { result = work(new TrainingProgress(ctx)); });
        return result;
    }

    public IProgressTask Start(string description, long total) =>
        context is null ? new Line(description) : new Bar(context.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total)), description);

    sealed class Bar(ProgressTask task, string description) : IProgressTask
    {
        public void Advance(long steps = 1, string? status = null)
        {
            if (steps != 0) task.Increment(steps);
            if (status is not null) task.Description = Markup.Escape($"{description}  {status}");
        }

        public void Dispose()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    sealed class Line(string description) : IProgressTask
    {
        string? last;
        readonly DateTime started = DateTime.UtcNow;
        public void Advance(long steps = 1, string? status = null) => last = status ?? last;
        public void Dispose() =>
            Console.Out.WriteLine($"{description}: {last ?? "done"} ({(DateTime.UtcNow - started).TotalSeconds:F1} s)");
    }
}
