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

    [CommandOption("--onednn-isa <ISA>")]
    [Description("oneDNN's instruction set on CPU: auto (a convolution self-test, cached per machine), full, avx512, avx2 or sse41. Overrides PNEUKNOW_ONEDNN_ISA.")]
    public string? OneDnnIsa { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Threads is <= 0) return Spectre.Console.ValidationResult.Error($"--threads: expected a positive count, found {Threads}.");
        try
        {
            if (OneDnnIsa is not null) PneuKnow.Runtime.OneDnnIsa.Parse(OneDnnIsa, "--onednn-isa");
        }
        catch (ArgumentException e)
        {
            return Spectre.Console.ValidationResult.Error(e.Message);
        }
        return Spectre.Console.ValidationResult.Success();
    }
}

/// <summary>Hands <c>--onednn-isa</c> to the runtime before any command initialises torch.</summary>
sealed class TorchSettingsInterceptor : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is TorchSettings { OneDnnIsa: { } isa })
            PneuKnow.Runtime.OneDnnIsa.Request = PneuKnow.Runtime.OneDnnIsa.Parse(isa, "--onednn-isa");
    }

    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result) { }
}
