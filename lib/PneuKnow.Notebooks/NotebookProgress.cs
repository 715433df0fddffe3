using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using PneuKnow.Runtime;

namespace PneuKnow.Notebooks;

/// <summary>
/// <see cref="IProgress"/> for notebooks: each task is one live-updating HTML bar in the cell's output
/// (<see cref="DisplayedValue.Update"/>). Get it in one call: <c>var progress = NotebookProgress.Create();</c>
/// </summary>
/// <remarks>Updates are throttled so that a task of thousands of steps does not flood the notebook front end;
/// the first and last states are always shown.</remarks>
public sealed class NotebookProgress : IProgress
{
    readonly TimeSpan _minInterval;

    NotebookProgress(TimeSpan minInterval) => _minInterval = minInterval;

    /// <summary>A progress sink for the cell that is running now.</summary>
    /// <param name="minIntervalMs">Smallest time between two display updates of one task.</param>
    /// <exception cref="InvalidOperationException">Not called from a running notebook cell.</exception>
    public static NotebookProgress Create(int minIntervalMs = 250)
    {
        if (KernelInvocationContext.Current is null)
            throw new InvalidOperationException("NotebookProgress.Create() must be called from a running notebook cell; outside notebooks use the CLI's progress bars or SilentProgress.");
        return new NotebookProgress(TimeSpan.FromMilliseconds(minIntervalMs));
    }

    /// <summary>
    /// A progress sink that shows one line per cell instead of one bar per task (<see cref="NotebookLineProgress"/>): what the
    /// study chapters pass to <c>StudyNotebook.Open</c>, whose training and scoring start dozens of tasks.
    /// </summary>
    /// <param name="title">What the line is about, e.g. <c>study</c>.</param>
    /// <param name="minIntervalMs">Smallest time between two display updates.</param>
    /// <exception cref="InvalidOperationException">Not called from a running notebook cell.</exception>
    public static NotebookLineProgress Line(string title = "progress", int minIntervalMs = 250)
    {
        if (KernelInvocationContext.Current is null)
            throw new InvalidOperationException("NotebookProgress.Line() must be called from a running notebook cell; outside notebooks use the CLI's progress bars or SilentProgress.");
        return new NotebookLineProgress(title, TimeSpan.FromMilliseconds(minIntervalMs));
    }

    /// <inheritdoc />
    public IProgressTask Start(string description, long total)
    {
        if (total < 0) throw new ArgumentOutOfRangeException(nameof(total), total, "total: expected a step count >= 0.");
        var context = KernelInvocationContext.Current
                      ?? throw new InvalidOperationException($"progress '{description}': started outside a running notebook cell.");
        return new Task(context, description, total, _minInterval);
    }

    /// <summary>The HTML of a bar: the description, a &lt;progress&gt; element, steps done and the status text.</summary>
    public static string Render(string description, long done, long total, string? status, TimeSpan elapsed, bool finished)
    {
        var max = Math.Max(total, 1);
        var value = Math.Min(done, max);
        var percent = total == 0 ? 100 : 100.0 * value / max;
        var tail = status is null ? "" : " &middot; " + WebUtility.HtmlEncode(status);
        var state = finished ? "done" : $"{percent:F0} %";
        return $"<div><b>{WebUtility.HtmlEncode(description)}</b> " +
               $"<progress max=\"{max}\" value=\"{value}\" style=\"width:20em\"></progress> " +
               $"{done}/{total} ({state}, {elapsed.TotalSeconds:F1} s){tail}</div>";
    }

    sealed class Task : IProgressTask
    {
        readonly string _description;
        readonly long _total;
        readonly TimeSpan _minInterval;
        readonly DisplayedValue _display;
        readonly Stopwatch _clock = Stopwatch.StartNew();
        TimeSpan _lastUpdate = TimeSpan.Zero; // the initial display counts as the first update
        long _done;
        string? _status;
        bool _disposed;

        public Task(KernelInvocationContext context, string description, long total, TimeSpan minInterval)
        {
            _description = description;
            _total = total;
            _minInterval = minInterval;
            _display = context.Display(Html(finished: false), HtmlFormatter.MimeType);
        }

        // IHtmlContent is shown as markup; a plain string would be shown as text.
        HtmlString Html(bool finished) => new(Render(_description, _done, _total, _status, _clock.Elapsed, finished));

        public void Advance(long steps = 1, string? status = null)
        {
            if (_disposed) throw new ObjectDisposedException($"progress '{_description}'");
            _done += steps;
            if (status is not null) _status = status;
            var now = _clock.Elapsed;
            if (now - _lastUpdate < _minInterval && _done < _total) return;
            _lastUpdate = now;
            _display.Update(Html(finished: false));
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _display.Update(Html(finished: true));
        }
    }
}
