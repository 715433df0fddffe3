using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Training;

namespace PneuKnow.Tests.Study;

// Training draws dropout masks from torch's process-wide generator: run alone, or a parallel test's draws make the two studies differ.
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ShardedStudyTests : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sharded-study-");
    public void Dispose() => _root.Delete(true);

    // The smoke grid (one pretrained backbone: a baseline unit and a teacher→student unit), shrunk to seconds.
    static readonly StudyPreset Tiny = StudyPreset.Smoke with
    {
        Data = new StudyData(Images: 60, ImageSize: 64), Epochs = 1, TeacherEpochs = 1, KdEpochs = 1, BatchSize = 8,
    };

    [Fact]
    public void Two_shards_merged_give_the_same_tables_as_one_unsharded_run()
    {
        TorchRuntime.Initialize("cpu");
        string Dir(string name) => Path.Combine(_root.FullName, name);
        var data = Dir("data");

        // The whole study with its time breakdown (what reproduce prints): every part it runs took time, the parts and the
        // remainder make the total, and its one pair (smoke: one baseline, one ROI teacher, one HKD student) is counted.
        var times = new StudyTimes();
        StudyRunner.Run(Tiny, new StudyOptions(Dir("whole"), data) { Times = times });
        var shard0 = StudyRunner.Run(Tiny, new StudyOptions(Dir("shard0"), data, ShardSpec.Parse("0/2")));
        var shard1 = StudyRunner.Run(Tiny, new StudyOptions(Dir("shard1"), data, ShardSpec.Parse("1/2")));
        Assert.Single(shard0.Stamp.Units);
        Assert.Single(shard1.Stamp.Units);
        Assert.NotEqual(shard0.Stamp.Units[0], shard1.Stamp.Units[0]);

        ShardMerge.Merge([Dir("shard0"), Dir("shard1")], Dir("merged"));
        var whole = StudyReport.Evaluate(Dir("whole"));
        var merged = StudyReport.Evaluate(Dir("merged"));
        StudyReport.Write(whole, times: times);
        StudyReport.Write(merged);
        foreach (var part in new[] { StudyPhase.Data, StudyPhase.Training, StudyPhase.Validation, StudyPhase.Test, StudyPhase.DecisionRegions, StudyPhase.Tables, StudyPhase.Figures })
            Assert.True(times.Seconds(part) > 0, $"{part}: {times.Seconds(part)} s");
        Assert.Equal(0, times.Seconds(StudyPhase.Notebooks));
        var lines = times.Lines();
        Assert.True(times.UnaccountedSeconds >= 0, string.Join('\n', lines));
        // The printed rows (each rounded to 0.1 s) add up to the printed total.
        static double SecondsIn(string line) => double.Parse(System.Text.RegularExpressions.Regex.Match(line, @" (\d+\.\d) s ").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var rows = lines.Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.Equal(SecondsIn(lines[0].Replace("time:", "")), rows.Sum(SecondsIn), 0.05 * rows.Count + 0.05);
        Assert.Equal((1, 1, 1), (times.RunsTrained(Role.Baseline), times.RunsTrained(Role.Teacher), times.RunsTrained(Role.Student)));
        Assert.Equal(1, times.Pairs);
        Assert.StartsWith("  unaccounted (", rows[^1]);
        Assert.Equal(3, whole.Cells.Count); // baseline, ROI teacher, HKD student
        foreach (var table in new[] { "accuracy.csv", "class_scores.csv", "headline.md" })
            Assert.Equal(File.ReadAllText(Path.Combine(Dir("whole"), "tables", table)), File.ReadAllText(Path.Combine(Dir("merged"), "tables", table)));

        // A second call on a finished study reuses every run instead of training again.
        var againTimes = new StudyTimes();
        var again = StudyRunner.Run(Tiny, new StudyOptions(Dir("whole"), data) { Times = againTimes });
        Assert.All(again.Experiments.SelectMany(x => x.Result.Baselines.Concat(x.Result.Teachers).Concat(x.Result.Students)), r => Assert.True(r.Reused));
        // Nothing trained, so no training time and no pair; the second call still decodes its images.
        Assert.Equal((0, 0.0, 0.0), (againTimes.Pairs, againTimes.Seconds(StudyPhase.Training), againTimes.Seconds(StudyPhase.Test)));
        Assert.True(againTimes.Seconds(StudyPhase.Data) > 0);
    }
}
