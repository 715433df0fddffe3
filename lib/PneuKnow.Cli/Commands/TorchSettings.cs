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
            : Spectre.Console.ValidationResult.Success();
}
