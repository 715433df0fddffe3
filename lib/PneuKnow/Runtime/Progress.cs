namespace PneuKnow.Runtime;

/// <summary>
/// The one progress abstraction for long work: the CLI renders it as Spectre.Console progress
/// bars, notebooks as a live-updating display, tests and batch jobs ignore it.
/// </summary>
public interface IProgress
{
    /// <summary>Starts a task of <paramref name="total"/> steps (e.g. batches of an epoch).</summary>
    IProgressTask Start(string description, long total);
}

/// <summary>One running task; dispose it when the task ends.</summary>
public interface IProgressTask : IDisposable
{
    /// <summary>Advances by <paramref name="steps"/> and optionally replaces the status text (loss, accuracy, lr...).</summary>
    void Advance(long steps = 1, string? status = null);
}

/// <summary>Progress that goes nowhere.</summary>
public sealed class SilentProgress : IProgress, IProgressTask
{
    /// <summary>The shared instance.</summary>
    public static readonly SilentProgress Instance = new();
    /// <inheritdoc />
    public IProgressTask Start(string description, long total) => this;
    /// <inheritdoc />
    public void Advance(long steps = 1, string? status = null) { }
    /// <inheritdoc />
    public void Dispose() { }
}

/// <summary>
/// Progress whose task descriptions are rewritten before they reach <see cref="Inner"/>: a study prefixes every task with
/// the unit or run it belongs to and appends its clock, so that a line such as <c>decode …: done</c> says what it refers to.
/// </summary>
/// <param name="Inner">Where the relabelled tasks go.</param>
/// <param name="Relabel">From the description a task is started with to the one shown.</param>
public sealed record RelabelledProgress(IProgress Inner, Func<string, string> Relabel) : IProgress
{
    /// <summary>Progress that shows every description after <paramref name="label"/> and a space; <paramref name="inner"/> itself when the label is empty.</summary>
    public static IProgress Prefixed(IProgress inner, string label) =>
        label.Length == 0 || inner is SilentProgress ? inner : new RelabelledProgress(inner, d => $"{label} {d}");

    /// <inheritdoc />
    public IProgressTask Start(string description, long total) => Inner.Start(Relabel(description), total);
}

/// <summary>The pieces of progress text that several stages share, so that every line reads alike.</summary>
public static class ProgressText
{
    /// <summary>
    /// A bracketed label from its parts, joined by " · ": <c>[unit 3/10 · resnet18 · shortcut · student · run 1/3]</c>;
    /// empty parts are left out.
    /// </summary>
    public static string Label(params string?[] parts) => $"[{string.Join(" · ", parts.Where(p => !string.IsNullOrEmpty(p)))}]";

    /// <summary>A count out of a total, both 1-based for people: item 0 of 3 is <c>1/3</c>.</summary>
    public static string OneBased(int index, int count) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{index + 1}/{count}");

    /// <summary>A duration as people read it: <c>42 s</c> under a minute, <c>14 min</c> under an hour, <c>2 h 05 min</c> above.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (t.TotalSeconds < 59.5) return string.Create(inv, $"{Math.Round(t.TotalSeconds):0} s");
        if (t.TotalMinutes < 59.5) return string.Create(inv, $"{Math.Round(t.TotalMinutes):0} min");
        var minutes = (long)Math.Round(t.TotalMinutes);
        return string.Create(inv, $"{minutes / 60} h {minutes % 60:00} min");
    }
}
