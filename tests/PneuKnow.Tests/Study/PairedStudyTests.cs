using System.Security.Cryptography;
using PneuKnow.Distillation;
using PneuKnow.Evaluation;
using PneuKnow.Runtime;
using PneuKnow.Study;
using PneuKnow.Tests.Training;
using PneuKnow.Training;

namespace PneuKnow.Tests.Study;

// Training draws dropout masks from torch's process-wide generator: run alone.
[Collection(TorchTrainingCollection.Name)]
[Trait("Category", "Slow")]
public sealed class PairedStudyTests(TinyStudyRun tiny) : IDisposable
{
    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("paired-study-");
    public void Dispose() => _root.Delete(true);

    static readonly StudyPreset Tiny = TinyStudy.Preset;

    static string Digest(PneuKnow.Augmentation.Batch batch)
    {
        var bytes = new List<byte>();
        bytes.AddRange(MemoryMarshalBytes(batch.Image.contiguous().data<float>().ToArray()));
        bytes.AddRange(batch.Label.data<long>().ToArray().SelectMany(BitConverter.GetBytes));
        return Convert.ToHexString(SHA256.HashData(bytes.ToArray()));
    }

    static byte[] MemoryMarshalBytes(float[] values)
    {
        var b = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }

    [Fact]
    public void The_baseline_and_the_student_of_one_pair_see_identical_batches_and_pairs_differ()
    {
        TorchRuntime.Initialize("cpu");
        var data = Path.Combine(_root.FullName, "data");
        var runs = Path.Combine(_root.FullName, "runs");
        var manifest = StudyRunner.EnsureData(Tiny, StudyCondition.Clean, data, SilentProgress.Instance);
        var seen = new Dictionary<(Role Role, int Run), List<string>>();
        var options = new ExperimentOptions(OutputRoot: runs)
        {
            BatchDrawn = (role, run, epoch, batch) =>
            {
                if (!seen.TryGetValue((role, run), out var list)) seen[(role, run)] = list = [];
                list.Add($"{epoch}:{Digest(batch)}");
            },
        };
        foreach (var unit in StudyGrid.Units(Tiny).Where(u => u.ConditionName == StudyCondition.Clean.Name))
            Experiment.Run(StudyRunner.ConfigFor(Tiny, unit, manifest, runs), null, options);

        for (int k = 0; k < 2; k++)
        {
            Assert.NotEmpty(seen[(Role.Baseline, k)]);
            Assert.Equal(seen[(Role.Baseline, k)], seen[(Role.Student, k)]);
        }
        Assert.NotEqual(seen[(Role.Baseline, 0)], seen[(Role.Baseline, 1)]);
        Assert.NotEqual(seen[(Role.Baseline, 0)], seen[(Role.Teacher, 0)]);
    }

    [Fact]
    public void A_study_writes_claims_whose_accuracy_rows_are_the_mean_paired_differences_of_the_runs()
    {
        var dir = tiny.Study;
        // Written again from the runs (their scores are cached, so no Grad-CAM runs): the same bytes as the fixture's.
        var claims = StudyReport.WriteClaims(StudyReport.Evaluate(dir));

        foreach (var condition in Tiny.Conditions)
        {
            var rows = claims.Where(c => c.Condition == condition.Name && c.Backbone == "cntk_resnet18").ToList();
            Assert.Contains(rows, r => r.Claim == "accuracy");
            Assert.Contains(rows, r => r.Claim == "convergence");
            Assert.Contains(rows, r => r.Claim == "decision_regions");

            // Independent of the bootstrap code: the per-run test accuracies of the two roles, paired by run number.
            double Accuracy(string role, int k) => RunFolders.ReadPredictions(
                Path.Combine(dir, "runs", $"cntk_resnet18_{condition.Name}_do_{(role == "baseline" ? "baseline" : "kd")}", role, $"run_{k}"), "test") is var p
                ? p.Rows.Count(r => r.Label == r.Predicted) / (double)p.Rows.Count : double.NaN;
            double expected = Enumerable.Range(0, 2).Average(k => Accuracy("student", k) - Accuracy("baseline", k));
            var accuracy = rows.Single(r => r.Metric.StartsWith("accuracy:", StringComparison.Ordinal));
            Assert.Equal(expected, accuracy.Difference.Estimate, 9);
            Assert.Equal(2, accuracy.Difference.Pairs);
            Assert.InRange(accuracy.Difference.Lower, -1, accuracy.Difference.Estimate);
            Assert.InRange(accuracy.Difference.Upper, accuracy.Difference.Estimate, 1);
        }
        // The decision-region table scores the same annotated test images for baseline and student in every pair.
        var regions = File.ReadAllLines(Path.Combine(dir, "tables", StudyDecisionRegions.FileName)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.NotEmpty(regions);
        foreach (var g in regions.GroupBy(f => (f[0], f[1], f[3])))
        {
            var byModel = g.GroupBy(f => f[2]).ToDictionary(m => m.Key, m => m.Select(f => f[4]).ToList());
            Assert.Equal(byModel["baseline"], byModel["HKD student"]);
            Assert.Equal(byModel["baseline"], byModel["ROI teacher"]);
        }

        // The CSV reads back to the same rows.
        var read = StudyClaims.Read(Path.Combine(dir, "tables", "claims.csv"));
        Assert.Equal(claims.Select(c => c.Metric), read.Select(c => c.Metric));
        Assert.Equal(claims.Select(c => Math.Round(c.Difference.Estimate, 6)), read.Select(c => Math.Round(c.Difference.Estimate, 6)));
        Assert.Contains("no power", File.ReadAllText(Path.Combine(dir, "tables", "claims.md")));
    }
}
