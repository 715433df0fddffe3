using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using PneuKnow.Runtime;

namespace PneuKnow.Notebooks;

/// <summary>
/// <see cref="IProgress"/> as one line per cell: a study starts dozens of tasks (data, every run's epochs, scoring), and
/// <see cref="NotebookProgress"/> would show a bar for each; this shows one live line in the cell that started the first
/// task — how many tasks have finished, the elapsed time and the task running now with its bar — and, once every task has
/// finished, a one-line account. A later cell that starts tasks gets a line of its own. Get it with
/// <see cref="NotebookProgress.Line"/>.
/// </summary>
public sealed class NotebookLineProgress : IProgress
{
    readonly object _gate = new();
    readonly string _title;
    readonly TimeSpan _minInterval;
    readonly List<LineTask> _running = [];
    KernelInvocationContext? _context;
    DisplayedValue? _display;
    Stopwatch _clock = new();
    TimeSpan _lastUpdate;
    int _started, _finished;
    string? _last;

    internal NotebookLineProgress(string title, TimeSpan minInterval) => (_title, _minInterval) = (title, minInterval);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Started outside a running notebook cell.</exception>
    public IProgressTask Start(string description, long total)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "total: expected a step count >= 0.");
        var context = KernelInvocationContext.Current
                      ?? throw new InvalidOperationException($"progress '{description}': started outside a running notebook cell.");
        lock (_gate)
        {
            var task = new LineTask(this, description, total);
            bool newCell = !ReferenceEquals(context, _context);
            if (newCell)
            {
                // A new cell: a new line there, counting from zero (a task an earlier cell left open is not this cell's).
                _running.Clear();
                (_context, _started, _finished, _last, _clock) = (context, 0, 0, null, Stopwatch.StartNew());
            }
            _running.Add(task);
            _started++;
            if (newCell)
            {
                _display = context.Display(Html(), HtmlFormatter.MimeType);
                _lastUpdate = _clock.Elapsed;
            }
            else Update(force: false);
            return task;
        }
    }

    /// <summary>The line's HTML: title, finished of started tasks, elapsed time, and the innermost running task with its bar.</summary>
    public static string Render(string title, int finished, int started, TimeSpan elapsed, string? description, long done, long total, string? status, string? last)
    {
        var head = $"<b>{WebUtility.HtmlEncode(title)}</b> {finished}/{started} task(s) done, {elapsed.TotalSeconds:F1} s";
        if (description is null)
            return $"<div>{head}{(last is null ? "" : " &middot; last: " + WebUtility.HtmlEncode(last))}</div>";
        var max = Math.Max(total, 1);
        var tail = status is null ? "" : " &middot; " + WebUtility.HtmlEncode(status);
        return $"<div>{head} &middot; {WebUtility.HtmlEncode(description)} " +
               $"<progress max=\"{max}\" value=\"{Math.Min(done, max)}\" style=\"width:12em\"></progress> {done}/{total}{tail}</div>";
    }

    HtmlString Html()
    {
        var now = _running.LastOrDefault();
        return new(Render(_title, _finished, _started, _clock.Elapsed, now?.Description, now?.Done ?? 0, now?.Total ?? 0, now?.Status, _last));
    }

    void Update(bool force)
    {
        var now = _clock.Elapsed;
        if (!force && now - _lastUpdate < _minInterval) return;
        _lastUpdate = now;
        _display?.Update(Html());
    }

    void Advanced() { lock (_gate) Update(force: false); }

    void Finished(LineTask task)
    {
        lock (_gate)
        {
            if (!_running.Remove(task)) return;
            _finished++;
            _last = task.Description;
            // The last state a reader sees is the account of the whole cell, never a half-drawn bar.
            Update(force: _running.Count == 0);
        }
    }

    sealed class LineTask(NotebookLineProgress owner, string description, long total) : IProgressTask
    {
        public string Description { get; } = description;
        public long Total { get; } = total;
        public long Done { get; private set; }
        public string? Status { get; private set; }
        bool _disposed;

        public void Advance(long steps = 1, string? status = null)
        {
            if (_disposed) throw new ObjectDisposedException($"progress '{Description}'");
            Done += steps;
            if (status is not null) Status = status;
            owner.Advanced();
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            owner.Finished(this);
        }
    }
}
