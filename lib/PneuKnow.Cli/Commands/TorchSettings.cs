using System.ComponentModel;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands;

/// <summary>Options shared by every command that uses torch.</summary>
public class TorchSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when available), cpu, cuda or cuda:N.")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    [CommandOption("--threads <N>")]
    [Description("Intra-op CPU threads (default: all cores).")]
    public int? Threads { get; init; }

    public override Spectre.Console.ValidationResult Validate() =>
        Threads is <= 0
            ? Spectre.Console.ValidationResult.Error($"--threads: expected a positive count, found {Threads}.")
            : ThreadCount.Check(Threads);
}

/// <summary>The one check of every <c>--threads</c> option.</summary>
public static class ThreadCount
{
    /// <summary>
    /// Refuses more threads than the machine has cores: oversubscribed CPU kernels run slower, not faster, and
    /// <c>--threads 1000</c> on two cores is a typo, not a plan. Null or 0 (all cores) pass.
    /// </summary>
    public static Spectre.Console.ValidationResult Check(int? threads, int? cores = null)
    {
        int available = cores ?? Environment.ProcessorCount;
        return threads > available
            ? Spectre.Console.ValidationResult.Error($"--threads: expected at most {available} (the cores this process may use), found {threads}.")
            : Spectre.Console.ValidationResult.Success();
    }
}
