using System.ComponentModel;
using System.Diagnostics;
using PneuKnow.Augmentation;
using PneuKnow.Runtime;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Cli.Commands.Augmentation;

/// <summary>
/// <c>pneuknow bench pipeline</c>: throughput of each named pipeline through the <see cref="BatchLoader"/>
/// (augmentation + batch assembly into tensors) with <c>none</c> (assembly only) as the baseline, then the
/// share of a small CNN's CPU training step spent waiting for the prefetching loader.
/// </summary>
public sealed class BenchPipelineCommand : Command<BenchPipelineCommand.Settings>
{
    public sealed class Settings : TorchSettings
    {
        [CommandOption("--size <PX>")]
        [Description("Side length of the pictures (default 224, the paper's).")]
        [DefaultValue(224)]
        public int Size { get; init; } = 224;

        [CommandOption("--images <N>")]
        [Description("Synthetic in-memory pictures to draw from (default 64).")]
        [DefaultValue(64)]
        public int Images { get; init; } = 64;

        [CommandOption("--batch <N>")]
        [Description("Batch size (default 8, the paper's).")]
        [DefaultValue(8)]
        public int Batch { get; init; } = 8;

        [CommandOption("--seconds <S>")]
        [Description("Minimum measuring time per pipeline (default 3).")]
        [DefaultValue(3.0)]
        public double Seconds { get; init; } = 3.0;

        [CommandOption("--steps <N>")]
        [Description("Training steps measured for the data-wait share (default 30).")]
        [DefaultValue(30)]
        public int Steps { get; init; } = 30;

        [CommandOption("--workers <N>")]
        [Description("Loader threads (default 0: all cores).")]
        [DefaultValue(0)]
        public int Workers { get; init; }

        public override Spectre.Console.ValidationResult Validate()
        {
            var b = base.Validate();
            if (!b.Successful) return b;
            if (Size <= 0) return Spectre.Console.ValidationResult.Error($"--size: expected a positive side length, found {Size}.");
            if (Images <= 0) return Spectre.Console.ValidationResult.Error($"--images: expected a positive count, found {Images}.");
            if (Batch <= 0 || Batch > Images) return Spectre.Console.ValidationResult.Error($"--batch: expected 1..{Images} (--images), found {Batch}.");
            if (!(Seconds > 0)) return Spectre.Console.ValidationResult.Error($"--seconds: expected a positive time, found {Seconds}.");
            if (Steps <= 0) return Spectre.Console.ValidationResult.Error($"--steps: expected a positive count, found {Steps}.");
            if (Workers < 0) return Spectre.Console.ValidationResult.Error($"--workers: expected 0 (all cores) or a positive count, found {Workers}.");
            return Spectre.Console.ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var runtime = TorchRuntime.Initialize(settings.Device, settings.Threads);
        var o = Console.Out;
        o.WriteLine($"machine: {BenchMachine.CpuModel()}, {Environment.ProcessorCount} logical cores, load average {BenchMachine.LoadAverage(1)} before the run (other processes share these cores)");
        o.WriteLine($"torch: {runtime.DeviceDescription}, {runtime.Threads} threads; loader workers: {(settings.Workers == 0 ? Environment.ProcessorCount : settings.Workers)}");
        o.WriteLine($"data: {settings.Images} synthetic {settings.Size}×{settings.Size} pictures in memory, batch {settings.Batch}");

        var set = new SyntheticChestSet(settings.Images, settings.Size);
        var workers = settings.Workers == 0 ? Environment.ProcessorCount : settings.Workers;
        var cores = Math.Min(workers, Environment.ProcessorCount);
        o.WriteLine($"images/s is wall clock (what this machine delivers now); per CPU-second counts only this process's CPU time, so it does not drop when other processes take the cores, and x{cores} projects it onto {cores} free cores");
        var rates = new Dictionary<AugmentationKind, double>();
        var perCpu = new Dictionary<AugmentationKind, double>();
        foreach (var kind in new[] { AugmentationKind.None, AugmentationKind.Valid, AugmentationKind.Weak, AugmentationKind.Strong })
        {
            var pipeline = AugmentationPipeline.Create(kind, settings.Size);
            var name = pipeline.Name;
            var loader = new BatchLoader(set, pipeline,
                new BatchLoaderOptions(BatchSize: settings.Batch, Seed: 1, DropLast: true, Workers: settings.Workers));
            (rates[kind], perCpu[kind]) = ImagesPerSecond(loader, settings.Seconds);
            var ratio = kind == AugmentationKind.None ? "the baseline: batch assembly only" : $"{perCpu[AugmentationKind.None] / perCpu[kind]:0.00}× the CPU cost of none";
            o.WriteLine($"{name}: {rates[kind]:0} images/s ({perCpu[kind]:0} per CPU-second, x{cores} = {perCpu[kind] * cores:0} images/s on {cores} free cores; {ratio})");
        }
        var projected = perCpu[AugmentationKind.Strong] * cores;
        o.WriteLine($"target: strong at 224 px >= 400 images/s on 2 cores -> measured {rates[AugmentationKind.Strong]:0} images/s under the current load ({(rates[AugmentationKind.Strong] >= 400 ? "met" : "not met")}), projected {projected:0} on {cores} free cores ({(projected >= 400 ? "met" : "not met")}) at {settings.Size} px");

        var (stepMs, waitMs) = TrainingStepWait(set, settings);
        var share = waitMs / (stepMs + waitMs);
        o.WriteLine($"data wait: {share:P1} of a CPU training step (strong pipeline; compute {stepMs:0.0} ms, waiting {waitMs:0.00} ms per step; 3-conv CNN forward+backward+Adam, batch {settings.Batch})");
        o.WriteLine($"target: wait < 5 % of a CPU step -> {(share < 0.05 ? "met" : "NOT met")}");
        return 0;
    }

    static (double Wall, double PerCpuSecond) ImagesPerSecond(BatchLoader loader, double seconds)
    {
        // Warm-up epochs (JIT tiers, thread pool), then whole epochs until the time is spent.
        for (var e = 0; e < 2; e++)
            foreach (var b in loader.Epoch(1000 + e)) b.Dispose();
        var images = 0L;
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var epoch = 1; clock.Elapsed.TotalSeconds < seconds; epoch++)
            foreach (var b in loader.Epoch(epoch))
            {
                images += b.Size;
                b.Dispose();
            }
        var wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        return (images / wall, images / cpu);
    }

    static (double StepMs, double WaitMs) TrainingStepWait(SyntheticChestSet set, Settings settings)
    {
        torch.manual_seed(0);
        var device = TorchRuntime.Device;
        using var model = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride: 2, padding: 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, set.Classes.Count));
        model.to(device);
        using var optimizer = optim.Adam(model.parameters(), 1e-4);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.Strong, settings.Size),
            new BatchLoaderOptions(BatchSize: settings.Batch, Seed: 1, DropLast: true, Workers: settings.Workers), device);
        const int warmup = 3;
        double wait = 0, compute = 0;
        int measured = 0, steps = 0;
        var clock = new Stopwatch();
        for (var epoch = 0; measured < settings.Steps; epoch++)
        {
            using var batches = loader.Epoch(epoch).GetEnumerator();
            while (measured < settings.Steps)
            {
                clock.Restart();
                if (!batches.MoveNext()) break;
                var waited = clock.Elapsed.TotalMilliseconds;
                using var batch = batches.Current;
                clock.Restart();
                using (NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(batch.Image), batch.Label);
                    loss.backward();
                    optimizer.step();
                }
                var computed = clock.Elapsed.TotalMilliseconds;
                // The first steps pay for JIT, allocator growth and the loader's cold start.
                if (++steps <= warmup) continue;
                wait += waited;
                compute += computed;
                measured++;
            }
        }
        return (compute / measured, wait / measured);
    }
}
