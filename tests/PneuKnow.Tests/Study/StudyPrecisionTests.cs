using PneuKnow.Study;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

/// <summary>
/// <c>reproduce --precision</c>: every run of the study trains in it, the study stamp records it only when it is not fp32
/// (so the stamps of fp32 studies keep their bytes), <c>report</c> reads it back and <c>merge</c> refuses shards of different
/// precisions.
/// </summary>
public sealed class StudyPrecisionTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("precision-");
    public void Dispose() => _root.Delete(true);

    static StudyStamp Stamp(string shard = "0/1", params string[] units) =>
        new("quick", "1.0.0+0123456789abcdef0123456789abcdef", shard, ["cntk_resnet18"], 3, units.Length == 0 ? ["cntk_resnet18_clean_do_kd"] : units,
            [StudyCondition.Clean], 42, "AMD EPYC; libtorch 2.10.0 (libtorch-cpu-linux-x64); 2 thread(s); cpu", null, null);

    [Fact]
    public void An_fp32_stamp_is_written_byte_for_byte_as_before_precision_existed()
    {
        // The text the code before this option wrote for this stamp: no precision key at all, and (as the committed quick
        // reference's study.json, written before per-arm counts and --arms existed) no primary_runs or arms key either.
        const string expected = """
            {
              "preset": "quick",
              "code_version": "1.0.0\u002B0123456789abcdef0123456789abcdef",
              "shard": "0/1",
              "backbones": [
                "cntk_resnet18"
              ],
              "runs": 3,
              "units": [
                "cntk_resnet18_clean_do_kd"
              ],
              "conditions": [
                {
                  "name": "clean",
                  "shortcut_strength": 0
                }
              ],
              "seed": 42,
              "machine": "AMD EPYC; libtorch 2.10.0 (libtorch-cpu-linux-x64); 2 thread(s); cpu"
            }
            """;
        var dir = Path.Combine(_root.FullName, "fp32");
        Directory.CreateDirectory(dir);
        Stamp().Write(dir);
        Assert.Equal(expected.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(dir, StudyStamp.FileName)).ReplaceLineEndings("\n"));
        // What the runner records for every preset as shipped: nothing.
        foreach (var name in StudyPreset.Names)
            Assert.Null(StudyRunner.PrecisionOf(StudyPreset.Get(name)));
    }

    [Fact]
    public void A_mixed_precision_is_recorded_read_back_and_given_to_the_report_preset()
    {
        var dir = Path.Combine(_root.FullName, "bf16");
        Directory.CreateDirectory(dir);
        var preset = StudyPreset.Quick with { Precision = Precision.BFloat16Mixed };
        Assert.Equal(Precision.BFloat16Mixed, StudyRunner.PrecisionOf(preset));
        var stamp = Stamp() with { Precision = StudyRunner.PrecisionOf(preset) };
        stamp.Write(dir);
        var text = File.ReadAllText(Path.Combine(dir, StudyStamp.FileName));
        Assert.Contains("\"precision\": \"bf16-mixed\"", text);
        var read = StudyStamp.Read(dir);
        Assert.Equal(Precision.BFloat16Mixed, read.Precision);
        Assert.Equal(stamp with { Backbones = read.Backbones, Units = read.Units, Conditions = read.Conditions }, read);

        // reproduce's first line names a precision other than fp32, and says nothing for fp32.
        Assert.Contains("precision bf16-mixed;", PneuKnow.Cli.Commands.Reproduce.ReproduceCommand.Header(preset, ShardSpec.All)[0]);
        Assert.DoesNotContain("precision", PneuKnow.Cli.Commands.Reproduce.ReproduceCommand.Header(StudyPreset.Quick, ShardSpec.All)[0]);

        // report rebuilds the preset from the stamp: the precision comes back; an fp32 stamp gives fp32.
        Assert.Equal(Precision.BFloat16Mixed, StudyReport.PresetOf(read).Precision);
        Assert.Equal(Precision.Float32, StudyReport.PresetOf(Stamp()).Precision);
    }

    [Fact]
    public void Every_stage_of_every_unit_trains_in_the_studys_precision()
    {
        foreach (var precision in new[] { Precision.Float32, Precision.BFloat16Mixed, Precision.Float16Mixed })
        {
            var preset = StudyPreset.Quick with { Precision = precision };
            foreach (var unit in StudyGrid.Units(preset))
            {
                var config = StudyRunner.ConfigFor(preset, unit, "/data/manifest.csv", "/runs");
                var stages = new[] { config.Model, config.Teacher, config.Student }.Where(s => s is not null).ToList();
                Assert.NotEmpty(stages);
                Assert.All(stages, s => Assert.Equal(precision, s!.Precision));
            }
        }
    }

    [Fact]
    public void Shards_of_different_precisions_are_refused_and_the_precision_survives_a_merge()
    {
        string Shard(string name, StudyStamp stamp)
        {
            var dir = Path.Combine(_root.FullName, name);
            Directory.CreateDirectory(dir);
            stamp.Write(dir);
            return dir;
        }
        var a = Shard("a", Stamp("0/2", "u1") with { Precision = Precision.BFloat16Mixed });
        var b = Shard("b", Stamp("1/2", "u2"));
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([a, b], Path.Combine(_root.FullName, "m")));
        Assert.Equal($"merge: {b} trained in precision fp32 but {a} in bf16-mixed; shards of one study train in the same precision.", e.Message);

        var c = Shard("c", Stamp("1/2", "u2") with { Precision = Precision.BFloat16Mixed });
        ShardMerge.Merge([a, c], Path.Combine(_root.FullName, "m2"));
        Assert.Equal(Precision.BFloat16Mixed, StudyStamp.Read(Path.Combine(_root.FullName, "m2")).Precision);
    }
}
