using System.ComponentModel;
using PneuKnow.Runtime;
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

    [CommandOption("--libtorch <DIR>")]
    [Description("Load this libtorch and its libLibTorchSharp.so instead of the package's (a torch install with the shim beside it, or the output of tools/native/build-libtorchsharp.sh); same as PNEUKNOW_LIBTORCH.")]
    public string? LibTorch { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Threads is <= 0)
            return Spectre.Console.ValidationResult.Error($"--threads: expected a positive count, found {Threads}.");
        if (LibTorch is { } dir)
        {
            if (!Directory.Exists(dir))
                return Spectre.Console.ValidationResult.Error($"--libtorch: expected a directory, found no directory at '{dir}'.");
            // Through the environment, not a parameter: TorchRuntime reads it at the first load, and reproduce's
            // worker processes inherit it, so every process of a run uses the same libtorch.
            Environment.SetEnvironmentVariable(SiteLibTorch.EnvironmentVariable, Path.GetFullPath(dir));
        }
        return Spectre.Console.ValidationResult.Success();
    }
}
