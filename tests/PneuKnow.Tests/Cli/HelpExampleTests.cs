using System.Text.RegularExpressions;
using PneuKnow.Cli;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Tests.Notebooks;
using PneuKnow.Tests.Study;
using PneuKnow.Training;
using Spectre.Console;
using TorchSharp.PyBridge;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Every EXAMPLES line of every <c>pneuknow … --help</c> page runs, as a user would type it after a fresh clone: the
/// built <c>pneuknow</c> as a child process whose working folder is a sandbox laid out like the repository (the shipped
/// <c>configs/</c> and <c>data/paper-reference/</c> copied, <c>notebooks/</c> and <c>lib/</c> linked where an example
/// needs them), on data that the examples before it generate. A test may shrink a size or point a path at what the
/// sandbox holds, but runs the example's command with the example's options in the example's order
/// (<see cref="SameOptions"/>); where it changes nothing the example runs verbatim.
/// </summary>
public sealed class HelpExampleTests
{
    /// <summary>What the test does with one help example.</summary>
    /// <param name="Text">The example as its help page prints it.</param>
    /// <param name="Fast">Also run by the fast test (nothing trains).</param>
    /// <param name="Prepare">Puts into the sandbox what the example reads and no earlier example wrote.</param>
    /// <param name="Args">The arguments actually run; null runs the example verbatim.</param>
    sealed record Example(string Text, bool Fast = false, Action<Sandbox>? Prepare = null, Func<string[], string[]>? Args = null);

    /// <summary>The <c>bundle</c> example, run (with its --out inside a temporary folder) by <see cref="NoLibTorchBundle"/> for <see cref="BundleTests"/>.</summary>
    const string BundleExample = "bundle --out dist --libtorch none";

    /// <summary>Every help example, in the order they run: each one's inputs are made by the ones above it or by its Prepare.</summary>
    static readonly Example[] Examples =
    [
        new("info --device cpu", Fast: true),
        new("slurm --preset paper --shards 10 --partition gpu", Fast: true),
        new("synth --out data/generated/smoke --images 200 --size 128", Fast: true),
        new("data check --manifest data/generated/smoke/manifest.csv --decode 128", Fast: true),
        new("data split --manifest data/generated/smoke/manifest.csv --out data/generated/smoke/manifest-split.csv --fractions 0.6,0.2,0.2", Fast: true),
        new("models import convnext_tiny convnext_tiny-983f1562.pth", Prepare: s => s.TorchvisionCheckpoint("convnext_tiny", "convnext_tiny-983f1562.pth")),
        new("train configs/smoke.json --out runs --device cpu --no-pretrained"),
        new("evaluate results/runs/convnext_small-baseline-0 results/runs/convnext_small-baseline-1 --split valid --out results/evaluation",
            Prepare: s => { s.CopyRun("runs/smoke/baseline/run_0", "results/runs/convnext_small-baseline-0"); s.CopyRun("runs/smoke/baseline/run_1", "results/runs/convnext_small-baseline-1"); }),
        new("train configs/ConvNeXt_small_KD_config.txt", Prepare: s => s.ShrinkKdConfig()),
        new("tables results/runs/cs-base-0 results/runs/cs-hkd-0 --cell cs-base=convnext_small:baseline --cell cs-hkd=convnext_small:HKD " +
            "--compare cs-base=ConvNeXt_small_Baseline:baseline --compare cs-hkd=ConvNeXt_small_KD:student",
            Prepare: s => { s.CopyRun("runs/smoke/baseline/run_0", "results/runs/cs-base-0"); s.CopyRun("results/models/ConvNeXt_small_KD/student/run_0", "results/runs/cs-hkd-0"); }),
        new("reproduce --preset smoke"),
        new("explain results/quick/runs/cntk_resnet18_clean_do_kd/student/run_0 --images 0,1,2 --split test --out results/explain",
            Args: a => Replace(a, ("results/quick/runs/cntk_resnet18_clean_do_kd/student/run_0", "results/smoke/runs/cntk_resnet18_do_kd/student/run_0"))),
        new("report results/quick", Args: a => Replace(a, ("results/quick", "results/smoke"))),
        // The figures the report just wrote are already in the committed form: nothing to change, and it says so.
        new("compact-figures results/reference/quick", Args: a => Replace(a, ("results/reference/quick", "results/smoke"))),
        // The smoke study's finished runs packed per unit, then unpacked again (the examples after it read run folders).
        new("pack results/reference/study", Args: a => Replace(a, ("results/reference/study", "results/smoke"))),
        new("unpack results/reference/study", Args: a => Replace(a, ("results/reference/study", "results/smoke"))),
        new("merge results/shard-0 results/shard-1 --out results/merged", Prepare: s => s.SmokeShards()),
        new("notebook run notebooks/00-getting-started.ipynb -p preset=smoke -o results/notebooks", Prepare: s => s.LinkNotebooks()),
        // The benchmarks last: they measure with every core for a fixed time, and on a busy machine take longest.
        new("bench pipeline --size 224 --images 64", Args: a => Replace(a, ("224", "32"), ("64", "16"))),
        new("bench models --size 224 --batch 8", Args: a => Replace(a, ("224", "32"), ("8", "2"))),
        new("bench train --arch resnet18 --size 64 --device cpu", Args: a => Replace(a, ("64", "32"))),
    ];

    /// <summary>
    /// The examples' texts as the help pages print them, deduplicated (a branch page repeats its commands' examples), from
    /// every page of the command tree rendered wide enough that no line wraps.
    /// </summary>
    static IReadOnlyList<string> ExamplesInHelp()
    {
        var found = new List<string>();
        var pages = new Queue<string[]>([[]]);
        while (pages.TryDequeue(out var path))
        {
            var help = Help(path);
            var parts = help.Split("EXAMPLES:", 2);
            if (parts.Length == 2)
                foreach (var line in parts[1].Split('\n').Skip(1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)))
                    found.Add(line.Trim()["pneuknow ".Length..]);
            var commands = help.Split("COMMANDS:", 2);
            if (commands.Length == 2)
                foreach (var line in commands[1].Split('\n'))
                    if (Regex.Match(line, @"^    ([a-z][a-z-]*)(\s|$)") is { Success: true } m) pages.Enqueue([.. path, m.Groups[1].Value]);
        }
        return found.Distinct().ToList();
    }

    static string Help(string[] path)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 10_000;
        var app = new Spectre.Console.Cli.CommandApp();
        app.Configure(c => { CliApp.ConfigureCommands(c); c.Settings.Console = console; });
        Assert.Equal(0, app.Run([.. path, "--help"]));
        return text.ToString();
    }

    static string[] Replace(string[] args, params (string From, string To)[] swaps)
    {
        var result = args.ToArray();
        foreach (var (from, to) in swaps)
        {
            int i = Array.IndexOf(result, from);
            Assert.True(i >= 0, $"'{from}' is not in {string.Join(' ', args)}");
            result[i] = to;
        }
        return result;
    }

    /// <summary>
    /// The run keeps the example's command and options: as many tokens, and every option and every plain word (the
    /// command's names, word values such as <c>cpu</c>) unchanged; only paths and numbers may differ.
    /// </summary>
    static void SameOptions(string[] example, string[] run)
    {
        Assert.Equal(example.Length, run.Length);
        for (int i = 0; i < example.Length; i++)
            if (example[i].StartsWith('-') || Regex.IsMatch(example[i], "^[a-z]+$"))
                Assert.Equal(example[i], run[i]);
    }

    [Fact]
    public void Every_help_example_is_known_here_and_none_wraps_or_needs_quoting()
    {
        var inHelp = ExamplesInHelp();
        var known = Examples.Select(e => e.Text).Append(BundleExample).ToList();
        Assert.Equal(known.Order(StringComparer.Ordinal), inHelp.Order(StringComparer.Ordinal));
        Assert.True(inHelp.Count >= 19, $"found {inHelp.Count} examples");
        Assert.Equal(BundleExample, string.Join(' ', NoLibTorchBundle.Arguments("dist")));
        foreach (var e in Examples.Where(e => e.Args is not null))
            SameOptions(e.Text.Split(' '), e.Args!(e.Text.Split(' ')));
    }

    /// <summary>The unit that <c>reproduce --unit</c>'s help names as its example is a unit of the default preset (units carry their condition).</summary>
    [Fact]
    public void The_unit_named_in_reproduce_help_exists()
    {
        var description = typeof(PneuKnow.Cli.Commands.Reproduce.ReproduceCommand.Settings).GetProperty("Unit")!
            .GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), false).Cast<System.ComponentModel.DescriptionAttribute>().Single().Description;
        var named = Regex.Match(description, @"e\.g\. ([a-z0-9_]+)").Groups[1].Value;
        Assert.Contains(named, PneuKnow.Study.StudyGrid.Units(PneuKnow.Study.StudyPreset.Quick).Select(u => u.Key));
    }

    /// <summary>The examples that train nothing, on the data the synth example writes (a few seconds each).</summary>
    [Fact]
    public void The_examples_that_train_nothing_run()
    {
        using var sandbox = new Sandbox();
        RunAll(sandbox, Examples.Where(e => e.Fast));
    }

    /// <summary>Every example but bundle's (see <see cref="BundleExample"/>), in order, in one sandbox: minutes.</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void Every_help_example_runs()
    {
        using var sandbox = new Sandbox();
        RunAll(sandbox, Examples);
        // What the examples left behind is what they promise.
        foreach (var file in new[] { "data/generated/smoke/manifest-split.csv", "weights/convnext_tiny.safetensors", "runs/smoke/baseline/run_1/run.json",
                     "results/evaluation", "results/tables/comparison.csv", "results/smoke/tables/claims.csv", "results/merged/tables",
                     "results/explain/regions.csv", "results/notebooks/00-getting-started.ipynb" })
            Assert.True(File.Exists(sandbox.Path(file)) || Directory.Exists(sandbox.Path(file)), $"{file} missing after the examples ran");
    }

    static void RunAll(Sandbox sandbox, IEnumerable<Example> examples)
    {
        foreach (var e in examples)
        {
            e.Prepare?.Invoke(sandbox);
            var args = e.Text.Split(' ');
            var run = e.Args?.Invoke(args) ?? args;
            var r = sandbox.Pneuknow(run);
            Assert.True(r.Exit == 0, $"example `pneuknow {e.Text}` (run as `pneuknow {string.Join(' ', run)}`) exited {r.Exit}:\n{Tail(r.Output)}");
            Assert.DoesNotContain("error:", r.Stderr, StringComparison.Ordinal);
        }
    }

    static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(25));

    /// <summary>A temporary folder laid out like the repository, removed afterwards; the built pneuknow runs inside it.</summary>
    sealed class Sandbox : IDisposable
    {
        static string Repo => NotebookPaths.RepositoryRoot;
        static string Cli => System.IO.Path.Combine(Repo, "lib", "PneuKnow.Cli", "bin", "Release", "net10.0", "PneuKnow.Cli.dll");

        public string Root { get; } = Directory.CreateTempSubdirectory("pneuknow-examples-").FullName;

        public Sandbox()
        {
            CopyTree(System.IO.Path.Combine(Repo, "configs"), Path("configs"));
            CopyTree(System.IO.Path.Combine(Repo, "data", "paper-reference"), Path("data/paper-reference"));
        }

        public string Path(string relative) => System.IO.Path.Combine(Root, relative);

        public Shell.Result Pneuknow(string[] args) =>
            // The weights folder is the sandbox's, so that `models import` does not write into the user's cache.
            Shell.Run("dotnet", [Cli, .. args], TimeSpan.FromMinutes(10), Root, new() { [WeightStore.Variable] = Path("weights") });

        /// <summary>A torch.save state dict of a freshly initialised backbone, as the downloaded checkpoint would be.</summary>
        public void TorchvisionCheckpoint(string architecture, string file)
        {
            TorchRuntime.Initialize("cpu");
            using var model = BackboneZoo.Create(new BackboneOptions(architecture, 1000, Dropout: 0));
            model.save_py(Path(file));
        }

        public void CopyRun(string from, string to) => CopyTree(Path(from), Path(to));

        /// <summary>
        /// The shipped paper config at seconds' size: the sizes shrunk (32 px, two epochs each, the fewest the paper's cosine
        /// schedule takes, one of them guided, batch 16, one run) and the
        /// data paths pointed at the synth example's phantom; the architecture and every other key stay. Its
        /// pretrained ConvNeXt-small is a freshly initialised one in the sandbox's weights folder.
        /// </summary>
        public void ShrinkKdConfig()
        {
            var file = Path("configs/ConvNeXt_small_KD_config.txt");
            var text = File.ReadAllText(file);
            foreach (var (from, to) in new[]
                     {
                         ("resolution = 224", "resolution = 32"), ("epochs = 20", "epochs = 2"), ("epochs = 60", "epochs = 2"), ("kd_epochs = 40", "kd_epochs = 1"),
                         ("batch_size = 8", "batch_size = 16"), ("repeated_runs = 5", "repeated_runs = 1"), ("../data/study/", "../data/generated/smoke/"),
                     })
            {
                Assert.Contains(from, text);
                text = text.Replace(from, to);
            }
            File.WriteAllText(file, text);
            Assert.Equal(("convnext_small", 1, 32), (ExperimentConfig.Load(file).Student!.Architecture, ExperimentConfig.Load(file).RepeatedRuns, ExperimentConfig.Load(file).Teacher!.Resolution));
            TorchRuntime.Initialize("cpu");
            using var model = BackboneZoo.Create(new BackboneOptions("convnext_small", 1000, Dropout: 0));
            Directory.CreateDirectory(Path("weights"));
            StateDictFile.WriteSafetensors(Path("weights/convnext_small.safetensors"), model.state_dict());
        }

        /// <summary>The two shards that the merge example combines, trained by reproduce as the README says.</summary>
        public void SmokeShards()
        {
            foreach (var i in new[] { 0, 1 })
            {
                var r = Pneuknow(["reproduce", "--preset", "smoke", "--shard", $"{i}/2", "--out", $"results/shard-{i}"]);
                Assert.True(r.Exit == 0, $"reproduce --shard {i}/2 exited {r.Exit}:\n{Tail(r.Output)}");
            }
        }

        /// <summary>The notebooks and the built engine they reference by a relative path (<c>../lib/…</c>).</summary>
        public void LinkNotebooks()
        {
            Directory.CreateSymbolicLink(Path("notebooks"), System.IO.Path.Combine(Repo, "notebooks"));
            Directory.CreateSymbolicLink(Path("lib"), System.IO.Path.Combine(Repo, "lib"));
        }

        static void CopyTree(string from, string to)
        {
            Assert.True(Directory.Exists(from), $"{from} missing");
            foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(System.IO.Path.Combine(to, System.IO.Path.GetRelativePath(from, dir)));
            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
                File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetRelativePath(from, file)));
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
