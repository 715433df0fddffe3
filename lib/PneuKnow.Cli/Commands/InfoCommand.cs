using PneuKnow.Runtime;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands;

/// <summary><c>pneuknow info</c>: what torch this process runs on.</summary>
public sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : TorchSettings
    {
        [System.ComponentModel.Description("Also list every native path tried.")]
        [CommandOption("--verbose")]
        public bool Verbose { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var r = TorchRuntime.Initialize(settings.Device, settings.Threads);
        // Plain lines, not markup: paths must not be wrapped or re-styled when piped.
        var o = Console.Out;
        o.WriteLine($"TorchSharp: {r.TorchSharpVersion}");
        o.WriteLine($"libtorch:   {r.LibTorchVersion}");
        o.WriteLine($"device:     {r.DeviceDescription}");
        o.WriteLine($"threads:    {r.Threads}");
        o.WriteLine($"native:     {r.NativeStatus}");
        o.WriteLine($"loaded:     {r.LibTorchPath}");
        o.WriteLine($"oneDNN ISA: {(OneDnnIsa.Current is { } isa ? isa.ToString() : "not decided (not Linux x64)")}");
        o.WriteLine($"malloc:     {MallocArenas.Describe()}");
        o.WriteLine($"cuda:       {r.Cuda}");
        o.WriteLine($"gpu:        {r.Gpu ?? "none (device is the CPU)"}");
        if (settings.Verbose)
            foreach (var a in r.Attempts) o.WriteLine($"  tried {a}");
        return 0;
    }
}
