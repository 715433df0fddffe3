using System.Text.Json;
using PneuKnow.Distillation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static PneuKnow.Tests.Runtime.AutocastTests;

namespace PneuKnow.Tests.Training;

/// <summary>
/// Mixed precision with float32 master weights: the fp16 loss scaler's skipped steps and scale changes (on the CPU, no GPU
/// needed), and the trainer's bf16-mixed and fp16-mixed runs against float32.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public class MixedPrecisionTests : IDisposable
{
    readonly TempFolders folders = new();
    string Dir(string name) => folders.Create(name);
    public void Dispose() => folders.Dispose();

    public MixedPrecisionTests() => TorchRuntime.Initialize("cpu");

    static long AdamSteps(Adam adam) => adam.state_dict().State.Cast<Adam.State>().Select(s => s.step).Distinct().Single();

    static List<Tensor> Snapshot(nn.Module m) => m.parameters().Select(p => p.detach().clone()).ToList();

    static bool Same(IReadOnlyList<Tensor> a, nn.Module m) => a.Zip(m.parameters()).All(t => Identical(t.First, t.Second));

    /// <summary>One fp16-mixed step of a tiny network: forward under float16 autocast, scaled backward, scaler step.</summary>
    static bool Fp16Step(TinyBackbone model, Adam adam, DynamicLossScaler scaler, Tensor x, Tensor y)
    {
        using var d = NewDisposeScope();
        adam.zero_grad();
        Tensor loss;
        using (new Autocast(DeviceType.CPU, ScalarType.Float16)) loss = nn.functional.cross_entropy(model.Head(model.Features(x)).to(ScalarType.Float32), y);
        scaler.ScaleLoss(loss).backward();
        return scaler.Step(adam, model.parameters());
    }

    [Fact]
    public void An_overflowing_float16_backward_skips_the_step_and_halves_the_scale()
    {
        using var d = NewDisposeScope();
        var model = TrainingSetup.Model(21);
        model.train();
        using var adam = optim.Adam(model.parameters(), lr: 1e-2);
        manual_seed(22);
        var x = rand(6, 3, 16, 16);
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2 });

        // A first good step at a modest scale, so that Adam has a state whose step count can be watched.
        var scaler = new DynamicLossScaler(initialScale: 1024, growthInterval: 3);
        Assert.True(Fp16Step(model, adam, scaler, x, y));
        Assert.Equal(1, AdamSteps(adam));
        Assert.Equal((1024.0, 1, 0L), (scaler.Scale, scaler.GoodSteps, scaler.SkippedSteps));

        // 2^40: the scaled gradient of the logits already exceeds float16's 65504, so the float16 backward overflows.
        scaler.Restore(new LossScaleState(Math.Pow(2, 40), 1, 0));
        var before = Snapshot(model);
        var moments = adam.state_dict().State.Cast<Adam.State>().Select(s => s.exp_avg.clone()).ToList();
        Assert.False(Fp16Step(model, adam, scaler, x, y));
        Assert.True(model.parameters().Any(p => !p.grad!.isfinite().all().item<bool>()), "the test meant to provoke an overflow, but every gradient is finite");
        Assert.True(Same(before, model), "a skipped step changed the weights");
        Assert.Equal(1, AdamSteps(adam));
        Assert.True(adam.state_dict().State.Cast<Adam.State>().Zip(moments).All(t => Identical(t.First.exp_avg, t.Second)), "a skipped step changed Adam's moments");
        Assert.Equal((Math.Pow(2, 39), 0, 1L), (scaler.Scale, scaler.GoodSteps, scaler.SkippedSteps));

        // Back at a safe scale the steps go through again, and after growthInterval (3) good ones the scale doubles.
        scaler.Restore(new LossScaleState(256, 0, 1));
        for (int i = 0; i < 3; i++) Assert.True(Fp16Step(model, adam, scaler, x, y));
        Assert.False(Same(before, model));
        Assert.Equal(4, AdamSteps(adam));
        Assert.Equal((512.0, 0, 1L), (scaler.Scale, scaler.GoodSteps, scaler.SkippedSteps));
    }

    [Fact]
    public void An_injected_infinite_gradient_skips_the_step()
    {
        using var d = NewDisposeScope();
        var model = TrainingSetup.Model(23);
        using var adam = optim.Adam(model.parameters(), lr: 1e-2);
        var scaler = new DynamicLossScaler();
        var before = Snapshot(model);
        var loss = model.Head(model.Features(rand(2, 3, 16, 16))).sum();
        scaler.ScaleLoss(loss).backward();
        using (no_grad()) model.parameters().First().grad![0].fill_(float.PositiveInfinity);
        Assert.False(scaler.Step(adam, model.parameters()));
        Assert.True(Same(before, model));
        Assert.DoesNotContain(adam.state_dict().State.Cast<Adam.State>(), s => s.step > 0);
        Assert.Equal(32768.0, scaler.Scale);
    }

    [Fact]
    public void Unscaled_gradients_equal_those_of_the_unscaled_loss()
    {
        // In float32 a power-of-two scale is exact both ways: the step must see exactly the gradient of the loss itself.
        using var d = NewDisposeScope();
        var a = TrainingSetup.Model(24);
        var b = TrainingSetup.Model(24);
        a.eval(); b.eval();  // no dropout: the two passes must compute the same function
        var x = rand(3, 3, 16, 16);
        using var adamA = optim.Adam(a.parameters(), lr: 1e-3);
        using var adamB = optim.Adam(b.parameters(), lr: 1e-3);
        a.Head(a.Features(x)).pow(2).mean().backward();
        var scaler = new DynamicLossScaler(initialScale: 4096);
        scaler.ScaleLoss(b.Head(b.Features(x)).pow(2).mean()).backward();
        Assert.True(scaler.Step(adamB, b.parameters()));
        Assert.All(a.parameters().Zip(b.parameters()), t => Assert.True(Identical(t.First.grad!, t.Second.grad!)));
    }

    [Fact]
    public void Bad_scaler_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicLossScaler(initialScale: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicLossScaler(backoffFactor: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicLossScaler(growthInterval: 0));
        var e = Assert.Throws<ArgumentException>(() => new DynamicLossScaler().Restore(new LossScaleState(double.NaN, 0, 0)));
        Assert.Contains("found scale NaN", e.Message);
    }

    [Fact]
    public void A_bf16_mixed_run_trains_with_float32_weights_and_records_its_precision()
    {
        var data = TrainingSetup.Data(test: true);
        var fp32 = Trainer.Train(new TrainingRun(TrainingSetup.Model(25), new Baseline(), data,
            TrainingSetup.Options(3, seed: 25) with { LearningRate = 5e-3 }, Dir("fp32")));
        var model = TrainingSetup.Model(25);
        var dir = Dir("bf16-mixed");
        var mixed = Trainer.Train(new TrainingRun(model, new Baseline(), data,
            TrainingSetup.Options(3, seed: 25) with { LearningRate = 5e-3, Precision = Precision.BFloat16Mixed }, dir));

        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("bf16-mixed", run.RootElement.GetProperty("precision").GetString());
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var reloaded = TrainingSetup.Model(99);
        reloaded.load(Path.Combine(dir, "best.pt"));
        Assert.All(reloaded.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.True(mixed.Epochs[^1].TrainLoss < mixed.Epochs[0].TrainLoss, "bf16-mixed training did not lower the loss");
        // Lowered arithmetic changes the numbers (so autocast was on), but not by much over three short epochs.
        Assert.NotEqual(fp32.Epochs[0].TrainLoss, mixed.Epochs[0].TrainLoss);
        Assert.InRange(mixed.Epochs[0].TrainLoss, fp32.Epochs[0].TrainLoss * 0.97, fp32.Epochs[0].TrainLoss * 1.03);
    }

    [Fact]
    public void An_fp16_mixed_run_resumes_to_the_same_numbers_with_its_loss_scale()
    {
        TrainingRun Run(string dir) => new(TrainingSetup.Model(26), new Baseline(), TrainingSetup.Data(),
            TrainingSetup.Options(4, seed: 26) with { LearningRate = 5e-3, Precision = Precision.Float16Mixed }, dir);
        var whole = Dir("whole");
        var w = Trainer.Train(Run(whole));
        Assert.All(w.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss) && double.IsFinite(e.ValidLoss)));

        var parted = Dir("parted");
        using (var cts = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(Run(parted), new CancelAt(cts, 9), cts.Token));
        using (var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(parted, "checkpoint", "state.json"))))
            Assert.True(state.RootElement.GetProperty("loss_scale").GetProperty("scale").GetDouble() > 0);
        Trainer.Train(Run(parted));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, "log.csv")), File.ReadAllText(Path.Combine(parted, "log.csv")));
    }

    [Fact]
    public void Bf16_mixed_resnet18_steps_give_losses_close_to_float32()
    {
        // Five Adam steps of a ResNet-18 at 64 px on the same batches from the same initial weights, once in float32 and once
        // under bfloat16 autocast. bfloat16 keeps 8 significant bits (relative rounding 2^-9 ≈ 0.2 %); convolutions
        // accumulate in float32, so the logits carry an error of about a percent, and a cross-entropy near ln 5 ≈ 1.6
        // moves by about a hundredth (measured: at most 1.0 %). 3 % relative leaves room for that and is tight
        // enough to catch a wrong scope: with the weight-cast cache kept across steps (stale bfloat16 weights) the fifth
        // loss was 5.1 % off.
        using var d = NewDisposeScope();
        manual_seed(31);
        var images = Enumerable.Range(0, 5).Select(_ => rand(4, 3, 64, 64)).ToArray();
        var labels = Enumerable.Range(0, 5).Select(_ => randint(0, 5, 4, dtype: ScalarType.Int64)).ToArray();
        double[] Losses(Precision precision)
        {
            manual_seed(32);
            using var model = BackboneZoo.Create(new BackboneOptions("resnet18", 5, 0));
            model.train();
            using var adam = optim.Adam(model.parameters(), lr: 1e-4);
            var losses = new double[images.Length];
            for (int b = 0; b < images.Length; b++)
            {
                using var s = NewDisposeScope();
                adam.zero_grad();
                Tensor loss;
                using (precision.Forward(CPU))
                    loss = nn.functional.cross_entropy(model.Head(model.Features(model.Normalize(images[b]))).to(ScalarType.Float32), labels[b]);
                loss.backward();
                adam.step();
                losses[b] = loss.item<float>();
            }
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            return losses;
        }
        var f32 = Losses(Precision.Float32);
        var bf16 = Losses(Precision.BFloat16Mixed);
        Assert.NotEqual(f32, bf16);
        for (int b = 0; b < f32.Length; b++)
            Assert.True(Math.Abs(bf16[b] - f32[b]) <= 0.03 * f32[b], $"step {b}: bf16-mixed loss {bf16[b]} vs float32 {f32[b]}");
    }
}
