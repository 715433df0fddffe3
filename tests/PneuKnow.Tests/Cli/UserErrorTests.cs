using PneuKnow.Cli;
using PneuKnow.Data;
using PneuKnow.Data.Phantom;
using PneuKnow.Runtime;
using PneuKnow.Tests.Data;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Issue 25, groups 6–8: user and data errors are exit 1 or 2 with one line naming what was expected, what was found and
/// where, never an internal error (exit 3) with a stack trace. Before: <c>synth --size 0</c> said "(Parameter 'size')
/// Actual value was 0." with exit 1, a full disk gave exit 3 and an AggregateException's stack trace, <c>train</c> built a
/// six-way head for a stray label, an image with Target 0 and Target 1 rows was accepted, <c>--out</c> inside the data or
/// naming a file failed late or not at all, and a symbolic link inside raw/ led out of the dataset.
/// </summary>
public sealed class UserErrorTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    static void NoInternalError(PneuknowCli.Result r)
    {
        Assert.NotEqual(ExitCodes.Internal, r.Exit);
        Assert.DoesNotContain("internal error", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.DoesNotContain("(Parameter '", r.Error);
        Assert.DoesNotContain("Actual value was", r.Error);
    }

    /// <summary>Out-of-range values: exit 2, the option, the allowed range and the value found; nothing created.</summary>
    [Theory]
    [InlineData("--size: expected 32..4096 pixels, found 0.", "synth", "--size", "0", "--out", "{out}")]
    [InlineData("--images: expected at least 1, found -1.", "synth", "--images", "-1", "--out", "{out}")]
    [InlineData("--atypical: expected 0..1, found 2.", "synth", "--atypical", "2", "--out", "{out}")]
    [InlineData("--shortcut: expected 0..1, found 1.5.", "synth", "--shortcut", "1.5", "--out", "{out}")]
    [InlineData("--multi-image: expected 0..1, found -0.1.", "synth", "--multi-image", "-0.1", "--out", "{out}")]
    [InlineData("--conspicuity: expected 0..10, found 11.", "synth", "--conspicuity", "11", "--out", "{out}")]
    [InlineData("--classes: expected labels among", "synth", "--classes", "Q=1", "--out", "{out}")]
    [InlineData("--splits: expected non-negative train/valid/test fractions summing to 1", "synth", "--splits", "0.5,0.2,0.2", "--out", "{out}")]
    [InlineData("--device: expected auto, cpu, cuda or cuda:N, found 'banana'.", "info", "--device", "banana")]
    [InlineData("--device: expected auto, cpu, cuda or cuda:N, found 'cuda:x'.", "info", "--device", "cuda:x")]
    [InlineData("--decode: expected a working size of 8..4096 pixels, found 0.", "data", "check", "--manifest", "{out}/m.csv", "--decode", "0")]
    [InlineData("--decode: expected a working size of 8..4096 pixels, found 5000.", "data", "check", "--manifest", "{out}/m.csv", "--decode", "5000")]
    [InlineData("--resamples: expected at least 2 bootstrap resamples, found -5.", "evaluate", "{out}/run_0", "--resamples", "-5", "--out", "{out}")]
    [InlineData("--resamples: expected at least 2 bootstrap resamples, found 1.", "evaluate", "{out}/run_0", "--resamples", "1", "--out", "{out}")]
    public void An_out_of_range_value_exits_2_naming_option_range_and_value_and_creates_nothing(string message, params string[] args)
    {
        var target = _dir["target"];
        var r = PneuknowCli.Run(args.Select(a => a.Replace("{out}", target)).ToArray());
        Assert.Equal(ExitCodes.Usage, r.Exit);
        Assert.StartsWith("error: " + message, r.Error);
        NoInternalError(r);
        Assert.False(Directory.Exists(target), $"{target} was created");
    }

    /// <summary>
    /// A full disk during <c>synth</c> (simulated by <see cref="AtomicFile.SimulateFreeSpace"/>, which raises the IOException
    /// .NET raises for ENOSPC): exit 1, one line naming the output folder and the bytes written there.
    /// </summary>
    [Fact]
    public void A_full_disk_during_synth_exits_1_naming_the_folder_and_what_was_written()
    {
        var output = _dir["phantom"];
        PneuknowCli.Result r;
        using (AtomicFile.SimulateFreeSpace(60_000))
            r = PneuknowCli.Run("synth", "--out", output, "--images", "40", "--size", "64", "--threads", "1");
        Assert.Equal(ExitCodes.Failure, r.Exit);
        NoInternalError(r);
        var error = Assert.Single(r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith($"error: {output}: no space left on the device (", error);
        // What the command wrote is what lies in the folder (the failed temporary file is removed), in KiB.
        long written = new DirectoryInfo(output).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => f.Name != FolderLock.FileName).Sum(f => f.Length);
        Assert.InRange(written, 1, 60_000);
        Assert.Contains($"{DiskFull.Size(written)} written there by this command", error);
        Assert.Contains("free some space or write elsewhere", error);
    }

    /// <summary>
    /// A full disk under <c>data check --cache</c>: the cache is optional, so the check finishes without it (exit 0, every
    /// image decoded) and says on stderr that the cache could not be written.
    /// </summary>
    [Fact]
    public void A_full_cache_disk_falls_back_to_no_cache()
    {
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 30, Size = 64, Seed = 5 }, _dir["data"]);
        PneuknowCli.Result r;
        using (AtomicFile.SimulateFreeSpace(20_000))
            r = PneuknowCli.Run("data", "check", "--manifest", ds.ManifestPath, "--decode", "64", "--cache", _dir["cache"]);
        Assert.Equal(ExitCodes.Success, r.Exit);
        NoInternalError(r);
        Assert.Contains("decoded 30, from cache 0; 30 images at 64 px", r.Out);
        Assert.Contains($"warning: the decoded-image cache {_dir["cache"]} could not be written (no space left on the device", r.Error);
        // The entries that did fit are valid: a second run reads them and decodes the rest.
        var again = PneuknowCli.Run("data", "check", "--manifest", ds.ManifestPath, "--decode", "64", "--cache", _dir["cache"]);
        Assert.Equal(ExitCodes.Success, again.Exit);
        var hits = int.Parse(System.Text.RegularExpressions.Regex.Match(again.Out, @"from cache (\d+)").Groups[1].Value);
        Assert.InRange(hits, 1, 29);
        Assert.DoesNotContain("warning", again.Error);
    }

    /// <summary>.NET's argument errors lose their "(Parameter …)" and "Actual value was …" decorations on the way to stderr.</summary>
    [Fact]
    public void Argument_errors_read_as_one_line_naming_the_parameter_and_value()
    {
        Assert.Equal("size: expected a working size of 8..4096 pixels, found 0.",
            CliErrors.OneLine(new ArgumentOutOfRangeException("size", 0, "expected a working size of 8..4096 pixels")));
        Assert.Equal("count: expected a positive count.", CliErrors.OneLine(new ArgumentException("expected a positive count.", "count")));
        var stderr = new StringWriter();
        Assert.Equal(ExitCodes.Failure, CliErrors.Report(new AggregateException(DiskFull.Simulated(_dir["x/y.png"])), ["synth"], stderr));
        Assert.StartsWith($"error: {_dir["x"]}: no space left on the device", stderr.ToString());
    }

    /// <summary>Group 7: <c>train</c> refuses a label outside the known five, as <c>data check</c> does, from the one shared check.</summary>
    [Fact]
    public void Train_refuses_an_unknown_class_as_data_check_does()
    {
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 30, Size = 32, Seed = 5 }, _dir["data"]);
        var lines = File.ReadAllLines(ds.ManifestPath);
        var f = lines[3].Split(',');
        f[1] = "X";
        lines[3] = string.Join(',', f);
        File.WriteAllLines(ds.ManifestPath, lines);
        var config = _dir["cfg.json"];
        File.WriteAllText(config, $$"""
            { "settings": { "experiment_name": "t", "raw_data_dir": "data/raw", "roi_data_dir": "data/roi", "metadata_file": "data/manifest.csv",
                            "model_dir": "models", "cuda": 0, "repeated_runs": 1 },
              "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.0, "epochs": 2, "schedule": "constant",
                         "augmentations": "none", "batch_size": 8, "pretrained": false } }
            """);
        var check = PneuknowCli.Run("data", "check", "--manifest", ds.ManifestPath);
        var train = PneuknowCli.Run("train", config, "--device", "cpu", "--out", _dir["runs"]);
        foreach (var r in new[] { check, train })
        {
            Assert.Equal(ExitCodes.Failure, r.Exit);
            NoInternalError(r);
            Assert.Contains($"error: {ds.ManifestPath}, line 4, column 'class': expected the labels B, C, NB, P, V, found also 'X'", r.Error);
        }
        Assert.False(Directory.Exists(_dir["runs/t/baseline"]), "train started a run");
    }

    /// <summary>Group 7: an image with both a Target 0 (no finding) row and a Target 1 (box) row is refused, naming both lines.</summary>
    [Fact]
    public void An_image_with_target_0_and_target_1_rows_is_refused()
    {
        DatasetBuilder.WriteAll(_dir.Path);
        // a.png is healthy (a Target 0 row); give it a box as well.
        File.AppendAllText(_dir["boxes.csv"], "a,3,4,5,5,1\n");
        int zeroLine = Array.FindIndex(File.ReadAllLines(_dir["boxes.csv"]), l => l.StartsWith("a,", StringComparison.Ordinal)) + 1;
        int boxLine = File.ReadAllLines(_dir["boxes.csv"]).Length;
        var r = PneuknowCli.Run("data", "check", "--manifest", _dir["manifest.csv"], "--annotation-type", "boxes");
        Assert.Equal(ExitCodes.Failure, r.Exit);
        NoInternalError(r);
        Assert.Contains($"expected either a Target 0 row (no finding) or Target 1 rows (boxes) for image 'a', found both: Target 0 on line {zeroLine}, Target 1 on line {boxLine}.", r.Error);
    }

    /// <summary>
    /// Group 9: <c>--format</c> names how a table prints on every command; the data commands' annotation type is
    /// <c>--annotation-type</c>, and an old <c>--format boxes</c> exits 2 naming the new option rather than reading boxes.
    /// </summary>
    [Fact]
    public void The_annotation_type_is_its_own_option_and_format_names_it()
    {
        DatasetBuilder.WriteAll(_dir.Path);
        var old = PneuknowCli.Run("data", "check", "--manifest", _dir["manifest.csv"], "--format", "boxes");
        Assert.Equal(ExitCodes.Usage, old.Exit);
        Assert.Contains("error: --format: the data commands print no table; the annotation type is --annotation-type (roi, masks, boxes or polygons), found --format 'boxes'.", old.Error);
        var boxes = PneuknowCli.Run("data", "check", "--manifest", _dir["manifest.csv"], "--annotation-type", "boxes");
        Assert.True(boxes.Exit == 0, boxes.Error);
        var help = PneuknowCli.Run("data", "check", "--help");
        Assert.Contains("--annotation-type", help.Out);
        Assert.DoesNotContain("--format", help.Out);
    }

    /// <summary>Group 7: <c>--manifest</c> naming a folder says so, and names the manifest inside it.</summary>
    [Fact]
    public void A_manifest_that_is_a_folder_is_named_as_one()
    {
        DatasetBuilder.WriteAll(_dir.Path);
        var r = PneuknowCli.Run("data", "check", "--manifest", _dir.Path);
        Assert.Equal(ExitCodes.Failure, r.Exit);
        Assert.Contains($"error: {_dir.Path}: expected a CSV file, found a directory; did you mean {_dir["manifest.csv"]}?", r.Error);
    }

    /// <summary>
    /// Group 7: with <c>--skip-invalid</c> a truncated PNG (its header intact) is skipped by <c>data check --decode</c>, whose
    /// counts are of the images that decoded, and left out of the manifest <c>data split</c> writes.
    /// </summary>
    [Fact]
    public void Skip_invalid_counts_and_drops_an_image_that_does_not_decode()
    {
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 30, Size = 64, Seed = 5 }, _dir["data"]);
        var victim = Manifest.Load(ds.ManifestPath).Records[2];
        var bytes = File.ReadAllBytes(victim.ImagePath);
        File.WriteAllBytes(victim.ImagePath, bytes[..(bytes.Length / 2)]);
        var check = PneuknowCli.Run("data", "check", "--manifest", ds.ManifestPath, "--decode", "32", "--skip-invalid");
        Assert.Equal(ExitCodes.Success, check.Exit);
        Assert.Contains($"{ds.ManifestPath}: 29 images", check.Out);
        Assert.Contains("skipped 1 invalid items", check.Out);
        var split = PneuknowCli.Run("data", "split", "--manifest", ds.ManifestPath, "--out", _dir["split.csv"], "--fractions", "0.6,0.2,0.2", "--skip-invalid");
        Assert.Equal(ExitCodes.Success, split.Exit);
        Assert.Contains("wrote " + _dir["split.csv"] + ": 29 images", split.Out);
        Assert.DoesNotContain(File.ReadAllLines(_dir["split.csv"]), l => l.StartsWith(victim.FileName + ",", StringComparison.Ordinal));
    }

    /// <summary>Group 8: <c>--out</c> naming a file, or inside the data folder, is a usage error before anything is written.</summary>
    [Fact]
    public void An_output_folder_that_is_a_file_or_inside_the_data_is_refused()
    {
        var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 30, Size = 32, Seed = 5 }, _dir["data"]);
        File.WriteAllText(_dir["afile"], "x");
        var config = _dir["cfg.json"];
        File.WriteAllText(config, """
            { "settings": { "experiment_name": "t", "raw_data_dir": "data/raw", "roi_data_dir": "data/roi", "metadata_file": "data/manifest.csv",
                            "model_dir": "models", "cuda": 0, "repeated_runs": 1 },
              "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.0, "epochs": 2, "schedule": "constant",
                         "augmentations": "none", "batch_size": 8, "pretrained": false } }
            """);
        var asFile = PneuknowCli.Run("train", config, "--device", "cpu", "--out", _dir["afile"]);
        Assert.Equal(ExitCodes.Usage, asFile.Exit);
        Assert.Contains($"error: --out: expected a folder to write into, found a file at {_dir["afile"]} (on the way to {_dir["afile/t"]}).", asFile.Error);
        var synth = PneuknowCli.Run("synth", "--out", _dir["afile"], "--images", "3", "--size", "32");
        Assert.Equal(ExitCodes.Usage, synth.Exit);
        Assert.Contains($"error: --out: expected a folder to write into, found a file at {_dir["afile"]}.", synth.Error);
        var inside = PneuknowCli.Run("train", config, "--device", "cpu", "--out", _dir["data/runs"]);
        Assert.Equal(ExitCodes.Usage, inside.Exit);
        Assert.Contains($"error: --out: expected an output folder outside the dataset, found {_dir["data/runs/t"]} inside the data folder {_dir["data"]}", inside.Error);
        Assert.False(Directory.Exists(_dir["data/runs"]));
        NoInternalError(asFile); NoInternalError(synth); NoInternalError(inside);
    }

    /// <summary>Group 8: a symbolic link inside raw/ that leads out of the dataset is refused like a '..' file name.</summary>
    [Fact]
    public void A_symbolic_link_out_of_the_image_folder_is_refused()
    {
        DatasetBuilder.WriteAll(_dir["data"], withMasks: false);
        Directory.CreateDirectory(_dir["outside"]);
        File.Move(_dir["data/raw/b.png"], _dir["outside/b.png"]);
        Directory.CreateSymbolicLink(_dir["data/raw/sub"], _dir["outside"]);
        Directory.CreateDirectory(_dir["data/roi/sub"]);
        File.Move(_dir["data/roi/b.png"], _dir["data/roi/sub/b.png"]);
        File.WriteAllText(_dir["data/manifest.csv"], File.ReadAllText(_dir["data/manifest.csv"]).Replace("\nb.png,", "\nsub/b.png,"));
        var r = PneuknowCli.Run("data", "check", "--manifest", _dir["data/manifest.csv"]);
        Assert.Equal(ExitCodes.Failure, r.Exit);
        NoInternalError(r);
        Assert.Contains($"column 'file_name': expected a file inside the dataset's raw/ folder, found {_dir["data/raw/sub/b.png"]} leading to {_dir["outside/b.png"]} through a symbolic link", r.Error);
        // A link that stays inside the folder is fine, and --allow-outside-root accepts the one that leaves.
        Assert.Equal(ExitCodes.Success, PneuknowCli.Run("data", "check", "--manifest", _dir["data/manifest.csv"], "--allow-outside-root").Exit);
    }
}
