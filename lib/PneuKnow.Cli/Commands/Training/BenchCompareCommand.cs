using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PneuKnow.Augmentation;
using PneuKnow.Distillation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Cli.Commands.Training;

/// <summary>What one round of <c>bench compare</c> times.</summary>
public enum CompareStep
{
    /// <summary>Forward, cross-entropy, backward, Adam step (the baseline's training step).</summary>
    Train,
    /// <summary>Forward in eval mode without autograd, then the softmax of the float32 logits (a test pass).</summary>
    Inference,
    /// <summary>HKD's student step: the frozen teacher's features of the ROI, the student's forward, the HKD loss, backward, Adam.</summary>
    HkdStudent,
}

/// <summary>One line of the comparison: a backbone in a precision doing a step.</summary>
/// <param name="Arch">The backbone (PneuKnow's name, which is torchvision's too).</param>
/// <param name="Precision">fp32 or bf16-mixed.</param>
/// <param name="Step">What is timed.</param>
public sealed record CompareCase(string Arch, Precision Precision, CompareStep Step);

/// <summary>The medians of one <see cref="CompareCase"/> over its rounds.</summary>
/// <param name="Case">What was measured.</param>
/// <param name="PneuKnow">PneuKnow's images/s per round, in round order.</param>
/// <param name="PyTorch">PyTorch's images/s per round, in round order.</param>
public sealed record CompareResult(CompareCase Case, IReadOnlyList<double> PneuKnow, IReadOnlyList<double> PyTorch)
{
    /// <summary>The median of PneuKnow's rounds.</summary>
    public double PneuKnowMedian => CompareRounds.Median(PneuKnow);
    /// <summary>The median of PyTorch's rounds.</summary>
    public double PyTorchMedian => CompareRounds.Median(PyTorch);
    /// <summary>PneuKnow ÷ PyTorch, of the medians (above 1: PneuKnow is faster).</summary>
    public double Ratio => PneuKnowMedian / PyTorchMedian;
}

/// <summary>The interleaving of <c>bench compare</c>, apart from what either side runs, so that it can be tested without Python.</summary>
public static class CompareRounds
{
    /// <summary>
    /// For each case in turn, <paramref name="rounds"/> rounds of both sides, the order alternating (PneuKnow then PyTorch
    /// in odd rounds, PyTorch then PneuKnow in even ones), so that a change of the machine's load during a case falls on
    /// both sides alike; each side returns images/s.
    /// </summary>
    /// <param name="cases">What to measure, in order.</param>
    /// <param name="rounds">Rounds per case (≥ 1).</param>
    /// <param name="pneuknow">One PneuKnow round of a case, in images/s.</param>
    /// <param name="pytorch">One PyTorch round of a case, in images/s.</param>
    /// <param name="roundDone">Called after each round with the case, the round (1-based) and both rates.</param>
    /// <param name="cancel">Checked before every side's round.</param>
    public static IReadOnlyList<CompareResult> Run(IReadOnlyList<CompareCase> cases, int rounds, Func<CompareCase, double> pneuknow,
        Func<CompareCase, double> pytorch, Action<CompareCase, int, double, double>? roundDone = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var results = new List<CompareResult>();
        foreach (var c in cases)
        {
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                double a = double.NaN, b = double.NaN;
                if (round % 2 == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                    a = pneuknow(c);
                    cancel.ThrowIfCancellationRequested();
                    b = pytorch(c);
                }
                else
                {
                    cancel.ThrowIfCancellationRequested();
                    b = pytorch(c);
                    cancel.ThrowIfCancellationRequested();
                    a = pneuknow(c);
                }
                ours.Add(a);
                theirs.Add(b);
                roundDone?.Invoke(c, round + 1, a, b);
            }
            results.Add(new CompareResult(c, ours, theirs));
        }
        return results;
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        if (a.Length == 0) throw new ArgumentException("median: expected at least one value, found none.", nameof(values));
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    /// <summary>
    /// A network's architecture as far as a comparison needs it: the parameter count and the parameter shapes without
    /// their size-1 dimensions (ConvNeXt's layer scale is C in timm's layout and C×1×1 in torchvision's), sorted, so
    /// that the order and names in which two implementations register their layers do not matter.
    /// </summary>
    public static (long Parameters, IReadOnlyList<string> Shapes) Fingerprint(IEnumerable<IReadOnlyList<long>> shapes)
    {
        var list = shapes.ToList();
        long count = list.Sum(s => s.Aggregate(1L, (a, d) => a * d));
        var squeezed = list.Select(s => string.Join("×", s.Where(d => d != 1))).Order(StringComparer.Ordinal).ToList();
        return (count, squeezed);
    }
}

/// <summary>
/// <c>pneuknow bench compare</c>: PneuKnow against PyTorch on the same machine, backbone, input, step and precision, in
/// interleaved rounds. The PyTorch side is <c>tools/bench/compare.py</c> under a <c>python3</c> with torch and
/// torchvision; without one the command says how to get one and exits 1 (nothing else in PneuKnow needs Python).
/// </summary>
public sealed class BenchCompareCommand : Command<BenchCompareCommand.Settings>
{
    /// <summary>The head's classes: the paper's five (bacterial, COVID-19, healthy, fungal, viral).</summary>
    const int Classes = 5;

    /// <summary>The paper's head dropout, on both sides.</summary>
    const double Dropout = 0.5;

    /// <summary>The architectures with a same-named torchvision network (the CNTK ResNet-18 has none).</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["resnet18", "resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small"];

    /// <summary>The precisions both sides have on a CPU (PyTorch 1.13's CPU autocast has no float16).</summary>
    public static IReadOnlyList<Precision> Precisions { get; } = [Precision.Float32, Precision.BFloat16Mixed];

    public sealed class Settings : TorchSettings, IFormattedOutput
    {
        [CommandOption("--arch <NAMES>")]
        [Description("Comma-separated backbones with a torchvision twin: resnet18, resnet50, efficientnet_b0, efficientnet_b1, convnext_tiny, convnext_small.")]
        [DefaultValue("resnet18,resnet50,efficientnet_b0")]
        public string Arch { get; init; } = "resnet18,resnet50,efficientnet_b0";

        [CommandOption("--size <PX>")]
        [Description("Input height and width.")]
        [DefaultValue(224)]
        public int Size { get; init; } = 224;

        [CommandOption("--batch <N>")]
        [Description("Images per batch (the paper trains with 8).")]
        [DefaultValue(8)]
        public int Batch { get; init; } = 8;

        [CommandOption("--precision <LIST>")]
        [Description("Comma-separated precisions: fp32, bf16-mixed (PyTorch: torch.autocast(\"cpu\", dtype=torch.bfloat16) with float32 master weights).")]
        [DefaultValue("fp32")]
        public string Precision { get; init; } = "fp32";

        [CommandOption("--step <LIST>")]
        [Description("Comma-separated steps to time: train (forward, cross-entropy, backward, Adam), inference (eval, no autograd), hkd_student (teacher features of the ROI, student forward, HKD loss, backward, Adam).")]
        [DefaultValue("train,inference,hkd_student")]
        public string Step { get; init; } = "train,inference,hkd_student";

        [CommandOption("--rounds <N>")]
        [Description("Rounds per backbone, precision and step, alternating PneuKnow and PyTorch (A B, B A, …); the table shows each side's median.")]
        [DefaultValue(3)]
        public int Rounds { get; init; } = 3;

        [CommandOption("--timed <N>")]
        [Description("Timed steps per round (after the warm-up).")]
        [DefaultValue(8)]
        public int Timed { get; init; } = 8;

        [CommandOption("--warmup <N>")]
        [Description("Untimed steps at the start of every round (each round builds its model afresh).")]
        [DefaultValue(2)]
        public int Warmup { get; init; } = 2;

        [CommandOption("--python <PATH>")]
        [Description("The Python interpreter with torch and torchvision (default: the first python3 on PATH that has them, then /usr/bin/python3).")]
        public string? Python { get; init; }

        [CommandOption(IFormattedOutput.Option)]
        [Description("How the table prints: table, csv, json or md (script formats send the notes to stderr and add the machine's fields to every row).")]
        [DefaultValue(IFormattedOutput.Default)]
        public OutputFormat Format { get; init; } = IFormattedOutput.Default;

        public override Spectre.Console.ValidationResult Validate()
        {
            static Spectre.Console.ValidationResult Error(string m) => Spectre.Console.ValidationResult.Error(m);
            if (ParseArchs(Arch) is { Error: { } archError }) return Error(archError);
            if (ParsePrecisions(Precision) is { Error: { } precisionError }) return Error(precisionError);
            if (ParseSteps(Step) is { Error: { } stepError }) return Error(stepError);
            if (Size < 32) return Error($"--size: expected at least 32 pixels, found {Size}.");
            if (Batch < 1) return Error($"--batch: expected a positive count, found {Batch}.");
            if (Rounds < 1) return Error($"--rounds: expected at least 1, found {Rounds}.");
            if (Timed < 1) return Error($"--timed: expected at least 1 step, found {Timed}.");
            if (Warmup < 0) return Error($"--warmup: expected 0 or more steps, found {Warmup}.");
            if (Device is not ("auto" or "cpu"))
                return Error($"--device: bench compare runs on the CPU (both sides, same threads); expected cpu or auto, found '{Device}'.");
            return base.Validate();
        }
    }

    static (IReadOnlyList<string> Value, string? Error) ParseArchs(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (names.Count == 0) return ([], $"--arch: expected at least one of {string.Join(", ", Architectures)}, found '{text}'.");
        foreach (var n in names)
            if (!Architectures.Contains(n))
                return ([], $"--arch: expected names from {string.Join(", ", Architectures)} (the backbones with a torchvision twin), found '{n}'.");
        return names.Distinct().Count() != names.Count ? ([], $"--arch: a name is listed twice in '{text}'.") : (names, null);
    }

    static (IReadOnlyList<Precision> Value, string? Error) ParsePrecisions(string text)
    {
        if (PrecisionList.TryParse(text, "--precision", out var list) is { } error) return ([], error);
        foreach (var p in list)
            if (!Precisions.Contains(p))
                return ([], $"--precision: expected {string.Join(", ", Precisions.Select(SnakeCase.Of))} (PyTorch's CPU autocast has no float16), found '{SnakeCase.Of(p)}'.");
        return (list, null);
    }

    static (IReadOnlyList<CompareStep> Value, string? Error) ParseSteps(string text)
    {
        var list = new List<CompareStep>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!SnakeCase.TryParse<CompareStep>(name, out var s))
                return ([], $"--step: expected a comma-separated list of {string.Join(", ", SnakeCase.Names<CompareStep>())}, found '{name}'.");
            if (list.Contains(s)) return ([], $"--step: '{name}' is listed twice.");
            list.Add(s);
        }
        return list.Count == 0 ? ([], $"--step: expected at least one of {string.Join(", ", SnakeCase.Names<CompareStep>())}, found '{text}'.") : (list, null);
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        // Python first: without it there is nothing to compare, and the answer should not wait for libtorch to load.
        var candidates = s.Python is { } given ? [given] : PyTorchWorker.Candidates();
        var python = PyTorchWorker.Find(candidates, out var rejected);
        if (python is null)
        {
            Console.Error.WriteLine("error: no Python with torch and torchvision found" +
                (rejected.Count == 0 ? " (no python3 on PATH, none at /usr/bin/python3)" : $"; tried: {string.Join("; ", rejected)}") + ".");
            Console.Error.WriteLine(PyTorchWorker.HowToGetOne);
            return ExitCodes.Failure;
        }

        var archs = ParseArchs(s.Arch).Value;
        var precisions = ParsePrecisions(s.Precision).Value;
        var steps = ParseSteps(s.Step).Value;
        var report = TorchRuntime.Initialize("cpu", s.Threads);
        var device = TorchRuntime.Device;
        if (PrecisionList.Refusal(precisions, device) is { } refused)
        {
            Console.Error.WriteLine(refused);
            return ExitCodes.Usage;
        }
        var notes = s.Format == OutputFormat.Table ? Console.Out : Console.Error;
        string cpu = BenchMachine.CpuModel();
        string loadStart = BenchMachine.LoadAverage(1);
        string? cap = OneDnnIsa.Current?.Cap is { } c && c != "ALL" ? c : null;
        notes.WriteLine($"machine: {cpu}, {report.Threads} threads on both sides, load average (1 min) {loadStart} at the start");
        notes.WriteLine($"PneuKnow: TorchSharp {report.TorchSharpVersion}, libtorch {report.LibTorchVersion}");
        notes.WriteLine($"PyTorch:  torch {python.Torch}, torchvision {python.Torchvision}, Python {python.Python} ({python.Executable}), oneDNN {python.OneDnn}, BLAS {python.Blas}");
        if (python.BlasNote is { } blasNote) notes.WriteLine(blasNote);
        if (OneDnnIsa.Current is { } isa) notes.WriteLine($"oneDNN:   {isa}" + (cap is null ? "" : $"; the PyTorch side gets the same cap (ONEDNN_MAX_CPU_ISA={cap})"));
        notes.WriteLine($"input:    batch {s.Batch} × 3 × {s.Size} × {s.Size}, normal random; {s.Warmup} warm-up + {s.Timed} timed steps per round, {s.Rounds} round(s), a fresh model each round");

        // The paper's recipe as a stage that sets only its required keys has it (learning rate, weight decay, a_0), on both sides.
        var stage = new StageConfig(s.Size, archs[0], Dropout, Epochs: 1, AugmentationKind.None, s.Batch);
        var recipe = stage.ToTrainerOptions(teacher: false, seed: 1);
        // HKD's weight a_0 (0.5 in the paper) in epoch 0, where the consistency term weighs most.
        double weight = ConsistencyWeight.At(0, KdEpochs, stage.ConsistencyWeight);

        using var worker = PyTorchWorker.Start(python, report.Threads, cap);
        try { return Compare(s, archs, precisions, steps, python, report, worker, recipe, weight, cpu, loadStart, cancellationToken); }
        catch (PyTorchWorkerException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    static int Compare(Settings s, IReadOnlyList<string> archs, IReadOnlyList<Precision> precisions, IReadOnlyList<CompareStep> steps,
        PythonTorch python, TorchRuntimeReport report, PyTorchWorker worker, TrainerOptions recipe, double weight, string cpu, string loadStart,
        CancellationToken cancellationToken)
    {
        var device = TorchRuntime.Device;
        foreach (var arch in archs)
            if (SameArchitecture(worker, arch, s.Size) is { } different)
            {
                Console.Error.WriteLine($"error: {different}");
                return ExitCodes.Failure;
            }

        var cases = (from arch in archs from p in precisions from step in steps select new CompareCase(arch, p, step)).ToList();
        static string S(double v) => BenchMachine.Significant3(v);
        var results = CompareRounds.Run(cases, s.Rounds,
            c => Rate(s, MeasurePneuKnow(c, s, recipe, weight, device)),
            c => Rate(s, MeasurePyTorch(worker, c, s, recipe, weight, report.Threads)),
            (c, round, a, b) => Console.Error.WriteLine(
                $"round {round} {c.Arch} {SnakeCase.Of(c.Precision)} {SnakeCase.Of(c.Step)}: PneuKnow {S(a)} images/s, PyTorch {S(b)} images/s, load {BenchMachine.LoadAverage(1)}"),
            cancellationToken);
        string loadEnd = BenchMachine.LoadAverage(1);

        var columns = new List<TableColumn>
        {
            new("backbone", "backbone"), new("size", "size"), new("batch", "batch"), new("precision", "precision"), new("step", "step"),
            new("PneuKnow img/s", "pneuknow_images_per_second"), new("PyTorch img/s", "pytorch_images_per_second"),
            new("PneuKnow ÷ PyTorch", "ratio"), new("rounds", "rounds"),
        };
        // A file stands alone: its rows carry the machine and the versions that the screen shows above the table.
        bool script = s.Format is OutputFormat.Csv or OutputFormat.Json;
        if (script)
            columns.AddRange([new("cpu", "cpu"), new("threads", "threads"), new("torchsharp", "torchsharp_version"), new("libtorch", "libtorch_version"),
                new("torch", "torch_version"), new("torchvision", "torchvision_version"), new("PyTorch BLAS", "pytorch_blas"), new("load start", "load_start"), new("load end", "load_end")]);
        var table = new TextTable([.. columns]);
        foreach (var r in results)
        {
            var cells = new List<Cell>
            {
                r.Case.Arch, Cell.Integer(s.Size), Cell.Integer(s.Batch), SnakeCase.Of(r.Case.Precision), SnakeCase.Of(r.Case.Step),
                Cell.Of(S(r.PneuKnowMedian), r.PneuKnowMedian), Cell.Of(S(r.PyTorchMedian), r.PyTorchMedian), Cell.Of(S(r.Ratio), r.Ratio),
                Cell.Integer(r.PneuKnow.Count),
            };
            if (script)
                cells.AddRange([cpu, Cell.Integer(report.Threads), report.TorchSharpVersion, report.LibTorchVersion, python.Torch, python.Torchvision,
                    python.Blas, LoadCell(loadStart), LoadCell(loadEnd)]);
            table.Add([.. cells]);
        }
        table.Write(s.Format, [
            "img/s: medians over the rounds; ratio above 1: PneuKnow is faster.",
            $"load average (1 min): {loadStart} at the start, {loadEnd} at the end" +
                (double.TryParse(loadEnd, CultureInfo.InvariantCulture, out var end) && end > report.Threads + 0.5
                    ? $" — above the {report.Threads} threads the bench uses: other work shared the cores; compare only ratios, and rerun on a quiet machine."
                    : "."),
        ]);
        return ExitCodes.Success;
    }

    /// <summary>Epochs of guidance given to the HKD method: any positive count; the step is timed in epoch 0, at weight a_0.</summary>
    const int KdEpochs = 40;

    static Cell LoadCell(string load) =>
        double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? Cell.Of(load, v) : Cell.Of(load, (object?)null);

    static double Rate(Settings s, IReadOnlyList<double> seconds) => s.Batch * (double)seconds.Count / seconds.Sum();

    /// <summary>
    /// Null when PneuKnow's backbone and torchvision's network have the same parameter count, parameter shapes (up to
    /// order and size-1 dimensions) and feature-map shape; otherwise what differs.
    /// </summary>
    static string? SameArchitecture(PyTorchWorker worker, string arch, int size)
    {
        var answer = worker.Ask(new JsonObject { ["op"] = "describe", ["arch"] = arch, ["size"] = size, ["classes"] = Classes, ["dropout"] = Dropout });
        var theirs = CompareRounds.Fingerprint(answer["shapes"]!.AsArray().Select(a => (IReadOnlyList<long>)a!.AsArray().Select(d => d!.GetValue<long>()).ToList()));
        var theirFeatures = answer["features"]!.AsArray().Select(d => d!.GetValue<long>()).ToList();
        using var model = BackboneZoo.Create(new BackboneOptions(arch, Classes, Dropout));
        var ours = CompareRounds.Fingerprint(model.parameters().Select(p => (IReadOnlyList<long>)p.shape.ToList()));
        model.eval();
        List<long> ourFeatures;
        using (no_grad())
        using (var x = zeros(1, 3, size, size))
        using (var f = model.Features(x))
            ourFeatures = f.shape.Skip(1).ToList();
        if (ours.Parameters != theirs.Parameters || !ours.Shapes.SequenceEqual(theirs.Shapes))
        {
            var onlyOurs = ours.Shapes.Except(theirs.Shapes).Take(5);
            var onlyTheirs = theirs.Shapes.Except(ours.Shapes).Take(5);
            return $"{arch}: PneuKnow's backbone and torchvision's network differ: {ours.Parameters:N0} against {theirs.Parameters:N0} parameters; " +
                   $"shapes only in PneuKnow's: {string.Join(", ", onlyOurs)}; only in torchvision's: {string.Join(", ", onlyTheirs)}.";
        }
        if (!ourFeatures.SequenceEqual(theirFeatures))
            return $"{arch}: the feature maps at {size} px differ: PneuKnow {string.Join("×", ourFeatures)}, torchvision {string.Join("×", theirFeatures)}.";
        return null;
    }

    /// <summary>One PneuKnow round: a fresh model (and teacher), the warm-up, then the wall time of each timed step.</summary>
    static IReadOnlyList<double> MeasurePneuKnow(CompareCase c, Settings s, TrainerOptions recipe, double weight, Device device)
    {
        manual_seed(1);
        using var model = BackboneZoo.Create(new BackboneOptions(c.Arch, Classes, Dropout));
        using var teacher = c.Step == CompareStep.HkdStudent ? BackboneZoo.Create(new BackboneOptions(c.Arch, Classes, Dropout)) : null;
        model.to(device);
        teacher?.to(device);
        using var x = randn(s.Batch, 3, s.Size, s.Size, device: device);
        using var roi = randn(s.Batch, 3, s.Size, s.Size, device: device);
        using var mask = ones(s.Batch, 1, s.Size, s.Size, device: device);
        using var y = randint(0, Classes, s.Batch, dtype: ScalarType.Int64, device: device);
        using var index = arange(s.Batch, dtype: ScalarType.Int64, device: device);
        var batch = new Batch(x, roi, mask, y, index);
        // The trainer's own methods compute the loss: the baseline's cross-entropy, or HKD's weighted consistency and cross-entropy.
        ITrainingMethod? method = c.Step switch
        {
            CompareStep.Train => new Baseline(),
            CompareStep.HkdStudent => new HkdStudent(teacher!, KdEpochs, weight),
            _ => null,
        };
        using var adam = method is null ? null : optim.Adam(model.parameters().Where(p => p.requires_grad), lr: recipe.LearningRate, weight_decay: recipe.WeightDecay);
        if (method is null) model.eval(); else model.train();

        void Step()
        {
            using var scope = NewDisposeScope();
            if (method is null)
            {
                // A test pass as the trainer's Evaluate runs it: no autograd, the forward under the precision's scope, float32 logits.
                using var _ = no_grad();
                Tensor logits;
                using (c.Precision.Forward(device)) logits = model.Head(model.Features(model.Normalize(x)));
                nn.functional.softmax(logits.to(ScalarType.Float32), 1);
                return;
            }
            // The trainer's step (Trainer.RunEpoch): the loss under the precision's scope, which closes before backward.
            adam!.zero_grad();
            LossTerms terms;
            using (c.Precision.Forward(device)) terms = method.Loss(model, batch, 0);
            terms.Total.backward();
            adam.step();
        }

        for (int i = 0; i < s.Warmup; i++) Step();
        var seconds = new List<double>(s.Timed);
        for (int i = 0; i < s.Timed; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Step();
            seconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return seconds;
    }

    /// <summary>One PyTorch round: the same request to compare.py, which builds, warms up and times the same way.</summary>
    static IReadOnlyList<double> MeasurePyTorch(PyTorchWorker worker, CompareCase c, Settings s, TrainerOptions recipe, double weight, int threads)
    {
        var answer = worker.Ask(new JsonObject
        {
            ["op"] = "measure", ["workload"] = SnakeCase.Of(c.Step), ["arch"] = c.Arch, ["size"] = s.Size, ["batch"] = s.Batch,
            ["classes"] = Classes, ["dropout"] = Dropout, ["precision"] = SnakeCase.Of(c.Precision), ["threads"] = threads,
            ["warmup"] = s.Warmup, ["steps"] = s.Timed, ["seed"] = 1, ["learning_rate"] = recipe.LearningRate,
            ["weight_decay"] = recipe.WeightDecay, ["consistency_weight"] = weight,
        });
        var seconds = answer["seconds"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        if (seconds.Count != s.Timed || seconds.Any(v => !(v > 0)))
            throw new PyTorchWorkerException($"{PyTorchWorker.ScriptName}: expected {s.Timed} positive step times, found [{string.Join(", ", seconds)}].");
        return seconds;
    }
}
