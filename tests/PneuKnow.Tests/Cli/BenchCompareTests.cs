using PneuKnow.Cli;
using PneuKnow.Cli.Commands.Training;
using PneuKnow.Training;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// <c>pneuknow bench compare</c>. None of the fast tests needs Python: the interleaving and the architecture fingerprint
/// run on fakes, and the command's answer without a usable interpreter is checked by pointing <c>--python</c> at a file
/// that does not exist and at one that is no Python. The end-to-end run needs a python3 with torch and is skipped without one.
/// </summary>
public sealed class BenchCompareTests
{
    [Fact]
    public void Without_a_python_with_torch_it_exits_1_and_says_how_to_get_one()
    {
        var missing = PneuknowCli.Run("bench", "compare", "--python", "/nonexistent/python3", "--arch", "resnet18");
        Assert.Equal(ExitCodes.Failure, missing.Exit);
        Assert.Contains("error: no Python with torch and torchvision found; tried: /nonexistent/python3: no such file.", missing.Error);
        Assert.Contains("apt-get install -y python3-torch python3-torchvision", missing.Error);
        Assert.Contains("--python PATH", missing.Error);
        Assert.Equal("", missing.Out);

        // A file that runs but is no Python with torch (here: one that exits 1 at once) is named with its exit code.
        var notPython = PneuknowCli.Run("bench", "compare", "--python", "/bin/false", "--arch", "resnet18");
        Assert.Equal(ExitCodes.Failure, notPython.Exit);
        Assert.Contains("tried: /bin/false: exit 1", notPython.Error);
        Assert.Contains("apt-get install -y python3-torch python3-torchvision", notPython.Error);
    }

    [Theory]
    [InlineData("--arch", "cntk_resnet18", "--arch: expected names from resnet18, resnet50, efficientnet_b0")]
    [InlineData("--arch", "resnet18,resnet18", "--arch: a name is listed twice")]
    [InlineData("--precision", "fp16-mixed", "--precision: expected fp32, bf16-mixed (PyTorch's CPU autocast has no float16), found 'fp16-mixed'.")]
    [InlineData("--step", "train,backward", "--step: expected a comma-separated list of train, inference, hkd_student, found 'backward'.")]
    [InlineData("--device", "cuda", "--device: bench compare runs on the CPU")]
    [InlineData("--timed", "0", "--timed: expected at least 1 step, found 0.")]
    public void Bad_options_are_usage_errors_that_name_what_was_expected(string option, string value, string message)
    {
        // --python points nowhere: a usage error must be reported before any interpreter is looked for.
        var r = PneuknowCli.Run("bench", "compare", option, value, "--python", "/nonexistent/python3");
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.Contains(message, r.Error);
        Assert.DoesNotContain("no Python", r.Error);
    }

    [Fact]
    public void Rounds_alternate_the_sides_and_the_table_takes_each_sides_median()
    {
        var cases = new[]
        {
            new CompareCase("resnet18", Precision.Float32, CompareStep.Train),
            new CompareCase("resnet18", Precision.BFloat16Mixed, CompareStep.HkdStudent),
        };
        var calls = new List<string>();
        // Each side returns its next rate from a list per case, so the medians are known beforehand.
        var ours = new Dictionary<CompareCase, Queue<double>> { [cases[0]] = new([10, 30, 20]), [cases[1]] = new([5, 7, 100]) };
        var theirs = new Dictionary<CompareCase, Queue<double>> { [cases[0]] = new([8, 8, 12]), [cases[1]] = new([4, 1, 2]) };
        var done = new List<(int Round, double A, double B)>();
        var results = CompareRounds.Run(cases, 3,
            c => { calls.Add($"pneuknow {c.Step}"); return ours[c].Dequeue(); },
            c => { calls.Add($"pytorch {c.Step}"); return theirs[c].Dequeue(); },
            (c, round, a, b) => done.Add((round, a, b)));

        Assert.Equal([
            "pneuknow Train", "pytorch Train", "pytorch Train", "pneuknow Train", "pneuknow Train", "pytorch Train",
            "pneuknow HkdStudent", "pytorch HkdStudent", "pytorch HkdStudent", "pneuknow HkdStudent", "pneuknow HkdStudent", "pytorch HkdStudent",
        ], calls);
        Assert.Equal([(1, 10.0, 8.0), (2, 30.0, 8.0), (3, 20.0, 12.0), (1, 5.0, 4.0), (2, 7.0, 1.0), (3, 100.0, 2.0)], done);
        Assert.Equal(20, results[0].PneuKnowMedian);
        Assert.Equal(8, results[0].PyTorchMedian);
        Assert.Equal(2.5, results[0].Ratio);
        Assert.Equal(7, results[1].PneuKnowMedian);
        Assert.Equal(2, results[1].PyTorchMedian);
        Assert.Equal(3.5, results[1].Ratio);
        Assert.Equal(2.5, CompareRounds.Median([4, 1, 2, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CompareRounds.Run(cases, 0, _ => 1, _ => 1));
    }

    [Fact]
    public void The_architecture_fingerprint_ignores_order_and_size_1_dimensions_but_not_shapes()
    {
        // ConvNeXt's layer scale: C in timm's layout, C×1×1 in torchvision's; the order of registration differs too.
        IReadOnlyList<long>[] timm = [[96, 3, 4, 4], [96], [384, 96]];
        IReadOnlyList<long>[] torchvision = [[384, 96], [96, 1, 1], [96, 3, 4, 4]];
        var a = CompareRounds.Fingerprint(timm);
        var b = CompareRounds.Fingerprint(torchvision);
        Assert.Equal(96 * 3 * 4 * 4 + 96 + 384 * 96, a.Parameters);
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.Equal(a.Shapes, b.Shapes);
        // The same count in other shapes (a transposed linear layer) is another architecture.
        var c = CompareRounds.Fingerprint([[96, 3, 4, 4], [96], [96, 384]]);
        Assert.Equal(a.Parameters, c.Parameters);
        Assert.NotEqual(a.Shapes, c.Shapes);
    }

    [PythonTorchFact]
    [Trait("Category", "Slow")]
    public void Against_a_local_pytorch_it_prints_both_rates_the_ratio_and_the_machine()
    {
        var r = PneuknowCli.Run("bench", "compare", "--arch", "resnet18", "--size", "32", "--batch", "2", "--rounds", "2", "--timed", "1",
            "--warmup", "1", "--step", "train,hkd_student", "--precision", "fp32,bf16-mixed", "--threads", "1", "--format", "csv");
        Assert.True(r.Exit == 0, r.Error + r.Out);
        var t = PneuKnow.Data.Csv.Parse(r.Out, "compare.csv");
        Assert.Equal(["backbone", "size", "batch", "precision", "step", "pneuknow_images_per_second", "pytorch_images_per_second", "ratio", "rounds",
            "cpu", "threads", "torchsharp_version", "libtorch_version", "torch_version", "torchvision_version", "pytorch_blas", "load_start", "load_end"], t.Header);
        Assert.Equal(["fp32 train", "fp32 hkd_student", "bf16-mixed train", "bf16-mixed hkd_student"], t.Rows.Select(row => $"{row.Fields[3]} {row.Fields[4]}"));
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        foreach (var row in t.Rows)
        {
            double ours = double.Parse(row.Fields[5], inv), theirs = double.Parse(row.Fields[6], inv);
            Assert.True(ours > 0 && theirs > 0, string.Join(",", row.Fields));
            Assert.Equal(ours / theirs, double.Parse(row.Fields[7], inv), 1e-9);
            Assert.Equal("2", row.Fields[8]);
            Assert.Equal("1", row.Fields[10]);
        }
        // The rounds on stderr: PneuKnow's and PyTorch's rate per round, two rounds per case.
        Assert.Equal(8, r.Error.Split('\n').Count(l => l.StartsWith("round ", StringComparison.Ordinal) && l.Contains("PneuKnow ") && l.Contains("PyTorch ")));
        Assert.Contains("PyTorch:  torch ", r.Error);
    }
}

/// <summary>A test that needs a python3 with torch and torchvision: skipped, with the reason, where none is found (CI has none).</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    static readonly Lazy<string?> Missing = new(() =>
        PyTorchWorker.Find(PyTorchWorker.Candidates(), out var rejected) is null
            ? "no python3 with torch and torchvision" + (rejected.Count > 0 ? $" ({string.Join("; ", rejected)})" : "") + ". " + PyTorchWorker.HowToGetOne
            : null);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no interpreter with torch is found.</summary>
    public PythonTorchFactAttribute()
    {
        if (Missing.Value is { } why) Skip = why;
    }
}
