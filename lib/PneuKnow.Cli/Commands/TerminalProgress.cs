using PneuKnow.Runtime;
using Spectre.Console;

namespace PneuKnow.Cli.Commands;

/// <summary>
/// <see cref="IProgress"/> as Spectre.Console progress bars: one bar per started task, with its status text
/// (loss, accuracy, lr...) in the description. Spectre's progress display is scoped, so the work runs inside
/// <see cref="RunAsync"/>.
/// </summary>
public sealed class TerminalProgress : IProgress
{
    readonly ProgressContext _context;

    TerminalProgress(ProgressContext context) => _context = context;

    /// <summary>Runs <paramref name="work"/> with live progress bars on <paramref name="console"/> (default: the terminal).</summary>
    public static Task<T> RunAsync<T>(Func<IProgress, Task<T>> work, IAnsiConsole? console = null) =>
        (console ?? AnsiConsole.Console).Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(context => work(new TerminalProgress(context)));

    /// <summary>
    /// Runs synchronous <paramref name="work"/> with live progress bars; when the terminal is not
    /// interactive (piped, CI) every finished task prints one plain line to stderr instead, so logs stay readable
    /// and redirected stdout holds only results.
    /// </summary>
    public static T Run<T>(Func<IProgress, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return work(PlainLines.Instance);
        return RunAsync(p => System.Threading.Tasks.Task.FromResult(work(p))).GetAwaiter().GetResult();
    }

    sealed class PlainLines : IProgress
    {
        public static readonly PlainLines Instance = new();
        public IProgressTask Start(string description, long total) => new Line(description);

        sealed class Line(string description) : IProgressTask
        {
            string? last;
            readonly DateTime started = DateTime.UtcNow;
            public void Advance(long steps = 1, string? status = null) => last = status ?? last;
            public void Dispose() => Console.Error.WriteLine(Line(description, last, DateTime.UtcNow - started));
        }
    }

    /// <summary>
    /// The line a finished task prints when the terminal is not interactive: its description (which names what it refers
    /// to), its last status or <c>done</c>, and how long it took, e.g.
    /// <c>[unit 1/2 · cntk_resnet18 · clean · student · run 1/1] epoch 2/2 (study 1 min, about 20 s left): loss 0.52 … (5.2 s)</c>.
    /// </summary>
    public static string Line(string description, string? status, TimeSpan took) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{description}: {status ?? "done"} ({took.TotalSeconds:F1} s)");

    /// <inheritdoc />
    public IProgressTask Start(string description, long total)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "total: expected a step count >= 0.");
        return new BarTask(_context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1)), description, total);
    }

    sealed class BarTask(ProgressTask bar, string description, long total) : IProgressTask
    {
        public void Advance(long steps = 1, string? status = null)
        {
            bar.Increment(steps);
            if (status is not null) bar.Description = Markup.Escape($"{description} · {status}");
        }

        public void Dispose()
        {
            if (total == 0) bar.Value = bar.MaxValue;
            bar.StopTask();
        }
    }
}
