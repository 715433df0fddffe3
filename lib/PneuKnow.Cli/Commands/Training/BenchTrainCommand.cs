using System.ComponentModel;
using System.Diagnostics;
using PneuKnow.Augmentation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using PneuKnow.Distillation;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>
/// <c>pneuknow bench train</c>: the trainer's images/s against a bare TorchSharp loop (same model, same
/// pre-made tensors, same process), and the process memory at the end of the last epoch against epoch 2.
/// </summary>
public sealed class BenchTrainCommand : Command<BenchTrainCommand.Settings>
{
    public sealed class Settings : TorchSettings
    {
        [CommandOption("--arch <NAME>")]
        [Description("Backbone (timm name).")]
        [DefaultValue("resnet18")]
        public string Arch { get; init; } = "resnet18";

        [CommandOption("--size <PX>")]
        [Description("Input size.")]
        [DefaultValue(64)]
        public int Size { get; init; } = 64;

        [CommandOption("--batch <N>")]
        [Description("Batch size.")]
        [DefaultValue(8)]
        public int Batch { get; init; } = 8;

        [CommandOption("--batches <N>")]
        [Description("Batches per epoch.")]
        [DefaultValue(12)]
        public int Batches { get; init; } = 12;

        [CommandOption("--epochs <N>")]
        [Description("Epochs (at least 3: epoch 1 is warm-up, epoch 2 is the memory reference).")]
        [DefaultValue(4)]
        public int Epochs { get; init; } = 4;

        public override Spectre.Console.ValidationResult Validate() =>
            Epochs < 3 ? Spectre.Console.ValidationResult.Error($"--epochs: expected at least 3, found {Epochs}.")
            : Batches < 1 || Batch < 1 || Size < 16 ? Spectre.Console.ValidationResult.Error("--batches, --batch: expected ≥ 1; --size: expected ≥ 16.")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var report = TorchRuntime.Initialize(s.Device, s.Threads);
        var device = TorchRuntime.Device;
        var o = Console.Out;
        o.WriteLine($"machine: {BenchMachine.CpuModel()}, {report.DeviceDescription}, {report.Threads} threads, TorchSharp {report.TorchSharpVersion}, libtorch {report.LibTorchVersion}, load average {BenchMachine.LoadAverage()} before the run");
        if (OneDnnIsa.Current is { } isa) o.WriteLine($"oneDNN:  {isa}");
        o.WriteLine($"model:   {s.Arch}, {s.Size} px, batch {s.Batch}, {s.Batches} batches/epoch, {s.Epochs} epochs (epoch 1 not timed)");

        manual_seed(1);
        var images = Enumerable.Range(0, s.Batches).Select(_ => rand(s.Batch, 3, s.Size, s.Size, device: device)).ToArray();
        var labels = Enumerable.Range(0, s.Batches).Select(_ => randint(0, 5, s.Batch, dtype: ScalarType.Int64, device: device)).ToArray();
        var source = new PremadeBatches(images, labels);

        double bare1 = BareLoop(s, images, labels, device);
        var dir = Path.Combine(Path.GetTempPath(), $"pneuknow-bench-train-{Environment.ProcessId}");
        var timings = new List<EpochTiming>();
        var wall = new List<double>();
        var clock = Stopwatch.StartNew();
        try
        {
            using var model = Create(s.Arch, device);
            var valid = new PremadeBatches(images.Take(1).ToArray(), labels.Take(1).ToArray());
            var data = new TrainingData(source, new EvaluationSplit("valid", valid, Enumerable.Range(0, s.Batch).Select(i => $"{i}").ToArray()),
                null, ["0", "1", "2", "3", "4"]);
            Trainer.Train(new TrainingRun(model, new Baseline(), data, Recipe(s), dir)
            {
                EpochCompleted = (_, t) => { timings.Add(t); wall.Add(clock.Elapsed.TotalSeconds); clock.Restart(); },
            }, cancel: cancellationToken);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        double bare2 = BareLoop(s, images, labels, device);

        double bare = (bare1 + bare2) / 2;
        var timed = timings.Skip(1).ToList();
        double trainer = timed.Sum(t => s.Batch * (double)s.Batches) / timed.Sum(t => t.TrainSeconds);
        double whole = timed.Sum(t => s.Batch * (double)s.Batches) / wall.Skip(1).Sum();
        static string S(double v) => BenchMachine.Significant3(v);
        o.WriteLine($"bare loop: {S(bare)} images/s (before {S(bare1)}, after {S(bare2)})");
        o.WriteLine($"trainer:   {S(trainer)} images/s in the training pass; {S(whole)} images/s per whole epoch (with validation of {s.Batch} images, checkpoint and logs)");
        o.WriteLine($"ratio: {S(trainer / bare)} (trainer ÷ bare loop; target ≥ 0.9)");
        long rss2 = timings[1].ResidentBytes, rssLast = timings[^1].ResidentBytes;
        o.WriteLine($"rss: epoch 2 {rss2 / 1048576.0:F1} MiB, epoch {timings.Count} {rssLast / 1048576.0:F1} MiB ({100.0 * (rssLast - rss2) / rss2:+0.0;-0.0} %)");
        foreach (var t in images.Concat(labels)) t.Dispose();
        return 0;
    }

    static Backbone Create(string arch, Device device)
    {
        manual_seed(2);
        var m = BackboneZoo.Create(new BackboneOptions(arch, 5, 0.5));
        m.to(device);
        return m;
    }

    /// <summary>
    /// The trainer's options: the paper's recipe, as a stage that sets nothing but its required keys has it (the defaults are
    /// written once, in <see cref="StageConfig"/>), with seed 1.
    /// </summary>
    static TrainerOptions Recipe(Settings s) =>
        new StageConfig(s.Size, s.Arch, Dropout: 0.5, s.Epochs, AugmentationKind.None, s.Batch).ToTrainerOptions(teacher: false, seed: 1);

    /// <summary>The reference: forward, cross-entropy, backward, Adam step (at the recipe's learning rate), nothing else; epoch 1 is warm-up.</summary>
    static double BareLoop(Settings s, Tensor[] images, Tensor[] labels, Device device)
    {
        using var model = Create(s.Arch, device);
        model.train();
        using var adam = optim.Adam(model.parameters(), lr: Recipe(s).LearningRate);
        double seconds = 0;
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            for (int b = 0; b < images.Length; b++)
            {
                using var scope = NewDisposeScope();
                adam.zero_grad();
                var loss = nn.functional.cross_entropy(model.Head(model.Features(model.Normalize(images[b]))), labels[b]);
                loss.backward();
                adam.step();
            }
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (epoch > 0) seconds += clock.Elapsed.TotalSeconds;
        }
        return (s.Epochs - 1) * images.Length * (double)s.Batch / seconds;
    }

    /// <summary>Pre-made tensors as an <see cref="IBatchSource"/>; each batch is an alias the trainer may dispose.</summary>
    sealed class PremadeBatches(Tensor[] images, Tensor[] labels) : IBatchSource
    {
        public int Count => images.Sum(i => (int)i.shape[0]);
        public int BatchesPerEpoch => images.Length;

        public IEnumerable<Batch> Epoch(int epoch)
        {
            for (int b = 0; b < images.Length; b++)
            {
                long n = images[b].shape[0];
                yield return new Batch(images[b].alias(), images[b].alias(), ones(n, 1, images[b].shape[2], images[b].shape[3], device: images[b].device),
                    labels[b].alias(), arange(n, dtype: ScalarType.Int64, device: images[b].device));
            }
        }
    }
}
