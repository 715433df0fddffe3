using PneuKnow.Models;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

/// <summary>
/// Random initialisation: the project's truncated normal against scipy's <c>truncnorm</c>, and every layer of every
/// backbone, over several seeds, against the initialisation rule of the reference it follows (torchvision for the
/// ResNets, timm for EfficientNet and ConvNeXt). The rules are written out below from those libraries' code, not
/// taken from the implementation under test.
/// </summary>
public class InitialisationTests
{
    public InitialisationTests() => TorchRuntime.Initialize("cpu");

    // Sampling tolerances: 6 standard errors per check. With a few thousand checks in this class the chance that a
    // correct initialisation fails one is about 1e-5; a wrong scale, distribution or constant fails by far more.
    const double Z = 6;

    // From Fixtures/Models/truncated_normal_reference.py (scipy.stats.truncnorm): mean, std, a, b, tensor type, then the
    // truncated distribution's mean, std, and its CDF at five points.
    public static TheoryData<double, double, double, double, string, double, double, double[], double[]> TruncatedCases => new()
    {
        { 0, 1, -1, 2, "float32", 0.22963717909132902, 0.7209455868590458, new[] { -0.5, 0, 0.5, 1, 1.5 },
            new[] { 0.18309708152134457, 0.41698875142898595, 0.6508804213366272, 0.8339775028579717, 0.94617962473645 } },
        { 0.5, 2, -1, 3, "float32", 0.8549027639677395, 1.0739496450241752, new[] { -0.5, 0, 0.5, 1, 1.5 },
            new[] { 0.12267093062695071, 0.26158505085396483, 0.40941033815928957, 0.5572356254646142, 0.6961497456916282 } },
        { 0, 1, 1, 3, "float64", 1.5100495132439846, 0.41647677597210686, new[] { 1.1, 1.25, 1.5, 2, 2.5 },
            new[] { 0.14614373969386, 0.33695915794727266, 0.5838838235176705, 0.863957372626416, 0.9691061549281211 } },
    };

    [Theory]
    [MemberData(nameof(TruncatedCases))]
    public void The_truncated_normal_has_scipys_moments_and_cdf(double mean, double std, double a, double b, string type,
        double expectedMean, double expectedStd, double[] at, double[] cdf)
    {
        const int n = 1_000_000;
        using var w = empty(n, type == "float64" ? ScalarType.Float64 : ScalarType.Float32);
        WeightInit.TruncatedNormal(w, mean, std, a, b, new Generator(11));
        using var d = w.to(ScalarType.Float64);
        Assert.True(d.isfinite().all().item<bool>());
        Assert.True(d.min().item<double>() >= a && d.max().item<double>() <= b, $"values outside [{a}, {b}]");
        Assert.InRange(d.mean().item<double>(), expectedMean - Z * expectedStd / Math.Sqrt(n), expectedMean + Z * expectedStd / Math.Sqrt(n));
        Assert.InRange(d.std(unbiased: false).item<double>(), expectedStd * (1 - Z / Math.Sqrt(2.0 * n)), expectedStd * (1 + Z / Math.Sqrt(2.0 * n)));
        for (int i = 0; i < at.Length; i++)
        {
            double share = d.le(at[i]).to(ScalarType.Float64).mean().item<double>();
            double se = Math.Sqrt(cdf[i] * (1 - cdf[i]) / n);
            Assert.True(Math.Abs(share - cdf[i]) <= Z * se, $"CDF at {at[i]}: {share}, scipy {cdf[i]} (±{Z * se:g3})");
        }
    }

    [Fact]
    public void The_truncated_normal_is_fixed_by_its_generator_and_leaves_the_global_one_alone()
    {
        using var a = empty(1000);
        using var b = empty(1000);
        manual_seed(5);
        using var before = rand(4);
        manual_seed(5);
        WeightInit.TruncatedNormal(a, 0, 0.02, generator: new Generator(3));
        using var after = rand(4);
        Assert.True(before.equal(after).all().item<bool>(), "a draw with its own generator moved torch's global generator");
        WeightInit.TruncatedNormal(b, 0, 0.02, generator: new Generator(3));
        Assert.True(a.equal(b).all().item<bool>());
        WeightInit.TruncatedNormal(b, 0, 0.02, generator: new Generator(4));
        Assert.False(a.equal(b).all().item<bool>());
    }

    [Fact]
    public void Bad_truncated_normal_arguments_name_what_was_expected()
    {
        using var w = empty(10);
        Assert.Contains("positive finite std, found 0", Assert.Throws<ArgumentException>(() => WeightInit.TruncatedNormal(w, 0, 0)).Message);
        Assert.Contains("a < b, found a = 2, b = -2", Assert.Throws<ArgumentException>(() => WeightInit.TruncatedNormal(w, 0, 1, 2, -2)).Message);
        Assert.Contains("no probability mass", Assert.Throws<ArgumentException>(() => WeightInit.TruncatedNormal(w, 0, 1, 40, 41)).Message);
    }

    /// <summary>What a reference initialisation draws for one tensor.</summary>
    abstract record Rule;
    sealed record Constant(double Value) : Rule;
    sealed record Normal(double Std) : Rule;
    /// <summary>Truncated N(0, Std²) on [A, B]; every use here truncates beyond 6 std, where its moments are the normal's to 1e-8.</summary>
    sealed record TruncatedNormal(double Std, double A, double B) : Rule;
    sealed record Uniform(double Bound) : Rule;
    sealed record NotRandom : Rule;

    /// <summary>The reference rule for one state-dict entry of <paramref name="arch"/>.</summary>
    static Rule Reference(string arch, string key, long[] shape, IReadOnlyDictionary<string, long[]> shapes)
    {
        // Buffers: BatchNorm starts with zero mean, unit variance, no batches seen (torch).
        if (key.EndsWith(".running_mean", StringComparison.Ordinal) || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) return new Constant(0);
        if (key.EndsWith(".running_var", StringComparison.Ordinal)) return new Constant(1);
        if (key == CntkResNet18.MeanImageKey) return new NotRandom();
        bool weight = key.EndsWith(".weight", StringComparison.Ordinal);
        switch (arch)
        {
            case "resnet18" or "resnet50" or "cntk_resnet18":
                // torchvision resnet.py: kaiming_normal_(mode="fan_out", nonlinearity="relu") for Conv2d, BatchNorm 1/0,
                // and fc keeps nn.Linear.reset_parameters: kaiming_uniform_(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in).
                if (key.StartsWith("fc.", StringComparison.Ordinal)) return new Uniform(1 / Math.Sqrt(shapes["fc.weight"][1]));
                if (weight && shape.Length == 4) return new Normal(Math.Sqrt(2.0 / (shape[0] * shape[2] * shape[3])));
                return new Constant(weight ? 1 : 0);
            case "efficientnet_b0" or "efficientnet_b1":
                // timm _init_weight_goog (fix_group_fanout): Conv2d N(0, 2/fan_out), fan_out = kh·kw·out/groups (a
                // depthwise conv has groups = out); conv biases 0; Linear U(±1/√out_features), bias 0; BatchNorm 1/0.
                if (key == "classifier.weight") return new Uniform(1 / Math.Sqrt(shape[0]));
                if (weight && shape.Length == 4)
                {
                    long groups = key.Contains("conv_dw", StringComparison.Ordinal) ? shape[0] : 1;
                    return new Normal(Math.Sqrt(2.0 / (shape[2] * shape[3] * shape[0] / groups)));
                }
                return new Constant(weight ? 1 : 0);
            case "convnext_tiny" or "convnext_small":
                // timm convnext _init_weights (torchvision identical): Conv2d and Linear trunc_normal_(std=.02) with
                // the default bounds a = -2, b = 2, biases 0, head_init_scale 1; norms 1/0; layer scale gamma = 1e-6.
                if (key.EndsWith(".gamma", StringComparison.Ordinal)) return new Constant(1e-6);
                if (weight && shape.Length >= 2) return new TruncatedNormal(0.02, -2, 2);
                return new Constant(weight ? 1 : 0);
            default:
                throw new ArgumentException($"no reference rule for {arch}");
        }
    }

    static void Check(string where, Tensor value, Rule rule)
    {
        using var scope = NewDisposeScope();
        var d = value.detach().to(ScalarType.Float64).flatten();
        long n = d.numel();
        Assert.True(d.isfinite().all().item<bool>(), $"{where}: non-finite initial values");
        if (rule is NotRandom) return;
        if (rule is Constant c)
        {
            double expected = (float)c.Value;
            Assert.True(d.eq(expected).all().item<bool>(), $"{where}: expected every value {c.Value}, found {d.min().item<double>():g6}..{d.max().item<double>():g6}");
            return;
        }
        double mean = d.mean().item<double>(), std = d.std(unbiased: false).item<double>();
        double min = d.min().item<double>(), max = d.max().item<double>();
        var (sigma, low, high) = rule switch
        {
            // A normal sample of this size stays within 7.5 std (probability of a value beyond: 6e-14 each).
            Normal r => (r.Std, -7.5 * r.Std, 7.5 * r.Std),
            TruncatedNormal r => (r.Std, Math.Max(r.A, -7.5 * r.Std), Math.Min(r.B, 7.5 * r.Std)),
            Uniform r => (r.Bound / Math.Sqrt(3), -r.Bound, r.Bound),
            _ => throw new ArgumentException(rule.ToString()),
        };
        string stats = $"{where} ({n} values, rule {rule}): mean {mean:g4}, std {std:g4}, range [{min:g4}, {max:g4}]";
        Assert.True(min >= low && max <= high, $"{stats}: expected values in [{low:g4}, {high:g4}]");
        Assert.True(Math.Abs(mean) <= Z * sigma / Math.Sqrt(n), $"{stats}: expected mean 0 ± {Z * sigma / Math.Sqrt(n):g3}");
        // The sample std's standard error is σ/√(2n) for a normal, less for a uniform; below 20 values it says little.
        if (n >= 20)
            Assert.True(Math.Abs(std / sigma - 1) <= Z / Math.Sqrt(2.0 * n), $"{stats}: expected std {sigma:g4} ± {Z / Math.Sqrt(2.0 * n):P1}");
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("efficientnet_b0")]
    [InlineData("efficientnet_b1")]
    [InlineData("convnext_tiny")]
    [InlineData("convnext_small")]
    [InlineData("cntk_resnet18")]
    public void Every_layer_starts_as_its_reference_initialises_it(string arch)
    {
        foreach (long seed in new long[] { 1, 2, 3 })
        {
            manual_seed(seed);
            using var model = BackboneZoo.Create(new BackboneOptions(arch, 3, Dropout: 0));
            var state = model.state_dict();
            var shapes = state.ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            foreach (var (key, value) in state)
                Check($"{arch} seed {seed} {key}", value, Reference(arch, key, value.shape, shapes));

            // 14 of 15 convnext_small inits gave NaN features with TorchSharp's trunc_normal_.
            model.eval();
            using var _ = no_grad();
            using var x = randn(new long[] { 2, 3, 64, 64 }, generator: new Generator((ulong)seed));
            using var features = model.Features(model.Normalize(x.sigmoid()));
            Assert.True(features.isfinite().all().item<bool>(), $"{arch} seed {seed}: non-finite features");
            Assert.True(features.std().item<float>() > 0, $"{arch} seed {seed}: constant features");
        }
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("efficientnet_b0")]
    [InlineData("convnext_tiny")]
    public void The_run_seed_fixes_the_initial_weights(string arch)
    {
        Dictionary<string, Tensor> Build(long seed)
        {
            manual_seed(seed);
            using var model = BackboneZoo.Create(new BackboneOptions(arch, 3));
            return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        }
        var a = Build(7);
        var b = Build(7);
        var c = Build(8);
        Assert.All(a, kv => Assert.True(kv.Value.equal(b[kv.Key]).all().item<bool>(), $"{arch} {kv.Key} differs between two builds with seed 7"));
        Assert.All(a.Where(kv => kv.Value.dim() >= 2), kv => Assert.False(kv.Value.equal(c[kv.Key]).all().item<bool>(), $"{arch} {kv.Key} is the same with seeds 7 and 8"));
        foreach (var t in a.Values.Concat(b.Values).Concat(c.Values)) t.Dispose();
    }
}
