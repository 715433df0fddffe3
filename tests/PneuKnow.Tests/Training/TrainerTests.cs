using System.Globalization;
using System.Text.Json;
using PneuKnow.Augmentation;
using PneuKnow.Evaluation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using PneuKnow.Distillation;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Training;

[Collection(TorchTrainingCollection.Name)]
public class TrainerTests : IDisposable
{
    // Run folders hold real checkpoints (tens of MB for resnet18): each test removes what it wrote.
    readonly TempFolders folders = new();
    string Dir(string name) => folders.Create(name);

    public void Dispose() => folders.Dispose();

    public TrainerTests() => TorchRuntime.Initialize("cpu");

    static TrainingRun BaselineRun(string dir, int epochs = 3, long seed = 11, bool test = false) =>
        new(TrainingSetup.Model(seed), new Baseline(), TrainingSetup.Data(test: test),
            TrainingSetup.Options(epochs, seed: seed) with { LearningRate = 5e-3 }, dir);

    static double[][] ReadLog(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();

    [Fact]
    public void Baseline_run_writes_the_documented_folder_and_learns()
    {
        var dir = Dir("baseline");
        var result = Trainer.Train(BaselineRun(dir, epochs: 4, test: true));

        foreach (var f in new[] { "run.json", "log.csv", "timings.csv", "best.pt", "predictions_valid.csv", "predictions_test.csv", "result.json" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.False(Directory.Exists(Path.Combine(dir, "checkpoint")));   // resume state is dropped once complete
        Assert.Equal("epochs,fold0_train_acc,fold0_train_loss,fold0_val_acc,fold0_val_loss,lr,consistency_weight",
            File.ReadLines(Path.Combine(dir, "log.csv")).First());
        // Every epoch names the machine it ran on: this CPU's model (read here from /proc/cpuinfo), the libtorch, the
        // threads and the oneDNN instruction set, since another kernel rounds differently and acts like another seed.
        var timings = PneuKnow.Data.Csv.Read(Path.Combine(dir, "timings.csv"));
        int machine = timings.Require("machine");
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim()
            : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        Assert.Equal(4, timings.Rows.Count);
        Assert.All(timings.Rows, r =>
        {
            Assert.StartsWith($"{cpu}; libtorch {PneuKnow.Runtime.TorchRuntime.Current!.LibTorchVersion}; ", r.Fields[machine]);
            Assert.Matches("; oneDNN (full ISA|capped at [A-Z0-9_]+|ISA not decided)$", r.Fields[machine]);
        });
        Assert.All(result.Timings, t => Assert.Equal(timings.Rows[0].Fields[machine], t.Machine));

        var log = ReadLog(Path.Combine(dir, "log.csv"));
        Assert.Equal(4, log.Length);
        Assert.True(log[^1][2] < log[0][2], $"train loss should fall: {log[0][2]} -> {log[^1][2]}");
        // Checkpoint = lowest validation loss, and result.json agrees with the log.
        int best = Enumerable.Range(0, 4).MinBy(e => log[e][4]);
        Assert.Equal(best, result.BestEpoch);
        Assert.Equal(log[best][4], result.BestValidLoss);

        // The predictions come from the selected checkpoint: their mean −log p(label) is the logged best validation loss. The
        // file holds each probability to ±0.00005 (4 decimals), so the loss lies between the means of −log at either end of
        // each interval (a probability stored as 0 leaves the upper end open instead of making the check infinite).
        var p = Predictions.Read(Path.Combine(dir, "predictions_valid.csv"));
        Assert.Equal(12, p.Rows.Count);
        const double half = 0.00005;
        Assert.All(p.Rows, r => Assert.InRange(r.Probabilities.Sum(), 1 - r.Probabilities.Length * half, 1 + r.Probabilities.Length * half));
        Assert.Equal($"img{p.Rows[0].Index:D3}.png", p.Rows[0].FileName);
        double lowest = p.Rows.Average(r => -Math.Log(Math.Min(1, r.Probabilities[r.Label] + half)));
        double highest = p.Rows.Average(r => r.Probabilities[r.Label] > half ? -Math.Log(r.Probabilities[r.Label] - half) : double.PositiveInfinity);
        Assert.InRange(result.BestValidLoss, lowest - 1e-5, highest + 1e-5);   // slack: the loss is summed in float32
        Assert.Equal(result.BestValidAccuracy, p.Rows.Count(r => r.Predicted == r.Label) / (double)p.Rows.Count, 10);
        Assert.NotNull(result.TestAccuracy);
        Assert.Equal(12, Predictions.Read(Path.Combine(dir, "predictions_test.csv")).Rows.Count);

        // The paper schedule: the logged lr after epoch e is torch's cosine after (e + 1) · batches steps, T_max = epochs − 1.
        var s = new LearningRateSchedule(LearningRateScheduleKind.Paper, 5e-3, 4);
        for (int e = 0; e < 4; e++)
        {
            for (int b = 0; b < 4; b++) s.AfterBatch();
            Assert.Equal(s.Rate, log[e][5]);
        }
    }

    [Fact]
    public void Same_seed_gives_identical_logs_and_a_finished_folder_is_reused()
    {
        var a = Dir("det-a");
        var b = Dir("det-b");
        Trainer.Train(BaselineRun(a));
        Trainer.Train(BaselineRun(b));
        Assert.Equal(File.ReadAllText(Path.Combine(a, "log.csv")), File.ReadAllText(Path.Combine(b, "log.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(a, "predictions_valid.csv")), File.ReadAllText(Path.Combine(b, "predictions_valid.csv")));

        var again = Trainer.Train(BaselineRun(a));
        Assert.True(again.Reused);
        var other = Trainer.Train(BaselineRun(Dir("det-c"), seed: 12));
        Assert.NotEqual(File.ReadAllText(Path.Combine(a, "log.csv")), File.ReadAllText(Path.Combine(other.Directory, "log.csv")));
    }

    [Theory]
    [InlineData(4)]    // after epoch 0's last batch, before its validation and commit
    [InlineData(6)]    // in the middle of epoch 1
    [InlineData(9)]    // in the middle of epoch 2
    public void A_run_stopped_at_any_point_resumes_to_the_same_numbers(int stopAfterBatches)
    {
        var whole = Dir("whole");
        Trainer.Train(BaselineRun(whole, epochs: 4));

        var parted = Dir("parted");
        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(BaselineRun(parted, epochs: 4), new CancelAt(cts, stopAfterBatches), cts.Token));
        Assert.False(File.Exists(Path.Combine(parted, "result.json")));
        // A fresh process would build a fresh model: the resume must not depend on the old object.
        var resumed = Trainer.Train(BaselineRun(parted, epochs: 4));
        Assert.False(resumed.Reused);
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "log.csv")), File.ReadAllText(Path.Combine(parted, "log.csv")));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "predictions_valid.csv")), File.ReadAllText(Path.Combine(parted, "predictions_valid.csv")));
    }

    [Fact]
    public void A_folder_of_another_configuration_is_refused()
    {
        var dir = Dir("foreign");
        Trainer.Train(BaselineRun(dir, epochs: 2));
        var e = Assert.Throws<TrainingException>(() => Trainer.Train(BaselineRun(dir, epochs: 3)));
        Assert.Contains("different configuration", e.Message);
        Assert.Contains("result.json", e.Message);
    }

    sealed class PoisonedAt(int epoch, int batch) : ITrainingMethod
    {
        int seen;
        public string Name => "poisoned";
        public bool HasConsistency => false;
        public nn.Module<Tensor, Tensor>? Extra => null;
        public double ConsistencyWeightAt(int e) => 0;
        public Tensor EvaluationInput(Batch b) => b.Image;
        public LossTerms Loss(Backbone model, Batch b, int e)
        {
            var logits = model.Head(model.Features(model.Normalize(b.Image)));
            var ce = nn.functional.cross_entropy(logits, b.Label);
            if (e == epoch && seen++ == batch) ce = ce * float.NaN;
            return new LossTerms(ce, ce, null, logits);
        }
    }

    [Fact]
    public void A_nan_loss_stops_the_run_naming_epoch_and_batch()
    {
        var run = new TrainingRun(TrainingSetup.Model(3), new PoisonedAt(1, 2), TrainingSetup.Data(), TrainingSetup.Options(3, seed: 3),
            Dir("nan"));
        var e = Assert.Throws<TrainingException>(() => Trainer.Train(run));
        Assert.Contains("NaN", e.Message);
        Assert.Contains("epoch 1, batch 2", e.Message);
    }

    /// <summary>Cross-entropy scaled by 10⁴ from epoch <paramref name="epoch"/> on: finite, Adam still steps sanely, but the logged loss is a diverged run's.</summary>
    sealed class BlowsUpFrom(int epoch) : ITrainingMethod
    {
        public string Name => "blows_up";
        public bool HasConsistency => false;
        public nn.Module<Tensor, Tensor>? Extra => null;
        public double ConsistencyWeightAt(int e) => 0;
        public Tensor EvaluationInput(Batch b) => b.Image;
        public LossTerms Loss(Backbone model, Batch b, int e)
        {
            var logits = model.Head(model.Features(model.Normalize(b.Image)));
            var ce = nn.functional.cross_entropy(logits, b.Label);
            if (e >= epoch) ce = ce * 1e4f;
            return new LossTerms(ce, ce, null, logits);
        }
    }

    [Fact]
    public void A_finite_but_diverged_loss_marks_the_run_failed_and_a_rerun_refuses_without_training()
    {
        var dir = Dir("diverged");
        int epochs = 0;
        TrainingRun Run() => new(TrainingSetup.Model(3), new BlowsUpFrom(1), TrainingSetup.Data(), TrainingSetup.Options(3, seed: 3), dir)
        {
            EpochCompleted = (_, _) => epochs++,
        };
        var e = Assert.Throws<TrainingException>(() => Trainer.Train(Run()));
        Assert.Contains("diverged", e.Message);
        Assert.Contains("epoch 1's training loss", e.Message);
        Assert.Equal(1, epochs);   // epoch 0 was healthy and committed
        using (var failed = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "failed.json"))))
        {
            Assert.Equal(1, failed.RootElement.GetProperty("epoch").GetInt32());
            Assert.Contains("diverged", failed.RootElement.GetProperty("reason").GetString());
        }
        // No result and no predictions: nothing of this run can reach a table as if it had finished.
        Assert.False(File.Exists(Path.Combine(dir, "result.json")));
        Assert.Empty(Directory.GetFiles(dir, "predictions_*.csv"));

        var again = Assert.Throws<TrainingException>(() => Trainer.Train(Run()));
        Assert.Contains("failed in epoch 1", again.Message);
        Assert.Contains("failed.json", again.Message);
        Assert.Equal(1, epochs);
    }

    [Fact]
    public void A_nan_loss_marks_the_run_failed()
    {
        var dir = Dir("nan-marked");
        var run = new TrainingRun(TrainingSetup.Model(3), new PoisonedAt(0, 1), TrainingSetup.Data(), TrainingSetup.Options(2, seed: 3), dir);
        Assert.Throws<TrainingException>(() => Trainer.Train(run));
        Assert.True(File.Exists(Path.Combine(dir, "failed.json")));
        Assert.False(File.Exists(Path.Combine(dir, "result.json")));
    }

    sealed class OutOfMemoryAt(int batch) : ITrainingMethod
    {
        int seen;
        public string Name => "oom";
        public bool HasConsistency => false;
        public nn.Module<Tensor, Tensor>? Extra => null;
        public double ConsistencyWeightAt(int e) => 0;
        public Tensor EvaluationInput(Batch b) => b.Image;
        public LossTerms Loss(Backbone model, Batch b, int e)
        {
            // What TorchSharp raises when libtorch's CUDA allocator gives up.
            if (seen++ == batch) throw new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.11 GiB total capacity)");
            var logits = model.Head(model.Features(model.Normalize(b.Image)));
            var ce = nn.functional.cross_entropy(logits, b.Label);
            return new LossTerms(ce, ce, null, logits);
        }
    }

    [Fact]
    public void Out_of_memory_names_the_batch_size_and_suggests_a_smaller_one()
    {
        var run = new TrainingRun(TrainingSetup.Model(3), new OutOfMemoryAt(1), TrainingSetup.Data(batch: 6), TrainingSetup.Options(2, seed: 3),
            Dir("oom"));
        var e = Assert.Throws<TrainingException>(() => Trainer.Train(run));
        Assert.Contains("out of memory at batch size 6 (epoch 0, batch 1)", e.Message);
        Assert.Contains("smaller batch_size (e.g. 3)", e.Message);
        Assert.IsType<System.Runtime.InteropServices.ExternalException>(e.InnerException);
    }

    [Fact]
    public void Hkd_student_logs_both_terms_and_leaves_the_teacher_untouched()
    {
        var teacherRun = new TrainingRun(TrainingSetup.Model(5), new RoiTeacher(), TrainingSetup.Data(),
            TrainingSetup.Options(2, seed: 5) with { LearningRate = 5e-3 }, Dir("teacher"));
        Trainer.Train(teacherRun);
        var teacher = TrainingSetup.Model(99);
        teacher.load(Path.Combine(teacherRun.Directory, "best.pt"));
        var before = teacher.parameters().Select(p => p.detach().clone()).ToList();

        var dir = Dir("student");
        var method = new HkdStudent(teacher, kdEpochs: 2, initialWeight: 0.5);
        Trainer.Train(new TrainingRun(TrainingSetup.Model(6), method, TrainingSetup.Data(),
            TrainingSetup.Options(3, seed: 6) with { LearningRate = 5e-3 }, dir) { Fold = 2 });

        Assert.Equal("epochs,fold2_train_acc,fold2_train_loss,fold2_train_cons_loss,fold2_train_cls_loss,fold2_val_acc,fold2_val_loss,lr,consistency_weight",
            File.ReadLines(Path.Combine(dir, "log.csv")).First());
        var log = ReadLog(Path.Combine(dir, "log.csv"));
        double[] weights = [0.5, 0.25, 0.0];
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal(weights[e], log[e][8]);
            // a_e is constant within an epoch, so the mean total is a·mean(cons) + (1 − a)·mean(cls).
            Assert.Equal(weights[e] * log[e][3] + (1 - weights[e]) * log[e][4], log[e][2], 5);
            Assert.True(log[e][3] > 0);
        }
        Assert.False(teacher.training);
        foreach (var (p, q) in teacher.parameters().Zip(before)) Assert.True(p.eq(q).all().item<bool>());
    }

    [Fact]
    public void Heterogeneous_kd_trains_and_checkpoints_the_adapter_and_logit_kd_runs()
    {
        var teacher = TrainingSetup.Model(8, channels: 8);
        var student = TrainingSetup.Model(9, channels: 4, stride2: 1);
        var adapter = PneuKnow.Distillation.FeatureAdapter.Between(teacher, student, 16, CPU)!;
        var initial = adapter.parameters().Select(p => p.detach().clone()).ToList();
        var dir = Dir("hetero");
        Trainer.Train(new TrainingRun(student, new HkdStudent(teacher, 2, initialWeight: 0.5, adapter, normalizedFeatures: true), TrainingSetup.Data(),
            TrainingSetup.Options(2, seed: 9) with { LearningRate = 5e-3 }, dir));
        Assert.True(File.Exists(Path.Combine(dir, "best_extra.pt")));
        Assert.Contains(adapter.parameters().Zip(initial), t => !t.First.eq(t.Second).all().item<bool>());

        var kdDir = Dir("logitkd");
        var r = Trainer.Train(new TrainingRun(TrainingSetup.Model(10), new LogitKdStudent(teacher, 2, temperature: 4, initialWeight: 0.5), TrainingSetup.Data(),
            TrainingSetup.Options(2, seed: 10) with { LearningRate = 5e-3 }, kdDir));
        Assert.All(r.Epochs, e => Assert.True(e.TrainConsistencyLoss is >= 0));
    }
}
