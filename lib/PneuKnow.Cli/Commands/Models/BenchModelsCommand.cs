using System.ComponentModel;
using System.Globalization;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
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

        [CommandOption("--precision <LIST>")]
        [Description("Comma-separated precisions to compare, each backbone measured in all of them one after the other: fp32, bf16-mixed, fp16-mixed.")]
        [DefaultValue("fp32")]
        public string Precision { get; init; } = "fp32";

        [CommandOption("--seconds <S>")]
        [Description("Minimum timed seconds per measurement.")]
        [DefaultValue(2.0)]
        public double Seconds { get; init; } = 2.0;

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error($"--batch: expected a positive count, found {Batch}.")
            : Seconds <= 0 ? ValidationResult.Error($"--seconds: expected a positive duration, found {Seconds}.")
            : PrecisionList.TryParse(Precision, "--precision", out _) is { } error ? ValidationResult.Error(error)
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
        PrecisionList.TryParse(settings.Precision, "--precision", out var precisions);
        if (PrecisionList.Refusal(precisions, device) is { } refused)
        {
            Console.Error.WriteLine(refused);
            return 2;
        }
        double gemm = BackboneBenchmark.GemmGFlops(device);
        notes.WriteLine($"baseline: float32 GEMM (torch.mm 2048×2048) {gemm.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s");
        // The ceilings of each lowered type on this machine: a GEMM and the 3×3 convolution that dominates a ResNet.
        var ceilings = new Dictionary<PneuKnow.Training.Precision, double> { [PneuKnow.Training.Precision.Float32] = gemm };
        double conv32 = BackboneBenchmark.ConvGFlops(device);
        foreach (var p in precisions.Where(p => p.AutocastType() is not null))
        {
            var type = p.AutocastType()!.Value;
            ceilings[p] = BackboneBenchmark.GemmGFlops(device, dtype: type);
            double conv = BackboneBenchmark.ConvGFlops(device, type);
            notes.WriteLine(FormattableString.Invariant(
                $"baseline: {type} GEMM {ceilings[p]:F1} GFLOP/s ({ceilings[p] / gemm:F2}× float32); 3×3 convolution N8 C128 56² {conv:F1} GFLOP/s against {conv32:F1} in float32 ({conv / conv32:F2}×)"));
        }
        notes.WriteLine($"input: batch {settings.Batch} × 3 × {settings.Size} × {settings.Size}");

        // On screen rounded rates and MFU as a percentage; in csv/json the raw numbers (MFU as a fraction of the GEMM rate).
        var table = new TextTable(
            new TableColumn("backbone", "backbone"), new TableColumn("precision", "precision"), new TableColumn("GFLOPs/img", "gflops_per_image"),
            new TableColumn("forward img/s", "forward_images_per_second"), new TableColumn("fwd+bwd img/s", "train_images_per_second"),
            new TableColumn("forward MFU", "forward_mfu"), new TableColumn("fwd+bwd MFU", "train_mfu"));
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var model = BackboneZoo.Create(new BackboneOptions(name, 5, Dropout: 0));
            model.to(device);
            var complexity = BackboneComplexity.Measure(model, settings.Size);
            foreach (var precision in precisions)
            {
                var t = BackboneBenchmark.Measure(model, complexity, ceilings[precision], settings.Batch, settings.Size, settings.Seconds, precision.AutocastType());
                // One line as soon as a backbone is done: a full CPU run takes minutes.
                Console.Error.WriteLine(FormattableString.Invariant($"{name} {SnakeCase.Of(precision)}: forward {t.ForwardImagesPerSecond:F2} img/s, forward+backward {t.TrainImagesPerSecond:F2} img/s"));
                table.Add(name, SnakeCase.Of(precision),
                    Cell.Number(complexity.ForwardGFlops, "F2"),
                    Cell.Number(t.ForwardImagesPerSecond, "F1"),
                    Cell.Number(t.TrainImagesPerSecond, "F1"),
                    Cell.Number(t.ForwardUtilisation, "P1"),
                    Cell.Number(t.TrainUtilisation, "P1"));
            }
        }
        table.Write(settings.Format, ["MFU = images/s × GFLOPs per image (×3 for forward+backward) ÷ the GEMM GFLOP/s of the precision's type (float32 GEMM for fp32, bfloat16 GEMM for bf16-mixed, float16 GEMM for fp16-mixed)."]);
        // The baseline again: if the machine's speed changed during the run (shared cores), the ratios are not trustworthy.
        double after = BackboneBenchmark.GemmGFlops(device);
        notes.WriteLine($"baseline after the run: {after.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s" +
            (Math.Abs(after - gemm) > 0.2 * Math.Max(after, gemm) ? " — differs by more than 20 % from the start: the machine is shared or throttling; rerun on an idle machine." : ""));
        return 0;
    }
}
