using PneuKnow.Distillation;
using PneuKnow.Runtime;
using PneuKnow.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Distillation;

public class DistillationLossTests
{
    public DistillationLossTests() => TorchRuntime.Initialize("cpu");

    [Theory]
    [InlineData(0, 40, 0.5)]
    [InlineData(10, 40, 0.375)]
    [InlineData(20, 40, 0.25)]
    [InlineData(39, 40, 0.0125)]
    [InlineData(40, 40, 0.0)]
    [InlineData(59, 40, 0.0)]
    [InlineData(0, 0, 0.0)]
    [InlineData(1, 4, 0.375)]
    public void Consistency_weight_follows_the_papers_linear_decay(int epoch, int kdEpochs, double expected) =>
        Assert.Equal(expected, ConsistencyWeight.At(epoch, kdEpochs), 15);

    [Fact]
    public void Consistency_weight_rejects_negative_epochs_and_kd_epochs()
    {
        Assert.Contains("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyWeight.At(-1, 40)).Message);
        Assert.Contains("kd_epochs", Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencyWeight.At(0, -2)).Message);
    }

    static (float[] T, float[] S) Pair()
    {
        var rng = new Random(3);
        var t = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var s = Enumerable.Range(0, 2 * 3 * 2 * 2).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return (t, s);
    }

    [Fact]
    public void Consistency_is_the_mean_squared_error_over_all_elements_and_only_the_student_gets_gradient()
    {
        var (t, s) = Pair();
        double expected = t.Zip(s, (a, b) => (double)(a - b) * (a - b)).Sum() / t.Length;
        using var teacher = tensor(t, [2, 3, 2, 2]).requires_grad_(true);
        using var student = tensor(s, [2, 3, 2, 2]).requires_grad_(true);
        using var loss = DistillationLoss.Consistency(teacher, student);
        Assert.Equal(expected, loss.item<float>(), 5);
        loss.backward();
        Assert.True(teacher.grad is null || teacher.grad.abs().sum().item<float>() == 0);
        // d/ds mean((s - t)^2) = 2 (s - t) / n
        var grad = student.grad!.data<float>().ToArray();
        for (int i = 0; i < s.Length; i++) Assert.Equal(2.0 * (s[i] - t[i]) / s.Length, grad[i], 5);
    }

    [Fact]
    public void Normalised_consistency_compares_unit_norm_maps_and_ignores_scale()
    {
        var (t, s) = Pair();
        double[] Unit(float[] v, int n, int i) { var x = v.Skip(i * n).Take(n).Select(f => (double)f).ToArray(); var norm = Math.Sqrt(x.Sum(a => a * a)); return x.Select(a => a / norm).ToArray(); }
        int per = 12;
        double expected = 0;
        for (int i = 0; i < 2; i++)
        {
            var a = Unit(t, per, i);
            var b = Unit(s, per, i);
            expected += a.Zip(b, (p, q) => (p - q) * (p - q)).Sum();
        }
        expected /= t.Length;
        using var teacher = tensor(t, [2, 3, 2, 2]);
        using var student = tensor(s, [2, 3, 2, 2]);
        using var loss = DistillationLoss.Consistency(teacher, student, normalized: true);
        Assert.Equal(expected, loss.item<float>(), 5);
        using var scaled = teacher * 7.5f;
        using var loss2 = DistillationLoss.Consistency(scaled, student, normalized: true);
        Assert.Equal(loss.item<float>(), loss2.item<float>(), 5);
    }

    [Fact]
    public void Consistency_names_both_shapes_when_they_differ()
    {
        using var a = zeros(1, 4, 2, 2);
        using var b = zeros(1, 8, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => DistillationLoss.Consistency(a, b));
        Assert.Contains("[1, 4, 2, 2]", e.Message);
        Assert.Contains("[1, 8, 2, 2]", e.Message);
        Assert.Contains("FeatureAdapter", e.Message);
    }

    [Fact]
    public void Combined_loss_weights_consistency_by_a_and_cross_entropy_by_one_minus_a()
    {
        using var c = tensor(6.0f);
        using var ce = tensor(1.2f);
        using var total = DistillationLoss.Combined(c, ce, 0.375);
        Assert.Equal(0.375 * 6.0 + 0.625 * 1.2, total.item<float>(), 5);
    }

    [Fact]
    public void Logit_distillation_matches_a_hand_computed_temperature_scaled_kl_divergence()
    {
        double[][] s = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]];
        double[][] t = [[2.0, 0.0, 1.0], [1.0, 1.0, 1.0]];
        const double T = 2.0;
        double[] Softmax(double[] z) { var e = z.Select(v => Math.Exp(v / T)).ToArray(); var sum = e.Sum(); return e.Select(v => v / sum).ToArray(); }
        double expected = 0;
        for (int n = 0; n < 2; n++)
        {
            var p = Softmax(s[n]);
            var q = Softmax(t[n]);
            expected += q.Zip(p, (qi, pi) => qi * Math.Log(qi / pi)).Sum();
        }
        expected = expected / 2 * T * T;
        using var st = tensor(s.SelectMany(r => r.Select(v => (float)v)).ToArray(), [2, 3]);
        using var te = tensor(t.SelectMany(r => r.Select(v => (float)v)).ToArray(), [2, 3]);
        using var loss = LogitDistillation.Loss(st, te, T);
        Assert.Equal(expected, loss.item<float>(), 5);
        using var same = LogitDistillation.Loss(te, te, T);
        Assert.Equal(0.0, same.item<float>(), 6);
        Assert.Contains("kd_temperature", Assert.Throws<ArgumentException>(() => LogitDistillation.Loss(st, te, 0)).Message);
    }

    [Fact]
    public void Feature_adapter_is_absent_for_matching_maps_and_maps_heterogeneous_students_onto_the_teacher()
    {
        manual_seed(1);
        var teacher = new TinyBackbone(channels: 8);
        var same = new TinyBackbone(channels: 8);
        Assert.Null(FeatureAdapter.Between(teacher, same, 16, CPU));

        var other = new TinyBackbone(channels: 5, stride2: 1);   // 5 channels at 8×8 vs the teacher's 8 at 4×4
        var adapter = FeatureAdapter.Between(teacher, other, 16, CPU);
        Assert.NotNull(adapter);
        Assert.Equal((5, 8, 4L, 4L), (adapter!.InChannels, adapter.OutChannels, adapter.Height, adapter.Width));

        using var x = rand(2, 3, 16, 16);
        using var target = teacher.Features(x).detach();
        using var mapped = adapter.forward(other.Features(x));
        Assert.Equal(target.shape, mapped.shape);
        using var loss = DistillationLoss.Consistency(target, mapped);
        loss.backward();
        Assert.All(adapter.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }
}
