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

    [CommandOption("--onednn-isa <ISA>")]
    [Description("oneDNN's instruction set on CPU: auto (a convolution self-test, cached per machine), full, avx512, avx2 or sse41. Overrides PNEUKNOW_ONEDNN_ISA.")]
    public string? OneDnnIsa { get; init; }

    [CommandOption("--libtorch <DIR>")]
    [Description("Load this libtorch and its libLibTorchSharp.so instead of the package's (a torch install with the shim beside it, or the output of tools/native/build-libtorchsharp.sh); same as PNEUKNOW_LIBTORCH.")]
    public string? LibTorch { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (TorchRuntime.CheckDeviceSpec(Device, "--device") is { } badDevice) return Spectre.Console.ValidationResult.Error(badDevice);
        if (Threads is <= 0) return Spectre.Console.ValidationResult.Error($"--threads: expected a positive count, found {Threads}.");
        if (ThreadCount.Check(Threads) is { Successful: false } tooMany) return tooMany;
        try
        {
            if (OneDnnIsa is not null) PneuKnow.Runtime.OneDnnIsa.Parse(OneDnnIsa, "--onednn-isa");
        }
        catch (ArgumentException e)
        {
            return Spectre.Console.ValidationResult.Error(e.Message);
        }
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

/// <summary>Hands <c>--onednn-isa</c> to the runtime before any command initialises torch.</summary>
sealed class TorchSettingsInterceptor : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        // Before anything else: a value-taking option without its value is a usage error, not a placeholder value.
        // (Where the placeholder already failed binding, CliErrors.Report makes the same check.)
        OptionValues.Check(context.Arguments);
        if (settings is TorchSettings { OneDnnIsa: { } isa })
            PneuKnow.Runtime.OneDnnIsa.Request = PneuKnow.Runtime.OneDnnIsa.Parse(isa, "--onednn-isa");
    }

    public void InterceptResult(CommandContext context, CommandSettings settings, ref int result) { }
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
