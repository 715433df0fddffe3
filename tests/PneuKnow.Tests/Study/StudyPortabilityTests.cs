using System.Diagnostics;
using System.IO.Compression;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Training;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// A long study is committed as its runs finish (without the 45 MB checkpoints) and continued on another clone. These tests
/// copy a finished tiny study, with its data and without its checkpoints, to another folder, and run it again there.
/// </summary>
// Training draws dropout masks from torch's process-wide generator: run alone.
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StudyPortabilityTests(TinyStudyRun tiny) : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("study-portability-");
    public void Dispose() => _root.Delete(true);

    static readonly StudyPreset Tiny = TinyStudy.Preset;

    static readonly string[] ClaimTables = [StudyDecisionRegions.FileName, StudyDecisionRegions.OcclusionFileName, StudyDecisionRegions.ZeroMapsFileName, "claims.csv"];

    [Fact]
    public void A_study_moved_to_another_clone_without_checkpoints_reuses_every_run_and_writes_byte_identical_claims()
    {
        // Every main-arm run was scored as it finished; other arms are not scored by the tables, so they hold no scores.
        var runs = Directory.GetDirectories(Path.Combine(tiny.Study, "runs"), "run_*", SearchOption.AllDirectories);
        Assert.NotEmpty(runs);
        foreach (var run in runs)
        {
            bool main = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(run))!).Contains("_do_", StringComparison.Ordinal);
            Assert.Equal(main, File.Exists(Path.Combine(run, StudyDecisionRegions.RunScoresStampFileName)));
        }
        var before = ClaimTables.ToDictionary(t => t, t => File.ReadAllBytes(Path.Combine(tiny.Study, "tables", t)));

        // Another clone: another absolute path for the data and the runs, and no checkpoint (*.pt are never committed).
        var second = Path.Combine(_root.FullName, "second");
        CopyWithoutCheckpoints(tiny.Root, second);
        foreach (var t in ClaimTables) File.Delete(Path.Combine(second, "study", "tables", t));

        // The data where the runs recorded it is gone too (hidden for this test, restored after it), as on another clone.
        var recordedData = Path.Combine(tiny.Root, "data");
        Directory.Move(recordedData, recordedData + "-hidden");
        try { RunAgainElsewhere(second, runs.Length, before); }
        finally { Directory.Move(recordedData + "-hidden", recordedData); }
    }

    static void RunAgainElsewhere(string second, int runCount, Dictionary<string, byte[]> before)
    {
        TorchRuntime.Initialize("cpu");
        var again = StudyRunner.Run(Tiny, new StudyOptions(Path.Combine(second, "study"), Path.Combine(second, "data")));
        var results = again.Experiments.SelectMany(x => x.Result.Baselines.Concat(x.Result.Teachers).Concat(x.Result.Students)).ToList();
        Assert.Equal(runCount, results.Count);
        Assert.All(results, r => Assert.True(r.Reused, $"{r.Directory} was trained again"));
        Assert.Empty(Directory.GetFiles(Path.Combine(second, "study"), "*.pt", SearchOption.AllDirectories));

        StudyReport.WriteClaims(StudyReport.Evaluate(Path.Combine(second, "study"), Path.Combine(second, "data")));
        foreach (var t in ClaimTables)
            Assert.True(before[t].SequenceEqual(File.ReadAllBytes(Path.Combine(second, "study", "tables", t))), $"tables/{t} differs after the move");

        // Without its scores and without its checkpoint a run cannot be scored: refused, naming the folder and what is missing.
        var unscored = Path.Combine(second, "study", "runs", "cntk_resnet18_clean_do_baseline", "baseline", "run_1");
        File.Delete(Path.Combine(unscored, StudyDecisionRegions.RunScoresStampFileName));
        var e = Assert.Throws<InvalidDataException>(() => StudyReport.WriteClaims(StudyReport.Evaluate(Path.Combine(second, "study"), Path.Combine(second, "data"))));
        Assert.Contains(unscored, e.Message);
        Assert.Contains("best.pt", e.Message);
    }

    [Fact]
    public void A_study_committed_with_its_run_files_gzipped_writes_byte_identical_tables_and_claims_and_refuses_a_run_with_both_forms()
    {
        var before = ClaimTables.ToDictionary(t => t, t => File.ReadAllBytes(Path.Combine(tiny.Study, "tables", t)));
        var copy = Path.Combine(_root.FullName, "gzipped");
        CopyWithoutCheckpoints(tiny.Root, copy);
        var study = Path.Combine(copy, "study");
        foreach (var t in ClaimTables) File.Delete(Path.Combine(study, "tables", t));

        // Every per-run CSV but the log and the timings compressed, as tools/study/finished-runs.sh --gzip commits them.
        var compressed = Directory.GetFiles(Path.Combine(study, "runs"), "*.csv", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith("run_", StringComparison.Ordinal)
                && Path.GetFileName(f) is not ("log.csv" or "timings.csv"))
            .ToList();
        Assert.Contains(compressed, f => Path.GetFileName(f) == "predictions_test.csv");
        Assert.Contains(compressed, f => Path.GetFileName(f) == StudyDecisionRegions.RunScoresFileName);
        Assert.Contains(compressed, f => Path.GetFileName(f) == StudyDecisionRegions.RunOcclusionFileName);
        foreach (var f in compressed)
        {
            using (var gz = new GZipStream(File.Create(f + ".gz"), CompressionLevel.SmallestSize)) gz.Write(File.ReadAllBytes(f));
            File.Delete(f);
        }

        // The runner reuses every run (finished, scored: nothing trained or scored again), then the report reads the
        // compressed predictions and scores.
        TorchRuntime.Initialize("cpu");
        var again = StudyRunner.Run(Tiny, new StudyOptions(study, Path.Combine(copy, "data")));
        Assert.All(again.Experiments.SelectMany(x => x.Result.Baselines.Concat(x.Result.Teachers).Concat(x.Result.Students)), r => Assert.True(r.Reused, $"{r.Directory} was trained again"));
        Assert.All(compressed, f => Assert.False(File.Exists(f), $"{f} was written again"));
        StudyReport.WriteClaims(StudyReport.Evaluate(study, Path.Combine(copy, "data")));
        foreach (var t in ClaimTables)
            Assert.True(before[t].SequenceEqual(File.ReadAllBytes(Path.Combine(study, "tables", t))), $"tables/{t} differs when the run files are compressed");

        // A run holding both forms of a file is refused, naming both.
        foreach (var name in new[] { "predictions_test.csv", StudyDecisionRegions.RunScoresFileName })
        {
            var plain = compressed.First(f => Path.GetFileName(f) == name);
            File.WriteAllBytes(plain, Decompress(plain + ".gz"));
            var e = Assert.ThrowsAny<Exception>(() => StudyReport.WriteClaims(StudyReport.Evaluate(study, Path.Combine(copy, "data"))));
            Assert.True(e is InvalidDataException or PneuKnow.Data.DataException, e.ToString());
            Assert.Contains(plain + " and " + plain + ".gz", e.Message);
            File.Delete(plain);
        }
    }

    [Fact]
    public void A_study_whose_runs_are_packed_reuses_every_run_and_writes_byte_identical_tables_and_claims()
    {
        var fixture = StudyReport.Evaluate(tiny.Study);
        string accuracy = TableText(fixture.AccuracyTable()), classScores = TableText(fixture.ClassScoresTable());
        var before = ClaimTables.ToDictionary(t => t, t => File.ReadAllBytes(Path.Combine(tiny.Study, "tables", t)));
        var copy = Path.Combine(_root.FullName, "packed");
        CopyWithoutCheckpoints(tiny.Root, copy);
        var study = Path.Combine(copy, "study");
        var runsDir = Path.Combine(study, "runs");
        foreach (var t in ClaimTables) File.Delete(Path.Combine(study, "tables", t));

        // The committed form before packing: predictions gzipped (finished-runs.sh --gzip). The pack must hold every run
        // file's engine bytes (the gzip ones decompressed), nothing else.
        var runFolders = Directory.GetDirectories(runsDir, "run_*", SearchOption.AllDirectories);
        var original = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var run in runFolders)
            foreach (var f in Directory.GetFiles(run))
            {
                var entry = Path.GetRelativePath(runsDir, f).Replace(Path.DirectorySeparatorChar, '/');
                original[entry] = File.ReadAllBytes(f);
                if (Path.GetFileName(f) == "predictions_test.csv")
                {
                    using (var gz = new GZipStream(File.Create(f + ".gz"), CompressionLevel.SmallestSize)) gz.Write(File.ReadAllBytes(f));
                    File.Delete(f);
                }
            }

        // The unit files (config.json, summary.csv, the metrics CSVs) stay plain; the runner writes them again from the runs.
        var unitFiles = Directory.GetFiles(runsDir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(runsDir, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith("run_", StringComparison.Ordinal)))
            .ToDictionary(f => f, File.ReadAllBytes);
        Assert.NotEmpty(unitFiles);

        var packed = StudyPack.Pack(study);
        Assert.Equal(runFolders.Length, packed.Sum(u => u.Packed.Count));
        Assert.Empty(Directory.GetDirectories(runsDir, "run_*", SearchOption.AllDirectories));
        var inPacks = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var unit in Directory.GetDirectories(runsDir))
            foreach (var (entry, bytes) in PneuKnow.Data.RunPack.Entries(Path.Combine(unit, PneuKnow.Data.RunPack.FileName)))
                inPacks[Path.GetFileName(unit) + "/" + entry] = bytes;
        Assert.Equal(original.Keys.Order(StringComparer.Ordinal), inPacks.Keys.Order(StringComparer.Ordinal));
        Assert.All(original, o => Assert.True(o.Value.SequenceEqual(inPacks[o.Key]), $"{o.Key} differs in the pack"));

        // Packing again adds nothing and leaves the same bytes (deterministic, no time stamps).
        var packs = Directory.GetFiles(runsDir, PneuKnow.Data.RunPack.FileName, SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        Assert.All(StudyPack.Pack(study), u => Assert.Empty(u.Packed));
        Assert.All(packs, p => Assert.True(p.Value.SequenceEqual(File.ReadAllBytes(p.Key)), p.Key));
        var encodedAgain = PneuKnow.Data.RunPack.Encode(PneuKnow.Data.RunPack.Entries(packs.Keys.First()));
        Assert.True(packs.Values.First().SequenceEqual(encodedAgain), "encoding the same entries gave other bytes");

        // The runner reuses every run from the packs (nothing trained or scored, no run folder created), and the tables and
        // claims are byte-identical to the unpacked study's.
        TorchRuntime.Initialize("cpu");
        var again = StudyRunner.Run(Tiny, new StudyOptions(study, Path.Combine(copy, "data")));
        var results = again.Experiments.SelectMany(x => x.Result.Baselines.Concat(x.Result.Teachers).Concat(x.Result.Students)).ToList();
        Assert.Equal(runFolders.Length, results.Count);
        Assert.All(results, r => Assert.True(r.Reused, $"{r.Directory} was trained again"));
        Assert.Empty(Directory.GetDirectories(runsDir, "run_*", SearchOption.AllDirectories));
        Assert.All(unitFiles, u => Assert.True(u.Value.SequenceEqual(File.ReadAllBytes(u.Key)), $"{u.Key} differs when the runs are packed"));
        var evaluation = StudyReport.Evaluate(study, Path.Combine(copy, "data"));
        StudyReport.WriteClaims(evaluation);
        foreach (var t in ClaimTables)
            Assert.True(before[t].SequenceEqual(File.ReadAllBytes(Path.Combine(study, "tables", t))), $"tables/{t} differs when the runs are packed");
        Assert.Equal(accuracy, TableText(evaluation.AccuracyTable()));
        Assert.Equal(classScores, TableText(evaluation.ClassScoresTable()));

        // A run file both in its folder and in the pack is refused, naming both; packing again resolves an interrupted pack
        // (the folder's copy equal to the packed one) by removing the folder's copy.
        var baselineUnit = Path.Combine(runsDir, "cntk_resnet18_clean_do_baseline");
        var stray = Path.Combine(baselineUnit, "baseline", "run_1", "predictions_test.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        File.WriteAllBytes(stray, original["cntk_resnet18_clean_do_baseline/baseline/run_1/predictions_test.csv"]);
        var e = Assert.ThrowsAny<Exception>(() => StudyReport.Evaluate(study, Path.Combine(copy, "data")));
        Assert.True(e is InvalidDataException or PneuKnow.Data.DataException, e.ToString());
        Assert.Contains(stray, e.Message);
        Assert.Contains(Path.Combine(baselineUnit, PneuKnow.Data.RunPack.FileName), e.Message);
        Assert.All(StudyPack.Pack(study), u => Assert.Empty(u.Packed));
        Assert.False(Directory.Exists(Path.GetDirectoryName(stray)), "the interrupted pack's leftover was not removed");
        // A differing copy is not silently dropped.
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        foreach (var name in new[] { "result.json", StudyDecisionRegions.RunScoresStampFileName })
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(stray)!, name), original["cntk_resnet18_clean_do_baseline/baseline/run_1/" + name]);
        File.WriteAllText(stray, "index,file_name\n");
        Assert.Throws<PneuKnow.Data.DataException>(() => StudyPack.Pack(study));
        Directory.Delete(Path.GetDirectoryName(stray)!, recursive: true);

        // Unpacking gives back every file as the engine wrote it (plain) and removes the packs.
        Assert.Equal(runFolders.Length, StudyPack.Unpack(study));
        Assert.Empty(Directory.GetFiles(runsDir, PneuKnow.Data.RunPack.FileName, SearchOption.AllDirectories));
        Assert.All(original, o => Assert.True(o.Value.SequenceEqual(File.ReadAllBytes(Path.Combine(runsDir, o.Key))), $"{o.Key} differs after unpacking"));
    }

    static string TableText(Microsoft.Data.Analysis.DataFrame table)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pneuknow-table-{Guid.NewGuid():N}.csv");
        try { PneuKnow.Evaluation.TableFormat.WriteCsv(table, path); return File.ReadAllText(path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_run_scored_now_holds_exactly_the_rows_that_its_files_give_back_when_it_is_reused()
    {
        // A main-arm run of the tiny study with its checkpoint (linked, not copied) and without its scores: scored afresh, its
        // rows come from memory; asked again, from the files just written. The tables use whichever the run gives.
        var original = Path.Combine(tiny.Study, "runs", "cntk_resnet18_clean_do_baseline", "baseline", "run_0");
        // The copy keeps the run's place in a study tree beside its data, since run.json stores the data paths relative to it.
        var scored = Path.Combine(_root.FullName, "scored");
        var run = Path.Combine(scored, "study", "runs", "cntk_resnet18_clean_do_baseline", "baseline", "run_0");
        CopyWithoutCheckpoints(original, run);
        Directory.CreateSymbolicLink(Path.Combine(scored, "data"), Path.Combine(tiny.Root, "data"));
        File.CreateSymbolicLink(Path.Combine(run, "best.pt"), Path.Combine(original, "best.pt"));
        foreach (var f in new[] { StudyDecisionRegions.RunScoresStampFileName, StudyDecisionRegions.RunScoresFileName, StudyDecisionRegions.RunOcclusionFileName })
            File.Delete(Path.Combine(run, f));

        TorchRuntime.Initialize("cpu");
        var what = new RunScoring("clean", "cntk_resnet18", "baseline", PneuKnow.Distillation.Role.Baseline, 0, PneuKnow.Explain.ImagePlane.Image, StudyRunner.ReportedSplit(Tiny), Tiny.DecisionRegionImages, Occlusion: true);
        var fresh = StudyDecisionRegions.ScoreRun(run, what);
        Assert.True(File.Exists(Path.Combine(run, StudyDecisionRegions.RunScoresStampFileName)));
        Assert.NotEmpty(fresh.Rows);
        Assert.NotEmpty(fresh.Occlusion);
        var reused = StudyDecisionRegions.ScoreRun(run, what);
        Assert.Equal(fresh.Rows, reused.Rows);
        Assert.Equal(fresh.Occlusion, reused.Occlusion);
        Assert.Equal(fresh.Occlusion.Select(r => r.Faithfulness), reused.Occlusion.Select(r => r.Faithfulness));
        // And the fixture's own run, scored as it finished, wrote the same rows.
        Assert.Equal(fresh.Rows, StudyDecisionRegions.ReadRows(Path.Combine(original, StudyDecisionRegions.RunScoresFileName)));
    }

    [Fact]
    public void The_commit_helper_with_gzip_compresses_the_run_files_it_lists_so_that_gzip_restores_them()
    {
        var copy = Path.Combine(_root.FullName, "commit");
        CopyWithoutCheckpoints(tiny.Study, copy);
        var plainListing = FinishedRuns(copy);
        Assert.Contains(plainListing, f => f.EndsWith("/predictions_test.csv", StringComparison.Ordinal));

        var listing = FinishedRuns("--gzip", copy);
        // The same files, each CSV of a run but its log and timings now as X.csv.gz, and nothing else changed.
        static bool Compressible(string f) => f.EndsWith(".csv", StringComparison.Ordinal) && Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith("run_", StringComparison.Ordinal)
            && Path.GetFileName(f) is not ("log.csv" or "timings.csv");
        Assert.Equal(plainListing.Select(f => Compressible(f) ? f + ".gz" : f).Order(StringComparer.Ordinal), listing.Order(StringComparer.Ordinal));
        var gzipped = listing.Where(f => f.EndsWith(".csv.gz", StringComparison.Ordinal)).ToList();
        Assert.Contains(gzipped, f => f.EndsWith("/decision_regions.csv.gz", StringComparison.Ordinal));
        foreach (var f in gzipped)
        {
            var original = File.ReadAllBytes(Path.Combine(tiny.Study, Path.GetRelativePath(copy, f[..^3])));
            Assert.True(original.SequenceEqual(Gunzip(f)), $"gzip -dc {f} differs from the file it replaced");
            Assert.False(File.Exists(f[..^3]), $"{f[..^3]} is still there beside its compressed copy");
            // Deterministic: no file name (flag FNAME, 0x08) and no time stamp (bytes 4–7) in the gzip header.
            var head = File.ReadAllBytes(f)[..8];
            Assert.Equal((0x1f, 0x8b, 0), (head[0], head[1], head[3] & 0x08));
            Assert.Equal(new byte[4], head[4..8]);
        }
        Assert.Empty(Directory.GetFiles(copy, "*.tmp-*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }));

        // Again: nothing left to compress, the same listing and the same bytes.
        var bytes = gzipped.ToDictionary(f => f, File.ReadAllBytes);
        Assert.Equal(listing, FinishedRuns("--gzip", copy));
        Assert.All(gzipped, f => Assert.True(bytes[f].SequenceEqual(File.ReadAllBytes(f)), f));
    }

    // Runs tools/study/finished-runs.sh with bash and returns the files it lists.
    static List<string> FinishedRuns(params string[] args)
    {
        var script = Path.Combine(PneuKnow.Tests.Notebooks.NotebookPaths.RepositoryRoot, "tools", "study", "finished-runs.sh");
        var (code, stdout, stderr) = Run("bash", [script, .. args]);
        Assert.True(code == 0, $"finished-runs.sh {string.Join(' ', args)} exited with {code}: {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void The_compare_tool_passes_a_copy_that_differs_only_in_paths_keys_and_form_and_names_a_changed_probability_and_a_missing_table()
    {
        var after = Path.Combine(_root.FullName, "after");
        CopyWithoutCheckpoints(tiny.Study, after);
        var run = Path.Combine(after, "runs", "cntk_resnet18_clean_do_baseline", "baseline", "run_0");

        // Run at another place: its record's data path and its key (a hash of the absolute paths) differ.
        var record = Path.Combine(run, "run.json");
        var moved = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(record), "\"raw_data_dir\": \"[^\"]*\"", "\"raw_data_dir\": \"../../elsewhere/raw\"");
        moved = System.Text.RegularExpressions.Regex.Replace(moved, "\"key\": \"[0-9a-f]+\"", "\"key\": \"0123456789abcdef\"");
        Assert.NotEqual(File.ReadAllText(record), moved);
        File.WriteAllText(record, moved);
        // Committed form: a run CSV gzipped.
        var valid = Path.Combine(run, "predictions_valid.csv");
        using (var gz = new GZipStream(File.Create(valid + ".gz"), CompressionLevel.SmallestSize)) gz.Write(File.ReadAllBytes(valid));
        File.Delete(valid);

        var (code, stdout, stderr) = Compare(tiny.Study, after);
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"\d+ identical, 1 identical but for paths, key and clock readings, 0 differ, 0 missing", stdout);

        // One probability changed in the fourth decimal: named, with the line, and the exit code says so.
        var test = Path.Combine(run, "predictions_test.csv");
        var lines = File.ReadAllLines(test);
        var cells = lines[1].Split(',');
        cells[^1] = (double.Parse(cells[^1], System.Globalization.CultureInfo.InvariantCulture) + 1e-4).ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(lines[1], string.Join(',', cells));
        lines[1] = string.Join(',', cells);
        File.WriteAllLines(test, lines);
        File.Delete(Path.Combine(after, "tables", "claims.csv"));
        (code, stdout, _) = Compare(tiny.Study, after);
        Assert.Equal(1, code);
        Assert.Contains("differs: runs/cntk_resnet18_clean_do_baseline/baseline/run_0/predictions_test.csv", stdout);
        Assert.Contains("> " + lines[1], stdout);
        Assert.Contains("missing in " + after + ": tables/claims.csv", stdout);
        Assert.Contains("1 differ, 1 missing", stdout);
    }

    // Runs tools/study/compare.sh with bash.
    static (int Code, string Stdout, string Stderr) Compare(string before, string after) =>
        Run("bash", [Path.Combine(PneuKnow.Tests.Notebooks.NotebookPaths.RepositoryRoot, "tools", "study", "compare.sh"), before, after]);

    // gzip -dc, the tool a reader of the commit would use.
    static byte[] Gunzip(string path)
    {
        var start = new ProcessStartInfo("gzip", ["-dc", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        var err = p.StandardError.ReadToEnd();
        copy.Wait();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"gzip -dc {path}: {err}");
        return output.ToArray();
    }

    static (int Code, string Stdout, string Stderr) Run(string file, string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    static byte[] Decompress(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var m = new MemoryStream();
        gz.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Copies a folder tree except checkpoints (<c>*.pt</c>) and the lock file, as a commit would carry it.</summary>
    static void CopyWithoutCheckpoints(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".pt", StringComparison.Ordinal) || Path.GetFileName(file) == ".pneuknow.lock") continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
