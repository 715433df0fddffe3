using System.ComponentModel;
using System.Globalization;
using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Models;

/// <summary><c>pneuknow bench models</c>: throughput per backbone against the machine's GEMM rate.</summary>
public sealed class BenchModelsCommand : Command<BenchModelsCommand.Settings>
{
    public sealed class Settings : ZooSettings
    {
        [CommandOption("--batch <N>")]
        [Description("Images per batch (the paper trains with 8).")]
        [DefaultValue(8)]
        public int Batch { get; init; } = 8;

        [CommandOption("--backbones <NAMES>")]
        [Description("Comma-separated architectures (default: all).")]
        public string? Backbones { get; init; }

        [CommandOption("--seconds <S>")]
        [Description("Minimum timed seconds per measurement.")]
        [DefaultValue(2.0)]
        public double Seconds { get; init; } = 2.0;

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error($"--batch: expected a positive count, found {Batch}.")
            : Seconds <= 0 ? ValidationResult.Error($"--seconds: expected a positive duration, found {Seconds}.")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var names = settings.Backbones is null
            ? BackboneZoo.Names.ToList()
            : settings.Backbones.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var unknown = names.Where(n => !BackboneZoo.Names.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"--backbones: unknown {string.Join(", ", unknown)}; expected names from {string.Join(", ", BackboneZoo.Names)}.");
            return 2;
        }
        // In the script formats stdout holds the table alone.
        var notes = settings.Format == OutputFormat.Table ? Console.Out : Console.Error;
        var runtime = TorchRuntime.Initialize(settings.Device, settings.Threads);
        var device = TorchRuntime.Device;
        notes.WriteLine($"machine: {runtime.DeviceDescription}, {runtime.Threads} threads, TorchSharp {runtime.TorchSharpVersion}, libtorch {runtime.LibTorchVersion}, {Environment.OSVersion}");
        double gemm = BackboneBenchmark.GemmGFlops(device);
        notes.WriteLine($"baseline: float32 GEMM (torch.mm 2048×2048) {gemm.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s");
        notes.WriteLine($"input: batch {settings.Batch} × 3 × {settings.Size} × {settings.Size}");

        // On screen rounded rates and MFU as a percentage; in csv/json the raw numbers (MFU as a fraction of the GEMM rate).
        var table = new TextTable(
            new TableColumn("backbone", "backbone"), new TableColumn("GFLOPs/img", "gflops_per_image"),
            new TableColumn("forward img/s", "forward_images_per_second"), new TableColumn("fwd+bwd img/s", "train_images_per_second"),
            new TableColumn("forward MFU", "forward_mfu"), new TableColumn("fwd+bwd MFU", "train_mfu"));
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var model = BackboneZoo.Create(new BackboneOptions(name, 5, Dropout: 0));
            model.to(device);
            var complexity = BackboneComplexity.Measure(model, settings.Size);
            var t = BackboneBenchmark.Measure(model, complexity, gemm, settings.Batch, settings.Size, settings.Seconds);
            // One line as soon as a backbone is done: a full CPU run takes minutes.
            Console.Error.WriteLine(FormattableString.Invariant($"{name}: forward {t.ForwardImagesPerSecond:F2} img/s, forward+backward {t.TrainImagesPerSecond:F2} img/s"));
            table.Add(name,
                Cell.Number(complexity.ForwardGFlops, "F2"),
                Cell.Number(t.ForwardImagesPerSecond, "F1"),
                Cell.Number(t.TrainImagesPerSecond, "F1"),
                Cell.Number(t.ForwardUtilisation, "P1"),
                Cell.Number(t.TrainUtilisation, "P1"));
        }
        table.Write(settings.Format, ["MFU = images/s × GFLOPs per image (×3 for forward+backward) ÷ GEMM GFLOP/s."]);
        // The baseline again: if the machine's speed changed during the run (shared cores), the ratios are not trustworthy.
        double after = BackboneBenchmark.GemmGFlops(device);
        notes.WriteLine($"baseline after the run: {after.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s" +
            (Math.Abs(after - gemm) > 0.2 * Math.Max(after, gemm) ? " — differs by more than 20 % from the start: the machine is shared or throttling; rerun on an idle machine." : ""));
        return 0;
    }
}
