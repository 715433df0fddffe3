using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Runtime;

/// <summary>
/// <see cref="Autocast"/> drives libtorch's own autocast: what it lowers, what it keeps in float32, and that a scope
/// leaves the thread's state as it found it. The expectations are libtorch's documented lists (convolutions and linear
/// layers lowered; losses in float32; BatchNorm in its input's type with float32 statistics) and results computed
/// independently without autocast.
/// </summary>
public class AutocastTests
{
    public AutocastTests() => TorchRuntime.Initialize("cpu");

    /// <summary>Same shape, type and values.</summary>
    internal static bool Identical(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static (bool Enabled, ScalarType Dtype, bool Cache) CpuState() =>
        (Autocast.IsEnabled(DeviceType.CPU), Autocast.Dtype(DeviceType.CPU), Autocast.IsCacheEnabled);

    [Fact]
    public void Convolution_and_linear_compute_in_bfloat16_while_parameters_and_gradients_stay_float32()
    {
        using var d = NewDisposeScope();
        manual_seed(3);
        var conv = nn.Conv2d(3, 8, 3, padding: 1);
        var fc = nn.Linear(8, 4);
        var x = randn(2, 3, 10, 10);
        Tensor y, o;
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            y = conv.forward(x);
            o = fc.forward(y.mean([2, 3]));
        }
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.Equal(ScalarType.BFloat16, o.dtype);
        // The same convolution done by hand in bfloat16 outside any scope: autocast casts the input, weight and bias and
        // calls the same kernel, so the two agree exactly; the float32 convolution does not.
        var byHand = nn.functional.conv2d(x.to(ScalarType.BFloat16), conv.weight!.to(ScalarType.BFloat16), conv.bias!.to(ScalarType.BFloat16), padding: [1, 1]);
        Assert.True(Identical(y, byHand), "autocast's convolution differs from the bfloat16 convolution done by hand");
        Assert.False(Identical(y.to(ScalarType.Float32), conv.forward(x)), "the bfloat16 result equals the float32 one: nothing was lowered");

        nn.functional.cross_entropy(o.to(ScalarType.Float32), tensor(new long[] { 1, 3 })).backward();
        foreach (var p in conv.parameters().Concat(fc.parameters()))
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        }
    }

    [Fact]
    public void Losses_compute_in_float32_inside_the_scope_and_softmax_keeps_its_input_type()
    {
        using var d = NewDisposeScope();
        var logits = randn(4, 3).to(ScalarType.BFloat16);
        var labels = tensor(new long[] { 0, 1, 2, 0 });
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            // libtorch's CPU autocast lists the losses as float32 operators: their bfloat16 inputs are widened.
            Assert.Equal(ScalarType.Float32, nn.functional.cross_entropy(logits, labels).dtype);
            Assert.Equal(ScalarType.Float32, nn.functional.mse_loss(logits, zeros_like(logits)).dtype);
            // softmax is on neither list: it stays in bfloat16, which is why the trainer widens the logits itself.
            Assert.Equal(ScalarType.BFloat16, nn.functional.softmax(logits, 1).dtype);
        }
    }

    [Fact]
    public void Batch_norm_keeps_float32_statistics_and_runs_in_the_type_of_its_input()
    {
        using var d = NewDisposeScope();
        manual_seed(5);
        var conv = nn.Conv2d(3, 4, 3);
        var bn = nn.BatchNorm2d(4);
        bn.train();
        var x = randn(4, 3, 9, 9) * 3 + 1;
        Tensor y, z, z32;
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            y = conv.forward(x);
            z = bn.forward(y);
        }
        Assert.Equal(ScalarType.BFloat16, z.dtype);
        Assert.Equal(ScalarType.Float32, bn.running_mean!.dtype);
        Assert.Equal(ScalarType.Float32, bn.running_var!.dtype);
        Assert.Equal(ScalarType.Float32, bn.weight!.dtype);
        // The statistics are those of the bfloat16 activations computed in float32: momentum 0.1 from (0, 1), unbiased variance.
        var y32 = y.to(ScalarType.Float32);
        var expectedMean = y32.mean([0, 2, 3]) * 0.1;
        var expectedVar = y32.var([0, 2, 3], unbiased: true) * 0.1 + 0.9;
        Assert.True(bn.running_mean.allclose(expectedMean, rtol: 1e-5, atol: 1e-6), "running mean is not the float32 mean of the batch");
        Assert.True(bn.running_var.allclose(expectedVar, rtol: 1e-5, atol: 1e-6), "running variance is not the float32 variance of the batch");

        // A float32 input to BatchNorm inside the scope stays float32: BatchNorm is not on the lower-precision list.
        var bn2 = nn.BatchNorm2d(4);
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16)) z32 = bn2.forward(y32);
        Assert.Equal(ScalarType.Float32, z32.dtype);
    }

    [Fact]
    public void Scopes_nest_and_each_restores_the_state_it_found()
    {
        var before = CpuState();
        Assert.False(before.Enabled);
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.Equal((true, ScalarType.BFloat16, true), CpuState());
            using (new Autocast(DeviceType.CPU, ScalarType.Float16, cacheEnabled: false))
                Assert.Equal((true, ScalarType.Float16, false), CpuState());
            Assert.Equal((true, ScalarType.BFloat16, true), CpuState());
            using (new Autocast(DeviceType.CPU, ScalarType.BFloat16, enabled: false))
            {
                Assert.False(Autocast.IsEnabled(DeviceType.CPU));
                using var s = NewDisposeScope();
                Assert.Equal(ScalarType.Float32, nn.functional.linear(randn(2, 3), randn(4, 3)).dtype);
            }
            Assert.True(Autocast.IsEnabled(DeviceType.CPU));
        }
        Assert.Equal(before, CpuState());
    }

    [Fact]
    public void An_exception_inside_the_scope_still_restores_the_state()
    {
        var before = CpuState();
        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var scope = new Autocast(DeviceType.CPU, ScalarType.Float16, cacheEnabled: false);
            throw new InvalidOperationException("inside");
        }));
        Assert.Equal(before, CpuState());
        using var d = NewDisposeScope();
        Assert.Equal(ScalarType.Float32, nn.functional.linear(randn(2, 3), randn(4, 3)).dtype);
    }

    [Fact]
    public void The_state_is_per_thread()
    {
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            bool elsewhere = true;
            var thread = new Thread(() => elsewhere = Autocast.IsEnabled(DeviceType.CPU));
            thread.Start();
            thread.Join();
            Assert.False(elsewhere);
            Assert.True(Autocast.IsEnabled(DeviceType.CPU));
        }
    }

    [Fact]
    public void Closing_the_outermost_scope_drops_the_cached_weight_copies()
    {
        // Inside a scope the bfloat16 copy of a convolution's weight is cached by the weight's identity (libtorch caches the
        // casts of float32 leaves that require gradients). Were it kept after the scope, the forward pass after an optimizer
        // step (an in-place change of the weight) would still use the old weight.
        using var d = NewDisposeScope();
        manual_seed(9);
        var conv = nn.Conv2d(3, 4, 3);
        var x = randn(2, 3, 8, 8);
        Tensor inside, after;
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            var first = conv.forward(x);
            using (no_grad()) conv.weight!.add_(1.0);
            // Within one scope the cache is live: the changed weight is not seen (libtorch's documented behaviour, and
            // the reason a scope must close before the optimizer step).
            inside = conv.forward(x);
            Assert.True(Identical(first, inside), "libtorch did not cache the weight cast inside a scope; this test no longer tests the cache");
        }
        using (new Autocast(DeviceType.CPU, ScalarType.BFloat16)) after = conv.forward(x);
        var expected = nn.functional.conv2d(x.to(ScalarType.BFloat16), conv.weight!.to(ScalarType.BFloat16), conv.bias!.to(ScalarType.BFloat16));
        Assert.True(Identical(after, expected), "the second scope used a stale bfloat16 copy of the weight");
    }

    [Fact]
    public void Float16_autocast_runs_on_the_cpu()
    {
        // libtorch 2.10 lowers to float16 on the CPU too (slowly where the CPU lacks float16 arithmetic); fp16-mixed relies on it in tests.
        using var d = NewDisposeScope();
        var conv = nn.Conv2d(3, 4, 3);
        using (new Autocast(DeviceType.CPU, ScalarType.Float16)) Assert.Equal(ScalarType.Float16, conv.forward(randn(1, 3, 6, 6)).dtype);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_the_expected_values()
    {
        var e = Assert.Throws<ArgumentException>(() => new Autocast(DeviceType.CPU, ScalarType.Float32));
        Assert.Contains("expected the dtype BFloat16 or Float16, found Float32", e.Message);
        Assert.Null(Autocast.Unavailable);
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
    }
}
