using PneuKnow.Cli;
using PneuKnow.Runtime;
using PneuKnow.Tests.Data;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Hostile but fair command lines, generated with a fixed seed and run in-process (issue 25: "the fuzz test grows from
/// 160 to ≥ 300 cases … none silent"): every value-taking option of every command without its value, out-of-range and
/// unparseable values, experiment names that are not one folder name (INI and JSON configs), symbolic links out of a
/// dataset's folders, and output folders another process holds the lock of. Each case states its exact exit code and a
/// text stderr must contain (the offending option or value); none may be silent, print a stack trace or exit 3, and none
/// may create its output folder. <see cref="FuzzTests"/> (malformed manifests and images, 160 cases) is the slow half.
/// </summary>
public sealed class CommandLineFuzzTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>One generated case: the command line, the exit code it must give and texts its stderr must contain.</summary>
    sealed record Case(string Kind, string[] Args, int Exit, params string[] Expected)
    {
        public override string ToString() => $"[{Kind}] pneuknow {string.Join(' ', Args)}";
    }

    [Fact]
    public void Three_hundred_hostile_command_lines_each_fail_with_their_exit_code_and_name_what_is_wrong()
    {
        var random = new Random(25);
        var target = _dir["target"];
        var cases = new List<Case>();
        cases.AddRange(MissingValues(random));
        cases.AddRange(OutOfRange(target));
        cases.AddRange(ExperimentNames());
        cases.AddRange(Symlinks());
        var locks = Locks();
        cases.AddRange(locks.Cases);

        Assert.True(cases.Count >= 300, $"expected at least 300 cases, generated {cases.Count}");
        Assert.Equal(cases.Count, cases.Select(c => c.ToString()).Distinct().Count());
        var failures = new List<string>();
        try
        {
            foreach (var c in cases)
            {
                var r = PneuknowCli.Run(c.Args);
                var problems = new List<string>();
                if (r.Exit != c.Exit) problems.Add($"exit {r.Exit}, expected {c.Exit}");
                if (!r.Error.Split('\n').Any(l => l.StartsWith("error: ", StringComparison.Ordinal))) problems.Add("no 'error:' line on stderr");
                foreach (var e in c.Expected)
                    if (!r.Error.Contains(e, StringComparison.Ordinal)) problems.Add($"stderr does not name '{e}'");
                if (r.Exit == ExitCodes.Internal || r.Error.Contains("internal error", StringComparison.Ordinal) || r.Error.Contains("   at ", StringComparison.Ordinal))
                    problems.Add("an internal error or a stack trace");
                if (r.Error.Contains("__default_command", StringComparison.Ordinal) || r.Error.Contains("(Parameter '", StringComparison.Ordinal))
                    problems.Add("a placeholder or .NET's parameter decoration in the message");
                if (Directory.Exists(target)) { problems.Add($"created {target}"); Directory.Delete(target, true); }
                if (problems.Count > 0) failures.Add($"{c}: {string.Join("; ", problems)}\n    stderr: {r.Error.Trim().Replace("\n", "\n            ")}");
            }
        }
        finally { foreach (var l in locks.Held) l.Dispose(); }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// Every value-taking option of every command, without its value: at the end of the line, and followed by one of the
    /// command's other options drawn at random (a flag or one that takes a value alike).
    /// </summary>
    static IEnumerable<Case> MissingValues(Random random)
    {
        foreach (var c in OptionValues.Commands())
        {
            string[] prefix = [.. c.Path, .. Enumerable.Repeat("x", c.RequiredArguments)];
            var names = c.Options.Where(o => o.LongNames.Count > 0).Select(o => "--" + o.LongNames[0]).ToList();
            foreach (var o in c.Options.Where(o => o.ValueName is not null && !o.ValueIsOptional && o.LongNames.Count > 0))
            {
                var name = "--" + o.LongNames[0];
                yield return new Case("missing value", [.. prefix, name], ExitCodes.Usage, $"option {name} expects a value <{o.ValueName}>, found the end of the command line.");
                var others = names.Where(n => n != name).ToList();
                if (others.Count == 0) continue;
                var next = others[random.Next(others.Count)];
                yield return new Case("missing value", [.. prefix, name, next], ExitCodes.Usage, $"option {name} expects a value <{o.ValueName}>, found the option {next}.");
            }
        }
    }

    /// <summary>Values outside their option's range, or of the wrong type: exit 2 naming the option and the value.</summary>
    static IEnumerable<Case> OutOfRange(string target)
    {
        var manifest = Path.Combine(target, "m.csv");
        (string[] Command, string Option, string[] Values, string Expect)[] table =
        [
            (["synth", "--out", target], "--size", ["0", "-1", "31", "4097", "100000"], "expected 32..4096 pixels"),
            (["synth", "--out", target], "--images", ["0", "-1", "-1000"], "expected at least 1"),
            (["synth", "--out", target], "--atypical", ["-0.1", "1.01", "2", "100"], "expected 0..1"),
            (["synth", "--out", target], "--shortcut", ["-1", "1.5", "9"], "expected 0..1"),
            (["synth", "--out", target], "--multi-image", ["-0.5", "3"], "expected 0..1"),
            (["synth", "--out", target], "--conspicuity", ["-1", "10.5", "1000"], "expected 0..10"),
            (["synth", "--out", target], "--threads", ["-1", "-8", "1000"], "--threads: expected"),
            (["synth", "--out", target], "--healthy-roi", ["full", "LUNGS", "none"], "expected empty or lungs"),
            (["synth", "--out", target], "--classes", ["Q=1", "B=-1", "B=x", "B"], "--classes"),
            (["synth", "--out", target], "--splits", ["0.5,0.2,0.2", "1", "a,b", "-0.2,0.6,0.6", "0,0.5,0.5"], "--splits"),
            (["synth", "--out", target], "--size", ["abc", "1.5", "1e9"], "expected an integer"),
            (["synth", "--out", target], "--atypical", ["many", "0,5"], "expected a number"),
            (["info"], "--device", ["banana", "gpu", "cuda:x", "cuda:-1", "cuda0", "cpu:0", "mps"], "expected auto, cpu, cuda or cuda:N"),
            (["info"], "--threads", ["0", "-2", "1000"], "--threads: expected"),
            (["info"], "--onednn-isa", ["avx1024", "sse2", "max"], "--onednn-isa"),
            (["data", "check", "--manifest", manifest], "--decode", ["0", "7", "-3", "4097", "99999"], "expected a working size of 8..4096 pixels"),
            (["data", "check", "--manifest", manifest], "--annotation-type", ["csv", "json", "rois", "box"], "--annotation-type: expected roi, masks, boxes or polygons"),
            (["data", "check", "--manifest", manifest], "--format", ["roi", "boxes", "csv"], "the annotation type is --annotation-type"),
            (["data", "check", "--manifest", manifest], "--max-pixels", ["lots", "1.5"], "expected an integer"),
            (["data", "split", "--manifest", manifest, "--out", Path.Combine(target, "s.csv")], "--annotation-type", ["table", "xml"], "--annotation-type: expected roi, masks, boxes or polygons"),
            (["evaluate", Path.Combine(target, "run_0"), "--out", target], "--resamples", ["-5", "0", "1", "-1000"], "expected at least 2 bootstrap resamples"),
            (["evaluate", Path.Combine(target, "run_0"), "--out", target], "--ddof", ["2", "-1", "7"], "--ddof: expected 0 or 1"),
            (["evaluate", Path.Combine(target, "run_0"), "--out", target], "--group-by", ["folder", "run", ""], "--group-by: expected 'name' or 'parent'"),
            (["evaluate", Path.Combine(target, "run_0"), "--out", target], "--format", ["xml", "html"], "--format: expected one of table, csv, json, md"),
            (["models"], "--classes", ["0", "-1", "-100"], "--classes: expected a positive count"),
            (["models"], "--size", ["0", "16", "31"], "--size: expected at least 32 pixels"),
            (["models"], "--format", ["xml", "yaml"], "--format: expected one of table, csv, json, md"),
            (["bench", "train"], "--epochs", ["2", "0", "-1"], "--epochs: expected at least 3"),
            (["bench", "train"], "--batch", ["0", "-4"], "--batch: expected at least 1"),
            (["bench", "train"], "--batches", ["0", "-1"], "--batches: expected at least 1"),
            (["bench", "train"], "--size", ["0", "8", "5000"], "--size: expected 32..4096 pixels"),
            (["bench", "train"], "--rounds", ["0", "-3"], "--rounds: expected at least 1"),
            (["bench", "train"], "--precision", ["fp64", "half", "bf16"], "--precision"),
            (["bench", "train"], "--data", ["real", "disk"], "--data: expected one of premade, phantom"),
            (["bench", "models"], "--batch", ["0", "-1"], "--batch: expected a positive count"),
            (["bench", "models"], "--seconds", ["0", "-2"], "--seconds: expected a positive duration"),
            (["reproduce", "--out", target], "--workers", ["0", "-1"], "--workers: expected a positive count"),
            (["reproduce", "--out", target], "--keep-checkpoints", ["some", "best", "yes"], "--keep-checkpoints: expected one of used, all, none"),
            (["reproduce", "--out", target], "--device", ["banana", "tpu"], "expected auto, cpu, cuda or cuda:N"),
        ];
        foreach (var (command, option, values, expect) in table)
            foreach (var value in values)
                yield return new Case("out of range", [.. command, option, value], ExitCodes.Usage, option, expect, value);
    }

    /// <summary>
    /// experiment_name values that are not one folder name, in both config forms: exit 2 naming the setting and the value,
    /// nothing written (".." used to put an experiment in the parent of --out).
    /// </summary>
    IEnumerable<Case> ExperimentNames()
    {
        string[] names = ["..", ".", "/x", "/", "a/b", "a/../../b", "../escape", "a\\b", ".hidden", "trailing.", " lead", "trail ", "a:b", "a*b", "a?b", "a|b", "a<b", "tab\tname", new string('n', 101)];
        var target = _dir["target"];
        int k = 0;
        foreach (var name in names)
        {
            var json = _dir[$"names/cfg{k}.json"];
            var ini = _dir[$"names/cfg{k}.ini"];
            k++;
            Directory.CreateDirectory(Path.GetDirectoryName(json)!);
            File.WriteAllText(json, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["settings"] = new Dictionary<string, object>
                {
                    ["experiment_name"] = name, ["raw_data_dir"] = "raw", ["roi_data_dir"] = "roi", ["metadata_file"] = "m.csv",
                    ["model_dir"] = "models", ["cuda"] = 0, ["repeated_runs"] = 1,
                },
                ["model"] = new Dictionary<string, object>
                {
                    ["resolution"] = 32, ["model_architecture"] = "resnet18", ["dropout_percent"] = 0.0, ["epochs"] = 2,
                    ["augmentations"] = "none", ["batch_size"] = 4,
                },
            }));
            yield return new Case("experiment name", ["train", json, "--out", target, "--device", "cpu"], ExitCodes.Usage, "experiment_name", $"found '{name}'");
            // The INI form trims its values: names whose meaning lives in leading or trailing spaces or tabs only exist in JSON.
            if (name != name.Trim() || name.Contains('\t')) continue;
            File.WriteAllText(ini, $"[settings]\nexperiment_name = {name}\nraw_data_dir = raw\nroi_data_dir = roi\nmetadata_file = m.csv\nmodel_dir = models\n" +
                "cuda = 0\nrepeated_runs = 1\n[model]\nresolution = 32\nmodel_architecture = resnet18\ndropout_percent = 0.0\nepochs = 2\naugmentations = none\nbatch_size = 4\n");
            yield return new Case("experiment name", ["train", ini, "--out", target, "--device", "cpu"], ExitCodes.Usage, "experiment_name", $"found '{name}'");
        }
    }

    /// <summary>
    /// Symbolic links that lead a manifest's file out of its dataset's raw/ or roi/ folder (a linked folder, a linked file, a
    /// chain of links, a link to a system file): exit 1 naming the link and where it leads.
    /// </summary>
    IEnumerable<Case> Symlinks()
    {
        var outside = _dir["outside"];
        Directory.CreateDirectory(outside);
        int k = 0;
        foreach (var item in DatasetBuilder.Items)
            foreach (var how in new[] { "folder", "file", "chain", "roi" })
            {
                var root = _dir[$"links/case{k++}"];
                DatasetBuilder.WriteAll(root, withMasks: false);
                var stem = Path.GetFileNameWithoutExtension(item.File);
                var copy = Path.Combine(outside, $"{k}-{item.File}");
                string manifestName = item.File, link;
                switch (how)
                {
                    case "folder":
                        Directory.CreateDirectory(Path.Combine(outside, $"d{k}"));
                        File.Move(Path.Combine(root, "raw", item.File), Path.Combine(outside, $"d{k}", item.File));
                        link = Path.Combine(root, "raw", "sub", item.File);
                        Directory.CreateSymbolicLink(Path.Combine(root, "raw", "sub"), Path.Combine(outside, $"d{k}"));
                        Directory.CreateDirectory(Path.Combine(root, "roi", "sub"));
                        File.Move(Path.Combine(root, "roi", item.File), Path.Combine(root, "roi", "sub", item.File));
                        manifestName = "sub/" + item.File;
                        break;
                    case "file":
                        File.Move(Path.Combine(root, "raw", item.File), copy);
                        link = Path.Combine(root, "raw", item.File);
                        File.CreateSymbolicLink(link, copy);
                        break;
                    case "chain":
                        File.Move(Path.Combine(root, "raw", item.File), copy);
                        link = Path.Combine(root, "raw", item.File);
                        // raw/x.png → raw/hop.png → outside: the first hop stays inside, the second leaves.
                        File.CreateSymbolicLink(Path.Combine(root, "raw", $"hop-{stem}.png"), copy);
                        File.CreateSymbolicLink(link, Path.Combine(root, "raw", $"hop-{stem}.png"));
                        break;
                    default:
                        File.Move(Path.Combine(root, "roi", item.File), copy);
                        link = Path.Combine(root, "roi", item.File);
                        File.CreateSymbolicLink(link, copy);
                        break;
                }
                var csv = Path.Combine(root, "manifest.csv");
                if (manifestName != item.File) File.WriteAllText(csv, File.ReadAllText(csv).Replace($"\n{item.File},", $"\n{manifestName},"));
                var folder = how == "roi" ? "roi" : "raw";
                yield return new Case("symlink", ["data", "check", "--manifest", csv], ExitCodes.Failure,
                    $"expected a file inside the dataset's {folder}/ folder, found {link} leading to ", "through a symbolic link");
                yield return new Case("symlink", ["data", "split", "--manifest", csv, "--out", Path.Combine(root, "split.csv"), "--fractions", "0.6,0.2,0.2"], ExitCodes.Failure,
                    link, "through a symbolic link");
            }
        // A link to a file far outside any dataset.
        var sys = _dir["links/system"];
        DatasetBuilder.WriteAll(sys, withMasks: false);
        File.Delete(Path.Combine(sys, "raw", "a.png"));
        File.CreateSymbolicLink(Path.Combine(sys, "raw", "a.png"), "/etc/passwd");
        yield return new Case("symlink", ["data", "check", "--manifest", Path.Combine(sys, "manifest.csv")], ExitCodes.Failure,
            Path.Combine(sys, "raw", "a.png"), "/etc/passwd");
    }

    /// <summary>
    /// Output folders that another command holds (a lock taken here, as another process's would be): synth, train and
    /// reproduce exit 2 naming the holder's pid and command, and write nothing.
    /// </summary>
    (List<Case> Cases, List<FolderLock> Held) Locks()
    {
        var cases = new List<Case>();
        var held = new List<FolderLock>();
        var config = _dir["locks/cfg.json"];
        Directory.CreateDirectory(_dir["locks"]);
        File.WriteAllText(config, """
            { "settings": { "experiment_name": "exp", "raw_data_dir": "data/raw", "roi_data_dir": "data/roi", "metadata_file": "data/m.csv",
                            "model_dir": "models", "cuda": 0, "repeated_runs": 1 },
              "model": { "resolution": 32, "model_architecture": "resnet18", "dropout_percent": 0.0, "epochs": 2,
                         "augmentations": "none", "batch_size": 4 } }
            """);
        for (int k = 0; k < 4; k++)
        {
            var holder = $"pneuknow reproduce --preset quick --out locked{k}";
            var folder = _dir[$"locks/locked{k}"];
            held.Add(FolderLock.Acquire(folder, holder));
            held.Add(FolderLock.Acquire(Path.Combine(folder, "exp"), holder + " (train)"));
            string[] expect = [$"locked by pid {Environment.ProcessId}", holder, "--wait"];
            cases.Add(new("lock", ["synth", "--out", folder, "--images", "3", "--size", "32"], ExitCodes.Usage, expect));
            cases.Add(new("lock", ["synth", "--out", folder + "/", "--images", $"{3 + k}", "--size", "32", "--seed", $"{k}"], ExitCodes.Usage, expect));
            cases.Add(new("lock", ["train", config, "--out", folder, "--device", "cpu"], ExitCodes.Usage, [$"locked by pid {Environment.ProcessId}", holder + " (train)"]));
            cases.Add(new("lock", ["reproduce", "--preset", "smoke", "--out", folder, "--no-notebooks"], ExitCodes.Usage, expect));
            cases.Add(new("lock", ["reproduce", "--preset", "smoke", "--out", folder, "--unit", "cntk_resnet18_clean_do_baseline", "--no-notebooks"], ExitCodes.Usage, expect));
        }
        return (cases, held);
    }
}
