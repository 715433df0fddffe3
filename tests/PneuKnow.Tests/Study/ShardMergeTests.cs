using PneuKnow.Study;

namespace PneuKnow.Tests.Study;

public sealed class ShardMergeTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("merge-");
    public void Dispose() => _root.Delete(true);

    string Shard(string name, StudyStamp stamp, params string[] runFiles)
    {
        var dir = Path.Combine(_root.FullName, name);
        stamp.Write(dir);
        foreach (var f in runFiles)
        {
            var path = Path.Combine(dir, "runs", f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, f);
        }
        return dir;
    }

    static StudyStamp Stamp(string shard, params string[] units) =>
        new("smoke", StudyStamp.CurrentCodeVersion, shard, ["cntk_resnet18"], 1, units);

    [Fact]
    public void Merging_copies_every_shards_runs_and_lists_all_units()
    {
        var a = Shard("a", Stamp("0/2", "u1"), "x/baseline/run1/log.csv");
        var b = Shard("b", Stamp("1/2", "u2"), "x/kd/run1/log.csv");
        var outDir = Path.Combine(_root.FullName, "merged");
        var merged = ShardMerge.Merge([a, b], outDir);
        Assert.Equal(["u1", "u2"], merged.Units);
        Assert.Equal("x/baseline/run1/log.csv", File.ReadAllText(Path.Combine(outDir, "runs", "x/baseline/run1/log.csv")));
        Assert.Equal("x/kd/run1/log.csv", File.ReadAllText(Path.Combine(outDir, "runs", "x/kd/run1/log.csv")));
        Assert.Equal(merged, StudyStamp.Read(outDir) with { Backbones = merged.Backbones, Units = merged.Units });
    }

    [Fact]
    public void Shards_of_different_presets_are_refused_naming_both()
    {
        var a = Shard("a", Stamp("0/2", "u1"));
        var b = Shard("b", Stamp("1/2", "u2") with { Preset = "quick" });
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains("'quick'", e.Message);
        Assert.Contains("'smoke'", e.Message);
        Assert.Contains(b, e.Message);
    }

    [Fact]
    public void Shards_of_different_code_versions_are_refused()
    {
        var a = Shard("a", Stamp("0/2", "u1"));
        var b = Shard("b", Stamp("1/2", "u2") with { CodeVersion = "0.0.1+abc" });
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains("0.0.1+abc", e.Message);
    }

    [Fact]
    public void Shards_of_different_base_seeds_are_refused_and_the_seed_and_machine_survive_a_merge()
    {
        var a = Shard("a", Stamp("0/2", "u1") with { Seed = 7, Machine = "AMD EPYC; libtorch 2.10.0; 2 thread(s); cpu" });
        var b = Shard("b", Stamp("1/2", "u2") with { Seed = 42 });
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains("base seed 42", e.Message);
        Assert.Contains("with 7", e.Message);

        var c = Shard("c", Stamp("1/2", "u2") with { Seed = 7 });
        var merged = ShardMerge.Merge([a, c], Path.Combine(_root.FullName, "m2"));
        var read = StudyStamp.Read(Path.Combine(_root.FullName, "m2"));
        Assert.Equal((7, "AMD EPYC; libtorch 2.10.0; 2 thread(s); cpu"), (read.Seed, read.Machine));
        Assert.Equal(merged.Seed, read.Seed);
    }

    [Fact]
    public void Shards_that_ran_different_arms_are_refused_and_the_arms_survive_a_merge()
    {
        var a = Shard("a", Stamp("0/2", "u1") with { Arms = ["do"] });
        var b = Shard("b", Stamp("1/2", "u2"));
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains("ran the arms [(the preset's)]", e.Message);
        Assert.Contains("a [do]", e.Message);

        var c = Shard("c", Stamp("1/2", "u2") with { Arms = ["do"] });
        ShardMerge.Merge([a, c], Path.Combine(_root.FullName, "m2"));
        Assert.Equal(["do"], StudyStamp.Read(Path.Combine(_root.FullName, "m2")).Arms!);
    }

    [Fact]
    public void A_unit_held_by_two_shards_is_refused()
    {
        var a = Shard("a", Stamp("0/2", "u1"));
        var b = Shard("b", Stamp("1/2", "u1"));
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Contains("unit u1 is in both", e.Message);
    }

    [Fact]
    public void A_folder_without_a_stamp_is_not_a_study()
    {
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([_root.FullName], Path.Combine(_root.FullName, "m")));
        Assert.Contains(StudyStamp.FileName, e.Message);
    }
}
