using System.Globalization;
using PneuKnow.Augmentation;
using PneuKnow.Data;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using PneuKnow.Distillation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Training;

/// <summary>TinyBackbone with BatchNorm after each convolution and head dropout: BatchNorm and RNG both matter.</summary>
sealed class TinyBatchNormBackbone : Backbone
{
    readonly Conv2d conv1, conv2;
    readonly BatchNorm2d bn1, bn2;
    readonly Dropout dropout;
    readonly Linear fc;

    public TinyBatchNormBackbone(int channels = 8, int classes = 3) : base("tiny_bn")
    {
        FeatureChannels = channels;
        Classes = classes;
        conv1 = nn.Conv2d(3, channels, 3, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(channels);
        conv2 = nn.Conv2d(channels, channels, 3, stride: 2, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(channels);
        dropout = nn.Dropout(0.2);
        fc = nn.Linear(channels, classes);
        RegisterComponents();
    }

    public override string Architecture => "tiny_bn";
    public override int FeatureChannels { get; }
    public override int Classes { get; }
    public override Tensor Features(Tensor x) =>
        nn.functional.relu(bn2.call(conv2.call(nn.functional.relu(bn1.call(conv1.call(x))))));
    public override Tensor Head(Tensor features) => fc.call(dropout.call(features.mean([2, 3])));
}

/// <summary>
/// Issue 21: after a few dozen steps BatchNorm's moving averages lag the weights, and an eval-mode network gives
/// every constant black ROI (a healthy image has no annotation) one wrong class. Precise BatchNorm recomputes
/// the statistics over the training inputs with the weights frozen.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public class PreciseBatchNormTests : IDisposable
{
    readonly TempFolders folders = new();
    public void Dispose() => folders.Dispose();
    public PreciseBatchNormTests() => TorchRuntime.Initialize("cpu");

    /// <summary>
    /// ROI-like batches: class 0 is the all-black image (healthy: nothing annotated), classes 1 and 2 a bright
    /// noisy square on the left or the right half. Fixed content per batch index.
    /// </summary>
    static List<(Tensor X, Tensor Y)> RoiBatches(int batches, int batchSize, int size, int seed)
    {
        var g = new Generator((ulong)seed);
        var list = new List<(Tensor, Tensor)>();
        for (int b = 0; b < batches; b++)
        {
            var x = zeros(batchSize, 3, size, size);
            var y = zeros(batchSize, dtype: ScalarType.Int64);
            for (int i = 0; i < batchSize; i++)
            {
                int k = (b * batchSize + i) % 3;
                y[i] = k;
                if (k == 0) continue;
                int x0 = k == 1 ? 0 : size / 2;
                x[i, .., (size / 4)..(3 * size / 4), x0..(x0 + size / 2)] = rand(3, size / 2, size / 2, generator: g) * 0.5 + 0.5;
            }
            list.Add((x, y));
        }
        return list;
    }

    static Backbone Resnet18(long seed)
    {
        manual_seed(seed);
        return BackboneZoo.Create(new BackboneOptions("resnet18", 3, Dropout: 0));
    }

    /// <summary>Trains like the quick preset's random-init teacher: Adam 1e-3, batch 16, 30 steps.</summary>
    static void Train(Backbone model, List<(Tensor X, Tensor Y)> data, int steps)
    {
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        model.train();
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var (x, y) = data[s % data.Count];
            adam.zero_grad();
            nn.functional.cross_entropy(model.forward(model.Normalize(x)), y).backward();
            adam.step();
        }
    }

    /// <summary>Fraction of training images whose eval-mode class is their train-mode (batch-statistics) class, and eval-mode recall of class 0.</summary>
    static (double Agreement, double HealthyRecall) EvalVersusTrain(Backbone model, List<(Tensor X, Tensor Y)> data)
    {
        using var noGrad = no_grad();
        // Train-mode forwards move the running statistics under test: keep them and put them back.
        var saved = model.state_dict().Where(kv => kv.Key.Contains("running_") || kv.Key.Contains("num_batches")).ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        long agree = 0, total = 0, healthy = 0, healthyRight = 0;
        foreach (var (x, y) in data)
        {
            using var scope = NewDisposeScope();
            model.eval();
            var inEval = model.forward(model.Normalize(x)).argmax(1);
            model.train();
            var inTrain = model.forward(model.Normalize(x)).argmax(1);
            agree += inEval.eq(inTrain).sum().item<long>();
            total += x.shape[0];
            var isHealthy = y.eq(0);
            healthy += isHealthy.sum().item<long>();
            healthyRight += inEval.eq(0).logical_and(isHealthy).sum().item<long>();
        }
        var state = model.state_dict();
        foreach (var (k, v) in saved) { state[k].copy_(v); v.Dispose(); }
        model.eval();
        return ((double)agree / total, (double)healthyRight / healthy);
    }

    static Batch AsBatch((Tensor X, Tensor Y) d) =>
        new(d.X.alias(), d.X.alias(), zeros(d.X.shape[0], 1, d.X.shape[2], d.X.shape[3]), d.Y.alias(), arange(d.X.shape[0]));

    /// <remarks>
    /// At this size the lag shows in the statistics (a running variance off by more than half) but not yet in the
    /// classes: with the moving averages alone the agreement and healthy-recall checks pass too, and the gap check
    /// fails (gap 0.000 when the recomputation is a no-op). The collapse itself is the study's (issue 21).
    /// </remarks>
    [Fact]
    [Trait("Category", "Slow")]
    public void After_thirty_steps_the_moving_averages_lag_the_weights_and_precise_statistics_make_eval_mode_agree_with_training()
    {
        var data = RoiBatches(batches: 3, batchSize: 16, size: 16, seed: 3);
        using var model = Resnet18(5);
        Train(model, data, steps: 30);
        var layers = PreciseBatchNorm.Layers(model);
        var ema = layers.Select(b => b.running_var!.clone()).ToList();
        var before = EvalVersusTrain(model, data);

        PreciseBatchNorm.Recompute(model, data.Select(AsBatch), b => b.Image);
        var after = EvalVersusTrain(model, data);
        Assert.True(after.Agreement >= 0.95, $"expected eval mode to agree with train mode after precise BatchNorm, found {after.Agreement:F3} (moving averages: {before.Agreement:F3})");
        Assert.True(after.HealthyRecall >= 0.95, $"expected the black (healthy) images classified healthy in eval mode, found recall {after.HealthyRecall:F3} (moving averages: {before.HealthyRecall:F3})");

        // The diagnosis: after 30 updates at momentum 0.1 the moving averages are far from the statistics of the
        // final weights on the very inputs they were trained on (largest relative gap in a running variance).
        double gap = layers.Select((b, i) => ((ema[i] - b.running_var!).abs() / (b.running_var! + 1e-5)).max().item<float>()).Max();
        Assert.True(gap > 0.5, $"expected the moving-average variances to lag the training-set variances, found a largest relative gap of {gap:F3}");
    }

    [Fact]
    public void Recomputed_statistics_are_the_average_over_batches_of_each_layers_input_statistics()
    {
        var data = RoiBatches(batches: 3, batchSize: 8, size: 16, seed: 9);
        using var model = Resnet18(2);
        Train(model, data, steps: 3);
        var weightsBefore = model.parameters().Select(p => p.detach().clone()).ToList();
        var layers = PreciseBatchNorm.Layers(model);
        Assert.Equal(20, layers.Count);   // resnet18: stem, 8 blocks × 2, 3 downsamples

        // Independent expectation: forward hooks see each layer's input with every BatchNorm in train mode (batch
        // statistics) and everything else in eval; per batch the channel mean and unbiased variance; equal-weight mean over batches.
        var expMean = layers.Select(b => zeros(b.num_features, dtype: ScalarType.Float64)).ToArray();
        var expVar = layers.Select(b => zeros(b.num_features, dtype: ScalarType.Float64)).ToArray();
        var hooks = layers.Select((b, i) => b.register_forward_hook((m, input, output) =>
        {
            var x = input.detach().to(ScalarType.Float64);
            expMean[i].add_(x.mean([0, 2, 3]));
            expVar[i].add_(x.var([0, 2, 3], unbiased: true));
            return output;
        })).ToList();
        using (no_grad())
        {
            model.eval();
            foreach (var b in layers) b.train();
            foreach (var (x, _) in data)
            {
                using var scope = NewDisposeScope();
                model.forward(model.Normalize(x));
            }
        }
        foreach (var h in hooks) h.remove();
        // The hooked pass counted its batches; the recomputation must leave the counters and momenta as it finds them.
        var countersBefore = layers.Select(b => b.num_batches_tracked!.item<long>()).ToArray();
        var momentaBefore = layers.Select(b => b.momentum).ToArray();

        int n = PreciseBatchNorm.Recompute(model, data.Select(AsBatch), b => b.Image);
        Assert.Equal(3, n);
        for (int i = 0; i < layers.Count; i++)
        {
            var wantMean = expMean[i] / 3;
            var wantVar = expVar[i] / 3;
            var gotMean = layers[i].running_mean!.to(ScalarType.Float64);
            var gotVar = layers[i].running_var!.to(ScalarType.Float64);
            Assert.True(gotMean.allclose(wantMean, rtol: 1e-4, atol: 1e-5),
                $"layer {i}: running_mean differs from the hooked inputs' mean by up to {(gotMean - wantMean).abs().max().item<double>():G3}");
            Assert.True(gotVar.allclose(wantVar, rtol: 1e-4, atol: 1e-5),
                $"layer {i}: running_var differs from the hooked inputs' variance by up to {(gotVar - wantVar).abs().max().item<double>():G3}");
            Assert.Equal(countersBefore[i], layers[i].num_batches_tracked!.item<long>());
            Assert.Equal(momentaBefore[i], layers[i].momentum);
        }
        // Weights untouched; the model is left in eval mode.
        foreach (var (p, w) in model.parameters().Zip(weightsBefore)) Assert.True(p.eq(w).all().item<bool>());
        Assert.False(model.training);
        Assert.All(layers, b => Assert.False(b.training));
    }

    sealed class NeverRead : IEnumerable<Batch>
    {
        public IEnumerator<Batch> GetEnumerator() => throw new InvalidOperationException("a model without BatchNorm must not read a batch");
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void A_model_without_batchnorm_skips_the_pass_without_reading_a_batch()
    {
        using var tiny = TrainingSetup.Model(1);
        Assert.Equal(0, PreciseBatchNorm.Recompute(tiny, new NeverRead(), b => b.Image));
    }

    static TrainingRun Run(string dir, bool precise, int epochs = 3, Action<EpochRecord, EpochTiming>? completed = null)
    {
        manual_seed(11);
        return new TrainingRun(new TinyBatchNormBackbone(), new RoiTeacher(), TrainingSetup.Data(test: true),
            TrainingSetup.Options(epochs, seed: 11) with { LearningRate = 5e-3, PreciseBatchNorm = precise }, dir) { EpochCompleted = completed };
    }

    [Fact]
    public void Precise_batchnorm_leaves_the_training_trajectory_byte_identical_and_is_part_of_the_run_identity()
    {
        List<byte[]> Snapshot(TrainingRun run) => run.Model.parameters().Select(p => p.detach().cpu().bytes.ToArray()).ToList();
        var off = new List<List<byte[]>>();
        var on = new List<List<byte[]>>();
        TrainingRun? runOff = null, runOn = null;
        runOff = Run(folders.Create("off"), false, completed: (_, _) => off.Add(Snapshot(runOff!)));
        runOn = Run(folders.Create("on"), true, completed: (_, _) => on.Add(Snapshot(runOn!)));
        Trainer.Train(runOff);
        var result = Trainer.Train(runOn);

        Assert.Equal(3, on.Count);
        for (int e = 0; e < 3; e++)
            for (int p = 0; p < on[e].Count; p++)
                Assert.True(on[e][p].AsSpan().SequenceEqual(off[e][p]), $"epoch {e}, parameter {p}: weights differ with precise BatchNorm");
        // Training columns (train_acc, train_loss) identical; eval columns may differ.
        static string[] TrainColumns(string dir) => File.ReadAllLines(Path.Combine(dir, "log.csv")).Skip(1)
            .Select(l => string.Join(',', l.Split(',').Take(3))).ToArray();
        Assert.Equal(TrainColumns(runOff.Directory), TrainColumns(runOn.Directory));

        Assert.Contains("\"precise_bn\": true", File.ReadAllText(Path.Combine(runOn.Directory, "run.json")));
        Assert.DoesNotContain("precise_bn", File.ReadAllText(Path.Combine(runOff.Directory, "run.json")));
        var timings = Csv.Read(Path.Combine(runOn.Directory, "timings.csv"));
        int precise = timings.Require("precise_bn_seconds");
        Assert.All(timings.Rows, r => Assert.True(double.Parse(r.Fields[precise], CultureInfo.InvariantCulture) > 0, string.Join(",", r.Fields)));
        Assert.All(result.Timings, t => Assert.True(t.PreciseBatchNormSeconds > 0));
        // A folder of the other setting is refused rather than silently reused.
        Assert.Throws<TrainingException>(() => Trainer.Train(Run(runOn.Directory, false)));
    }

    [Theory]
    [InlineData(4)]    // after epoch 0's last batch: before its precise pass, validation and commit
    [InlineData(6)]    // in the middle of epoch 1
    public void A_run_with_precise_batchnorm_stopped_and_resumed_gives_the_same_numbers(int stopAfterBatches)
    {
        var whole = folders.Create("whole");
        Trainer.Train(Run(whole, true, epochs: 3));
        var parted = folders.Create("parted");
        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(Run(parted, true, epochs: 3), new CancelAt(cts, stopAfterBatches), cts.Token));
        Trainer.Train(Run(parted, true, epochs: 3));
        foreach (var f in new[] { "log.csv", "predictions_valid.csv", "predictions_test.csv" })
            Assert.Equal(File.ReadAllText(Path.Combine(whole, f)), File.ReadAllText(Path.Combine(parted, f)));
    }
}
