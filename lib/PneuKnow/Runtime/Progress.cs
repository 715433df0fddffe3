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
