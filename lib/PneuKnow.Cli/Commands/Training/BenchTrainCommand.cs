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
/// With several precisions (<c>--precision fp32,bf16-mixed</c>) it measures each in turn, in interleaved rounds
/// (A B, then B A, …) so that a change of the machine's load during the call falls on all of them alike.
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

        [CommandOption("--precision <LIST>")]
        [Description("Comma-separated precisions to compare in one call: fp32, bf16-mixed, fp16-mixed.")]
        [DefaultValue("fp32")]
        public string Precision { get; init; } = "fp32";

        [CommandOption("--data <KIND>")]
        [Description("Where batches come from: premade (random tensors made once, the trainer alone) or phantom (the quick preset's data path: " +
            "phantom images rendered, decoded into the image store and batched by the loader, with the precise-BN pass and, on the ResNets, output stride 16).")]
        [DefaultValue(BenchData.Premade)]
        public BenchData Data { get; init; } = BenchData.Premade;

        [CommandOption("--images <N>")]
        [Description("With --data phantom: phantom images rendered (the quick preset's split fractions: 12 % train, 16 % valid; 1300 gives its 156 training images).")]
        [DefaultValue(1300)]
        public int Images { get; init; } = 1300;

        [CommandOption("--rounds <N>")]
        [Description("Rounds over the precisions, alternating their order (A B, B A, …); the summary takes each one's median.")]
        [DefaultValue(1)]
        public int Rounds { get; init; } = 1;

        public override Spectre.Console.ValidationResult Validate() =>
            Epochs < 3 ? Spectre.Console.ValidationResult.Error($"--epochs: expected at least 3, found {Epochs}.")
            : Rounds < 1 ? Spectre.Console.ValidationResult.Error($"--rounds: expected at least 1, found {Rounds}.")
            : PrecisionList.TryParse(Precision, "--precision", out _) is { } error ? Spectre.Console.ValidationResult.Error(error)
            : Batches < 1 ? Spectre.Console.ValidationResult.Error($"--batches: expected at least 1, found {Batches}.")
            : Batch < 1 ? Spectre.Console.ValidationResult.Error($"--batch: expected at least 1, found {Batch}.")
            : Size is < 32 or > 4096 ? Spectre.Console.ValidationResult.Error($"--size: expected 32..4096 pixels, found {Size}.")
            : Images < 20 ? Spectre.Console.ValidationResult.Error($"--images: expected at least 20, found {Images}.")
            : base.Validate();
    }

    /// <summary>Where <c>bench train</c>'s batches come from.</summary>
    public enum BenchData
    {
        /// <summary>Random tensors made once and handed to the trainer as they are: the trainer's own cost and memory.</summary>
        Premade,
        /// <summary>The quick preset's data path: rendered phantoms, the image store, the batch loader, the precise-BN pass.</summary>
        Phantom,
    }

    /// <summary>The goal for the resident-memory growth per epoch from epoch 2 to the last (issue 25: flat memory).</summary>
    public const double RssGoalMiBPerEpoch = 1.0;

    /// <summary>One measurement of one precision: the bare loop's and the trainer's rates and the trainer's memory at the end of every epoch.</summary>
    sealed record Measurement(double Bare, double Trainer, double WholeEpoch, IReadOnlyList<long> Rss, IReadOnlyList<long> Trimmed,
        IReadOnlyList<long> NativeInUse, IReadOnlyList<long> Managed, IReadOnlyList<long> Committed, IReadOnlyList<long> Anonymous, IReadOnlyList<long> FileBacked)
    {
        public int Epochs => Rss.Count;
        public long Rss2 => Rss[1];
        public long RssLast => Rss[^1];

        /// <summary>Least-squares slope of the resident memory over epochs 2..last, MiB per epoch (less sensitive to one noisy epoch than last − epoch 2).</summary>
        public double SlopeMiBPerEpoch => RssSlope(Rss);

        /// <summary>(last − epoch 2) ÷ (epochs − 2), MiB per epoch.</summary>
        public double GrowthMiBPerEpoch => (RssLast - Rss2) / 1048576.0 / (Epochs - 2);
    }

    /// <summary>Least-squares slope in MiB per epoch of <paramref name="rss"/> (bytes at the end of each epoch) from epoch 2 (index 1) on.</summary>
    public static double RssSlope(IReadOnlyList<long> rss)
    {
        var y = rss.Skip(1).Select(b => b / 1048576.0).ToArray();
        double mx = (y.Length - 1) / 2.0, my = y.Average();
        double sxy = 0, sxx = 0;
        for (int i = 0; i < y.Length; i++) { sxy += (i - mx) * (y[i] - my); sxx += (i - mx) * (i - mx); }
        return sxx == 0 ? 0 : sxy / sxx;
    }

    /// <summary>
    /// The memory lines: every epoch's resident set, the growth from epoch 2 to the last per epoch, and pass or fail against
    /// <see cref="RssGoalMiBPerEpoch"/>. Both the end-to-end growth and the fitted slope must hold.
    /// </summary>
    /// <param name="rss">The resident set at the end of every epoch, bytes.</param>
    /// <param name="label">What the series is, at the head of both lines.</param>
    public static IEnumerable<string> RssLines(IReadOnlyList<long> rss, string label = "rss")
    {
        int n = rss.Count;
        double growth = (rss[^1] - rss[1]) / 1048576.0 / (n - 2), slope = RssSlope(rss);
        bool pass = growth <= RssGoalMiBPerEpoch && slope <= RssGoalMiBPerEpoch;
        yield return $"{label} per epoch (MiB): " + string.Join(", ", rss.Select((b, i) => FormattableString.Invariant($"{i + 1}: {b / 1048576.0:F1}")));
        yield return FormattableString.Invariant(
            $"{label} growth epoch 2 → {n}: {(rss[^1] - rss[1]) / 1048576.0:+0.0;-0.0} MiB, {growth:+0.00;-0.00} MiB/epoch (fitted slope {slope:+0.00;-0.00} MiB/epoch); goal ≤ {RssGoalMiBPerEpoch:F0} MiB/epoch: {(pass ? "pass" : "FAIL")}");
    }

    /// <summary>
    /// The memory report: the resident set as the trainer reads it (after a full GC: what the process holds, including the
    /// free native blocks the C heap keeps for reuse, which swing by tens of MiB from epoch to epoch), then the same after
    /// <see cref="PneuKnow.Augmentation.NativeHeap.Trim"/> (the blocks in use and their fragmentation: a leak shows here).
    /// The verdict is the trimmed series', where the platform can trim.
    /// </summary>
    public static IEnumerable<string> MemoryLines(IReadOnlyList<long> rss, IReadOnlyList<long> trimmed)
    {
        foreach (var line in RssLines(rss, "rss (heap cache included)")) yield return line;
        if (trimmed.Count == rss.Count)
            foreach (var line in RssLines(trimmed, "rss after malloc_trim (the verdict)")) yield return line;
        else yield return "rss after malloc_trim: not measured (the C library has no malloc_trim); the verdict above includes the heap's cache";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var report = TorchRuntime.Initialize(s.Device, s.Threads);
        var device = TorchRuntime.Device;
        PrecisionList.TryParse(s.Precision, "--precision", out var precisions);
        if (PrecisionList.Refusal(precisions, device) is { } refused)
        {
            Console.Error.WriteLine(refused);
            return 2;
        }
        var o = Console.Out;
        o.WriteLine($"machine: {BenchMachine.CpuModel()}, {report.DeviceDescription}, {report.Threads} threads, TorchSharp {report.TorchSharpVersion}, libtorch {report.LibTorchVersion}, C heap {MallocArenas.Describe()}, load average {BenchMachine.LoadAverage()} before the run");
        if (OneDnnIsa.Current is { } isa) o.WriteLine($"oneDNN:  {isa}");
        if (s.Data == BenchData.Phantom)
        {
            _store = RenderPhantoms(s);
            o.WriteLine($"data:    {_store.Count} phantom images at {s.Size} px ({_store.Split(PneuKnow.Data.SplitNames.Train).Count} train, {_store.Split(PneuKnow.Data.SplitNames.Valid).Count} valid) through the loader; precise-BN pass; output stride 16 on the ResNets");
            o.WriteLine($"model:   {s.Arch}, {s.Size} px, batch {s.Batch}, {s.Epochs} epochs (epoch 1 not timed); the bare loop runs {s.Batches} pre-made batches");
        }
        else o.WriteLine($"model:   {s.Arch}, {s.Size} px, batch {s.Batch}, {s.Batches} batches/epoch, {s.Epochs} epochs (epoch 1 not timed)");
        if (PrecisionList.Note(precisions, device) is { } note) o.WriteLine(note);

        manual_seed(1);
        var images = Enumerable.Range(0, s.Batches).Select(_ => rand(s.Batch, 3, s.Size, s.Size, device: device)).ToArray();
        var labels = Enumerable.Range(0, s.Batches).Select(_ => randint(0, 5, s.Batch, dtype: ScalarType.Int64, device: device)).ToArray();
        static string S(double v) => BenchMachine.Significant3(v);

        if (precisions.Count == 1 && s.Rounds == 1)
        {
            // One precision, one round: the bare loop before and after the trainer, as this command has always reported.
            var p = precisions[0];
            double bare1 = BareLoop(s, p, images, labels, device);
            var m = TrainerPass(s, p, images, labels, device, cancellationToken);
            double bare2 = BareLoop(s, p, images, labels, device);
            double bare = (bare1 + bare2) / 2;
            o.WriteLine($"precision: {SnakeCase.Of(p)}");
            o.WriteLine($"bare loop: {S(bare)} images/s (before {S(bare1)}, after {S(bare2)})");
            o.WriteLine($"trainer:   {S(m.Trainer)} images/s in the training pass; {S(m.WholeEpoch)} images/s per whole epoch (with validation of {_store?.Split(PneuKnow.Data.SplitNames.Valid).Count ?? s.Batch} images{(_store is null ? "" : ", the precise-BN pass")}, checkpoint and logs)");
            o.WriteLine($"ratio: {S(m.Trainer / bare)} (trainer ÷ bare loop; target ≥ 0.9)");
            o.WriteLine(FeatureMapLine());
            o.WriteLine($"rss: epoch 2 {m.Rss2 / 1048576.0:F1} MiB, epoch {m.Epochs} {m.RssLast / 1048576.0:F1} MiB ({100.0 * (m.RssLast - m.Rss2) / m.Rss2:+0.0;-0.0} %)");
            foreach (var line in MemoryLines(m.Rss, m.Trimmed)) o.WriteLine(line);
            // Where the resident growth comes from: the C heap's blocks in use (libtorch's tensors, oneDNN's scratch) and
            // the managed heap's live objects, at the same instants. Flat in-use bytes under a rising resident set is
            // fragmentation or page residency, not a leak.
            if (m.NativeInUse.Count == m.Epochs) o.WriteLine(SeriesLine("native heap in use (mallinfo2)", m.NativeInUse));
            o.WriteLine(SeriesLine("managed heap after a full GC", m.Managed));
            o.WriteLine(SeriesLine("managed heap committed", m.Committed));
            if (m.Anonymous.Count == m.Epochs)
            {
                o.WriteLine(SeriesLine("rss after malloc_trim, anonymous (heaps, stacks)", m.Anonymous));
                o.WriteLine(SeriesLine("rss after malloc_trim, file-backed (code and mapped files)", m.FileBacked));
            }
            o.WriteLine($"load average after the run: {BenchMachine.LoadAverage()}");
        }
        else
        {
            var results = precisions.ToDictionary(p => p, _ => new List<Measurement>());
            for (int round = 0; round < s.Rounds; round++)
            {
                var order = round % 2 == 0 ? precisions : precisions.Reverse().ToList();
                foreach (var p in order)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    double bare = BareLoop(s, p, images, labels, device);
                    var m = TrainerPass(s, p, images, labels, device, cancellationToken) with { Bare = bare };
                    results[p].Add(m);
                    o.WriteLine($"round {round + 1} {SnakeCase.Of(p),-10}  bare loop {S(bare)} images/s, trainer {S(m.Trainer)} images/s (ratio {S(m.Trainer / bare)}), " +
                                $"rss epoch 2 → {m.Epochs}: {100.0 * (m.RssLast - m.Rss2) / m.Rss2:+0.0;-0.0} % ({m.GrowthMiBPerEpoch:+0.00;-0.00} MiB/epoch{(m.Trimmed.Count == m.Epochs ? FormattableString.Invariant($"; after malloc_trim {(m.Trimmed[^1] - m.Trimmed[1]) / 1048576.0 / (m.Epochs - 2):+0.00;-0.00}, fitted {RssSlope(m.Trimmed):+0.00;-0.00}") : "")}), load average {BenchMachine.LoadAverage()}");
                }
            }
            static double Median(IEnumerable<double> v)
            {
                var a = v.Order().ToArray();
                return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
            }
            o.WriteLine(FeatureMapLine());
            var first = precisions[0];
            double bareRef = Median(results[first].Select(m => m.Bare)), trainerRef = Median(results[first].Select(m => m.Trainer));
            o.WriteLine($"median of {s.Rounds} round(s), images/s (speed-up against {SnakeCase.Of(first)}):");
            foreach (var p in precisions)
            {
                double bare = Median(results[p].Select(m => m.Bare)), trainer = Median(results[p].Select(m => m.Trainer));
                o.WriteLine($"  {SnakeCase.Of(p),-10}  bare loop {S(bare)} ({S(bare / bareRef)}×), trainer {S(trainer)} ({S(trainer / trainerRef)}×), trainer ÷ bare loop {S(trainer / bare)}");
            }
            o.WriteLine($"load average after the run: {BenchMachine.LoadAverage()}");
        }
        foreach (var t in images.Concat(labels)) t.Dispose();
        return 0;
    }

    /// <summary>
    /// The trainer in a temporary folder, on the pre-made batches or (with <c>--data phantom</c>) on the phantom store through the
    /// loader: its training-pass and whole-epoch rates after epoch 1, and its memory after every epoch.
    /// </summary>
    Measurement TrainerPass(Settings s, PneuKnow.Training.Precision precision, Tensor[] images, Tensor[] labels, Device device, CancellationToken cancel)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pneuknow-bench-train-{Environment.ProcessId}");
        var timings = new List<EpochTiming>();
        var trimmed = new List<long>();
        var nativeInUse = new List<long>();
        var managed = new List<long>();
        var committed = new List<long>();
        var anonymous = new List<long>();
        var fileBacked = new List<long>();
        var wall = new List<double>();
        var clock = Stopwatch.StartNew();
        long seen = 0;
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            using var model = Create(s, device);
            _featureMaps.Add(("trainer", FeatureMap(model, s.Size, device)));
            TrainingData data;
            if (_store is { } store)
            {
                var train = store.Split(PneuKnow.Data.SplitNames.Train);
                var valid = store.Split(PneuKnow.Data.SplitNames.Valid);
                var evalPipeline = AugmentationPipeline.Create(AugmentationKind.Valid, s.Size);
                data = new TrainingData(
                    new BatchLoader(train, AugmentationPipeline.Create(AugmentationKind.None, s.Size), new BatchLoaderOptions(s.Batch, Seed: 1)),
                    new EvaluationSplit("valid", new BatchLoader(valid, evalPipeline, new BatchLoaderOptions(16, 0, Shuffle: false)),
                        Enumerable.Range(0, valid.Count).Select(i => ((PneuKnow.Data.ImageStore.Subset)valid).RecordOf(i).FileName).ToArray()),
                    null, store.Classes);
            }
            else
            {
                var source = new PremadeBatches(images, labels);
                var valid = new PremadeBatches(images.Take(1).ToArray(), labels.Take(1).ToArray());
                data = new TrainingData(source, new EvaluationSplit("valid", valid, Enumerable.Range(0, s.Batch).Select(i => $"{i}").ToArray()),
                    null, ["0", "1", "2", "3", "4"]);
            }
            Trainer.Train(new TrainingRun(model, new Baseline(), data, Recipe(s) with { Precision = precision }, dir)
            {
                EpochCompleted = (_, t) =>
                {
                    timings.Add(t);
                    wall.Add(clock.Elapsed.TotalSeconds);
                    // Outside the timed spans (the clock restarts below): the trim's cost and the pages it makes the
                    // next epoch fault in again are a few ms against epochs of seconds.
                    if (PneuKnow.Augmentation.NativeHeap.Trim()) trimmed.Add(PneuKnow.Runtime.ProcessMemory.ResidentBytes(collectFirst: false));
                    if (PneuKnow.Augmentation.NativeHeap.InUseBytes() is { } native) nativeInUse.Add(native);
                    managed.Add(GC.GetTotalMemory(forceFullCollection: false));
                    committed.Add(GC.GetGCMemoryInfo().TotalCommittedBytes);
                    if (PneuKnow.Runtime.ProcessMemory.StatusBytes("RssAnon") is { } anon && PneuKnow.Runtime.ProcessMemory.StatusBytes("RssFile") is { } file) { anonymous.Add(anon); fileBacked.Add(file); }
                    // A line per epoch on stderr: a long measurement on a busy machine shows where it is and what it has found.
                    Console.Error.WriteLine(FormattableString.Invariant(
                        $"trainer epoch {t.Epoch + 1}/{s.Epochs}: rss {t.ResidentBytes / 1048576.0:F1} MiB, {t.TrainImagesPerSecond:F2} images/s in the training pass, {clock.Elapsed.TotalSeconds:F0} s"));
                    clock.Restart();
                },
                BatchDrawn = (epoch, b) => { if (epoch > 0) seen += b.Size; },
            }, cancel: cancel);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        var timed = timings.Skip(1).ToList();
        double images1 = seen;
        return new Measurement(double.NaN, images1 / timed.Sum(t => t.TrainSeconds), images1 / wall.Skip(1).Sum(),
            timings.Select(t => t.ResidentBytes).ToList(), trimmed, nativeInUse, managed, committed, anonymous, fileBacked);
    }

    static string SeriesLine(string label, IReadOnlyList<long> bytes) =>
        $"{label} per epoch (MiB): " + string.Join(", ", bytes.Select((b, i) => FormattableString.Invariant($"{i + 1}: {b / 1048576.0:F1}")))
        + FormattableString.Invariant($"; epoch 2 → {bytes.Count}: {(bytes[^1] - bytes[1]) / 1048576.0 / (bytes.Count - 2):+0.00;-0.00} MiB/epoch (fitted {RssSlope(bytes):+0.00;-0.00})");

    /// <summary>With <c>--data phantom</c>: the decoded phantom images (null for pre-made batches).</summary>
    PneuKnow.Data.ImageStore? _store;

    /// <summary>
    /// Renders <c>--images</c> phantoms at <c>--size</c> with the quick preset's split fractions into a temporary folder and decodes
    /// them into the image store, as a study's unit does (the folder is removed once decoded: the store holds the pixels).
    /// </summary>
    static PneuKnow.Data.ImageStore RenderPhantoms(Settings s)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pneuknow-bench-phantom-{Environment.ProcessId}");
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            var quick = PneuKnow.Study.StudyPreset.Quick.Data;
            var ds = PneuKnow.Data.Phantom.PhantomGenerator.Generate(new PneuKnow.Data.Phantom.PhantomOptions
            {
                Images = s.Images, Size = s.Size, Seed = (ulong)quick.Seed, Conspicuity = quick.Conspicuity,
                Splits = quick.Splits ?? PneuKnow.Data.SplitFractions.Default,
            }, dir);
            return PneuKnow.Data.ImageStore.Open(PneuKnow.Data.Manifest.Load(ds.ManifestPath), s.Size);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The model both loops train: with <c>--data phantom</c> the quick preset's (the ResNets' last stage dilated, output
    /// stride 16), else the reference stride. One builder, so the bare loop and the trainer always train the same network.
    /// </summary>
    static Backbone Create(Settings s, Device device)
    {
        manual_seed(2);
        bool phantom = s.Data == BenchData.Phantom;
        int stride = phantom && s.Arch is "resnet18" or "resnet50" or "cntk_resnet18" ? Backbone.DilatedOutputStride : Backbone.ReferenceOutputStride;
        var m = BackboneZoo.Create(new BackboneOptions(s.Arch, 5, 0.5, OutputStride: stride));
        m.to(device);
        return m;
    }

    /// <summary>
    /// The feature map <paramref name="m"/> gives for one <paramref name="size"/>-px image (e.g. <c>7×7</c>), from a forward
    /// pass without gradients in eval mode (no BatchNorm statistics change, no random numbers drawn); the model is left
    /// in train mode. Printed for both loops, so a ratio between different networks cannot pass unnoticed.
    /// </summary>
    static string FeatureMap(Backbone m, int size, Device device)
    {
        m.eval();
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var f = m.Features(m.Normalize(zeros(1, 3, size, size, device: device)));
            m.train();
            return $"{f.shape[2]}×{f.shape[3]}";
        }
    }

    /// <summary>The line that prints each loop's feature map and flags loops that trained different networks.</summary>
    string FeatureMapLine()
    {
        int maps = _featureMaps.Select(m => m.Map).Distinct().Count();
        return $"feature map per image: {string.Join(", ", _featureMaps.Select(m => $"{m.Loop} {m.Map}"))}" + (maps == 1 ? " (the same network in both loops)" : " — DIFFERENT NETWORKS: the ratio compares unlike work");
    }

    /// <summary>The feature maps the loops' models gave (<see cref="FeatureMap"/>), sorted by loop name.</summary>
    readonly SortedSet<(string Loop, string Map)> _featureMaps = [];

    /// <summary>
    /// The trainer's options: the paper's recipe, as a stage that sets nothing but its required keys has it (the defaults are
    /// written once, in <see cref="StageConfig"/>), with seed 1.
    /// </summary>
    static TrainerOptions Recipe(Settings s) =>
        new StageConfig(s.Size, s.Arch, Dropout: 0.5, s.Epochs, AugmentationKind.None, s.Batch) { PreciseBatchNorm = s.Data == BenchData.Phantom }.ToTrainerOptions(teacher: false, seed: 1);

    /// <summary>
    /// The reference: forward, cross-entropy, backward, Adam step (at the recipe's learning rate), nothing else; epoch 1 is
    /// warm-up. A mixed precision runs the forward pass under autocast and the loss in float32, and fp16-mixed scales the
    /// loss, as the trainer does.
    /// </summary>
    double BareLoop(Settings s, PneuKnow.Training.Precision precision, Tensor[] images, Tensor[] labels, Device device)
    {
        using var model = Create(s, device);
        _featureMaps.Add(("bare loop", FeatureMap(model, s.Size, device)));
        model.train();
        using var adam = optim.Adam(model.parameters(), lr: Recipe(s).LearningRate);
        var scaler = precision == PneuKnow.Training.Precision.Float16Mixed ? new DynamicLossScaler() : null;
        double seconds = 0;
        for (int epoch = 0; epoch < s.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            for (int b = 0; b < images.Length; b++)
            {
                using var scope = NewDisposeScope();
                adam.zero_grad();
                Tensor logits;
                using (precision.Forward(device)) logits = model.Head(model.Features(model.Normalize(images[b])));
                var loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32), labels[b]);
                if (scaler is null)
                {
                    loss.backward();
                    adam.step();
                }
                else
                {
                    scaler.ScaleLoss(loss).backward();
                    scaler.Step(adam, model.parameters());
                }
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
