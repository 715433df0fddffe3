using System.Diagnostics;
using System.Text;
using PneuKnow.Data;
using PneuKnow.Study;

namespace PneuKnow.Tests.Data;

/// <summary>A unit's run pack read as the run folders it replaces (fast: no training; the tiny-study test packs a real study).</summary>
public sealed class RunPackTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("run-pack-");
    public void Dispose() => _root.Delete(true);

    string Unit => Path.Combine(_root.FullName, "runs", "cntk_resnet18_clean_noroi_kd");

    static readonly Dictionary<string, byte[]> Files = new()
    {
        ["student/run_0/result.json"] = Encoding.UTF8.GetBytes("{\n  \"key\": \"s0\"\n}"),
        ["student/run_0/predictions_test.csv"] = Encoding.UTF8.GetBytes("index,file_name,label\n0,img0001.png,NB\n"),
        ["student/run_1/result.json"] = Encoding.UTF8.GetBytes("{\n  \"key\": \"s1\"\n}"),
        ["teacher/run_0/result.json"] = Encoding.UTF8.GetBytes("{\n  \"key\": \"t0\"\n}"),
    };

    void WritePack() => File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Unit).FullName, RunPack.FileName), RunPack.Encode(Files));

    [Fact]
    public void Packed_files_read_like_the_files_of_a_run_folder_and_a_file_in_both_places_is_refused_naming_both()
    {
        WritePack();
        var result = Path.Combine(Unit, "student", "run_0", "result.json");
        Assert.True(RunFile.Exists(result));
        Assert.Equal("{\n  \"key\": \"s0\"\n}", RunFile.ReadAllText(result));
        var predictions = Path.Combine(Unit, "student", "run_0", "predictions_test.csv");
        Assert.Equal(predictions, Csv.Locate(predictions));
        var table = Csv.Read(predictions);
        Assert.Equal(["index", "file_name", "label"], table.Header);
        Assert.Equal("img0001.png", table.Rows.Single().Fields[1]);
        Assert.False(RunFile.Exists(Path.Combine(Unit, "student", "run_0", "run.json")));
        Assert.Null(Csv.Locate(Path.Combine(Unit, "student", "run_1", "predictions_test.csv")));

        // Runs are listed from the pack and from folders (one left with its checkpoint only, one still training), by k.
        Directory.CreateDirectory(Path.Combine(Unit, "student", "run_1"));
        File.WriteAllText(Path.Combine(Unit, "student", "run_1", "best.pt"), "");
        Directory.CreateDirectory(Path.Combine(Unit, "student", "run_2"));
        Assert.Equal(["run_0", "run_1", "run_2"], StudyReport.RunFoldersOf(Path.Combine(Unit, "student")).Select(Path.GetFileName));
        Assert.Equal(["run_0"], StudyReport.RunFoldersOf(Path.Combine(Unit, "teacher")).Select(Path.GetFileName));

        // The same file in the folder too (plain or gzip-compressed): neither is read.
        Directory.CreateDirectory(Path.GetDirectoryName(predictions)!);
        File.WriteAllText(predictions + ".gz", "x");
        var e = Assert.Throws<DataException>(() => Csv.Read(predictions));
        Assert.Contains(predictions + ".gz", e.Message);
        Assert.Contains(Path.Combine(Unit, RunPack.FileName), e.Message);
        File.WriteAllText(result, "{}");
        Assert.Throws<DataException>(() => RunFile.Exists(result));
        Assert.Throws<DataException>(() => RunFile.ReadAllText(result));
    }

    [Fact]
    public void A_pack_is_deterministic_and_a_file_that_is_no_pack_is_refused_naming_it()
    {
        var a = RunPack.Encode(Files);
        var b = RunPack.Encode(Files.Reverse().ToDictionary());
        Assert.Equal(a, b);
        WritePack();
        Assert.Equal(Files.Keys.Order(StringComparer.Ordinal), RunPack.Entries(Path.Combine(Unit, RunPack.FileName)).Keys);
        Assert.All(Files, f => Assert.Equal(f.Value, RunPack.Entries(Path.Combine(Unit, RunPack.FileName))[f.Key]));

        var broken = Path.Combine(_root.FullName, "runs", "other", RunPack.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(broken)!);
        File.WriteAllText(broken, "not brotli");
        var e = Assert.Throws<DataException>(() => RunPack.Entries(broken));
        Assert.Contains(broken, e.Message);
        Assert.Contains("Brotli-compressed tar", e.Message);
    }

    [Fact]
    public async Task The_commit_helper_with_pack_lists_the_packs_instead_of_the_packed_runs_and_the_cli_command_reads_them_back()
    {
        foreach (var k in new[] { 0, 1 })
            foreach (var role in new[] { "teacher", "student" })
            {
                var run = Path.Combine(Unit, role, $"run_{k}");
                Directory.CreateDirectory(run);
                File.WriteAllText(Path.Combine(run, "result.json"), $"{{\"key\": \"{role}{k}\"}}");
                File.WriteAllText(Path.Combine(run, "predictions_test.csv"), $"index,file_name\n0,img{k}.png\n");
                File.WriteAllText(Path.Combine(run, "best.pt"), "weights");
            }
        File.WriteAllText(Path.Combine(Unit, "config.json"), "{}");

        // The CLI this test suite was built with, as $PNEUKNOW (the script's default builds it with dotnet run).
        var cli = Path.Combine(AppContext.BaseDirectory, "PneuKnow.Cli.dll");
        var script = Path.Combine(PneuKnow.Tests.Notebooks.NotebookPaths.RepositoryRoot, "tools", "study", "finished-runs.sh");
        var start = new ProcessStartInfo("bash", [script, "--pack", _root.FullName]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PNEUKNOW"] = $"dotnet {cli}";
        using var p = Process.Start(start)!;
        var stderrRead = p.StandardError.ReadToEndAsync();
        var listing = (await p.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stderr = await stderrRead;
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"finished-runs.sh --pack exited with {p.ExitCode}: {stderr}");
        Assert.Equal([Path.Combine(Unit, "config.json"), Path.Combine(Unit, RunPack.FileName)], listing.Order(StringComparer.Ordinal));
        Assert.Contains("4 run(s) packed now", stderr);
        // The checkpoints stay in their folders; everything else is in the pack, byte for byte.
        Assert.Equal(4, Directory.GetFiles(Unit, "*", SearchOption.AllDirectories).Count(f => f.EndsWith("best.pt", StringComparison.Ordinal)));
        Assert.Equal(["best.pt"], Directory.GetFiles(Path.Combine(Unit, "student", "run_1")).Select(Path.GetFileName));
        Assert.Equal("index,file_name\n0,img1.png\n", RunFile.ReadAllText(Path.Combine(Unit, "student", "run_1", "predictions_test.csv")));

        // unpack gives the files back.
        var result = PneuKnow.Tests.Cli.PneuknowCli.Run("unpack", _root.FullName);
        Assert.True(result.Exit == 0, result.Error + result.Out);
        Assert.Equal("{\"key\": \"teacher0\"}", File.ReadAllText(Path.Combine(Unit, "teacher", "run_0", "result.json")));
        Assert.False(File.Exists(Path.Combine(Unit, RunPack.FileName)));
    }

    [Fact]
    public void A_packed_run_is_not_scored_into_its_folder_beside_the_pack()
    {
        // A packed main-arm run without the scores asked for, whose checkpoint stayed in its folder: scoring it now would
        // write plain files beside the packed ones, which every reader then refuses; it is refused up front instead.
        var unit = Path.Combine(_root.FullName, "runs", "cntk_resnet18_clean_do_baseline");
        Directory.CreateDirectory(unit);
        File.WriteAllBytes(Path.Combine(unit, RunPack.FileName), RunPack.Encode(new Dictionary<string, byte[]>
        {
            ["baseline/run_0/result.json"] = "{\n  \"key\": \"k0\"\n}"u8.ToArray(),
        }));
        var run = Path.Combine(unit, "baseline", "run_0");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "best.pt"), "weights");
        var what = new RunScoring("clean", "cntk_resnet18", "baseline", PneuKnow.Distillation.Role.Baseline, 0, PneuKnow.Explain.ImagePlane.Image, "test", 10, Occlusion: true);
        var e = Assert.Throws<InvalidDataException>(() => StudyDecisionRegions.ScoreRun(run, what));
        Assert.Contains(run, e.Message);
        Assert.Contains("pneuknow unpack", e.Message);
        Assert.Equal(["best.pt"], Directory.GetFiles(run).Select(Path.GetFileName));
    }

    [Fact]
    public void Packing_refuses_a_finished_main_arm_run_without_its_scores_and_changes_nothing()
    {
        var run = Path.Combine(_root.FullName, "runs", "cntk_resnet18_clean_do_baseline", "baseline", "run_0");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "result.json"), "{}");
        var e = Assert.Throws<InvalidDataException>(() => StudyPack.Pack(_root.FullName));
        Assert.Contains(run, e.Message);
        Assert.Contains("decision_regions.json", e.Message);
        Assert.True(File.Exists(Path.Combine(run, "result.json")));
        Assert.Empty(Directory.GetFiles(_root.FullName, RunPack.FileName, SearchOption.AllDirectories));

        // A control run (no scores needed) and a teacher whose student has not finished: the teacher stays in its folder.
        File.WriteAllText(Path.Combine(run, "decision_regions.json"), "{}");
        var teacher = Path.Combine(Unit, "teacher", "run_0");
        var student = Path.Combine(Unit, "student", "run_0");
        Directory.CreateDirectory(teacher);
        Directory.CreateDirectory(student);
        File.WriteAllText(Path.Combine(teacher, "result.json"), "{}");
        File.WriteAllText(Path.Combine(teacher, "best.pt"), "weights");
        File.WriteAllText(Path.Combine(student, "log.csv"), "epochs\n");
        var packed = StudyPack.Pack(_root.FullName).ToDictionary(u => u.Unit);
        Assert.Equal(["baseline/run_0"], packed["cntk_resnet18_clean_do_baseline"].Packed);
        Assert.Empty(packed["cntk_resnet18_clean_noroi_kd"].Packed);
        Assert.True(File.Exists(Path.Combine(teacher, "result.json")));

        // Once the student has finished both go in; the teacher's checkpoint stays in its folder.
        File.WriteAllText(Path.Combine(student, "result.json"), "{}");
        packed = StudyPack.Pack(_root.FullName).ToDictionary(u => u.Unit);
        Assert.Equal(["student/run_0", "teacher/run_0"], packed["cntk_resnet18_clean_noroi_kd"].Packed.Order(StringComparer.Ordinal));
        Assert.Equal(["best.pt"], Directory.GetFiles(teacher).Select(Path.GetFileName));
        Assert.False(Directory.Exists(student));
        Assert.Equal("epochs\n", RunFile.ReadAllText(Path.Combine(student, "log.csv")));

        // A call stopped while it removed the packed files (here after result.json, before log.csv): the folder's copy is
        // refused by readers, and packing again removes it once it equals the packed one, the pack unchanged.
        var pack = Path.Combine(Unit, RunPack.FileName);
        var bytes = File.ReadAllBytes(pack);
        Directory.CreateDirectory(student);
        File.WriteAllText(Path.Combine(student, "log.csv"), "epochs\n");
        Assert.Throws<DataException>(() => RunFile.ReadAllText(Path.Combine(student, "log.csv")));
        Assert.Empty(StudyPack.Pack(_root.FullName).SelectMany(u => u.Packed));
        Assert.False(Directory.Exists(student));
        Assert.Equal(bytes, File.ReadAllBytes(pack));
    }
}
