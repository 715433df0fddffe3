using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using PneuKnow.Models;
using PneuKnow.Models.Onnx;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Models;

/// <summary>One conversion and one pretrained network shared by all CntkResNet18 tests.</summary>
public sealed class CntkResNet18Fixture : IDisposable
{
    public CntkResNet18Files Files { get; }
    public CachedWeights FirstConversion { get; }
    public CntkResNet18 Net { get; }
    public string CacheDirectory { get; }

    readonly Lazy<OnnxModel> model;
    readonly Lazy<IReadOnlyList<ImportedTensor>> imported;
    readonly Lazy<CntkResNet18> scratch;

    /// <summary>The decoded ResNet18.onnx (parsed once for all tests).</summary>
    public OnnxModel Model => model.Value;
    /// <summary>Time <see cref="OnnxReader.Read"/> took on ResNet18.onnx.</summary>
    public TimeSpan ParseTime { get; private set; }
    /// <summary>Its weights as the importer maps them.</summary>
    public IReadOnlyList<ImportedTensor> Imported => imported.Value;
    /// <summary>A randomly initialised network (seed 3), eval mode.</summary>
    public CntkResNet18 Scratch => scratch.Value;

    public CntkResNet18Fixture()
    {
        TorchRuntime.Initialize("cpu");
        CacheDirectory = Path.Combine(Path.GetTempPath(), $"pneuknow-cntk-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Files = CntkResNet18Files.Locate(CacheDirectory);
        FirstConversion = CntkResNet18WeightCache.Ensure(Files.ModelPath, Files.CacheDirectory);
        Net = CntkResNet18.Create(classes: 5, dropout: 0.5, pretrained: true, Files);
        Net.eval();
        model = new(() =>
        {
            var clock = Stopwatch.StartNew();
            var m = OnnxReader.Read(Files.ModelPath);
            ParseTime = clock.Elapsed;
            return m;
        });
        imported = new(() => CntkResNet18Import.Walk(Model));
        scratch = new(() =>
        {
            torch.manual_seed(3);
            var net = CntkResNet18.Create(classes: 5, dropout: 0.5, pretrained: false, Files);
            net.eval();
            return net;
        });
    }

    public void Dispose()
    {
        Net.Dispose();
        if (scratch.IsValueCreated) scratch.Value.Dispose();
        if (Directory.Exists(CacheDirectory)) Directory.Delete(CacheDirectory, recursive: true);
    }
}

public sealed class CntkResNet18Tests(CntkResNet18Fixture fixture, ITestOutputHelper output) : IClassFixture<CntkResNet18Fixture>
{
    static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Models", "CntkResNet18");

    /// <summary>A PNG fixture as 1×3×224×224 RGB in [0, 1], row-major CHW.</summary>
    static float[] LoadRgb01(string file)
    {
        using var image = Image.Load<Rgb24>(Path.Combine(FixtureDir, file));
        Assert.Equal((224, 224), (image.Width, image.Height));
        var chw = new float[3 * 224 * 224];
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++)
            {
                var p = image[x, y];
                chw[0 * 224 * 224 + y * 224 + x] = p.R / 255f;
                chw[1 * 224 * 224 + y * 224 + x] = p.G / 255f;
                chw[2 * 224 * 224 + y * 224 + x] = p.B / 255f;
            }
        return chw;
    }

    static float[] RunOnnx(string modelPath, float[] input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var session = new InferenceSession(modelPath, options);
        string name = session.InputNames.Single();
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [name], [value], session.OutputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    float[] PooledFeatures(CntkResNet18 net, float[] normalized)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(normalized, [1, 3, 224, 224]);
        var features = net.Features(x);
        Assert.Equal(new long[] { 1, 512, 7, 7 }, features.shape);
        return features.mean([2, 3]).data<float>().ToArray();
    }

    float[] Normalize(float[] rgb01)
    {
        using var scope = NewDisposeScope();
        return fixture.Net.Normalize(tensor(rgb01, [1, 3, 224, 224])).data<float>().ToArray();
    }

    /// <summary>max|a−b| / max|b|, the largest elementwise |a−b|/|b| over elements with |b| ≥ 1% of max|b|, and max|a−b|.</summary>
    static (double Relative, double Elementwise, double Absolute) Compare(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, scale = 0, elementwise = 0;
        for (int i = 0; i < expected.Length; i++) scale = Math.Max(scale, Math.Abs(expected[i]));
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - (double)expected[i]);
            maxAbs = Math.Max(maxAbs, d);
            if (Math.Abs(expected[i]) >= 0.01 * scale) elementwise = Math.Max(elementwise, d / Math.Abs(expected[i]));
        }
        return (maxAbs / scale, elementwise, maxAbs);
    }

    [Fact]
    public void Pooled_features_match_onnx_runtime_on_the_same_input()
    {
        // Preprocess with the ONNX model itself, then feed the same tensor to both networks.
        var rgb = LoadRgb01("china_224.png");
        var input = RunOnnx(fixture.Files.PreprocessPath, rgb.Select(v => v * 255f).ToArray());
        var expected = RunOnnx(fixture.Files.ModelPath, input);
        Assert.Equal(512, expected.Length);
        Assert.True(expected.Max() > 0.1f, "the reference output should not be degenerate");

        var actual = PooledFeatures(fixture.Net, input);
        var (relative, elementwise, absolute) = Compare(actual, expected);
        output.WriteLine($"512-d pooled features vs ONNX Runtime: max|a-b|/max|b| = {relative:E2}, max elementwise |a-b|/|b| (|b| >= 1% of max) = {elementwise:E2}, max|a-b| = {absolute:E2}, max|b| = {expected.Max():F3}");
        Assert.True(relative <= 1e-4, $"max relative difference {relative:E2} > 1e-4");
    }

    [Fact]
    public void Normalize_matches_ResNetPreprocess_onnx()
    {
        var rgb = LoadRgb01("flower_224.png");
        var expected = RunOnnx(fixture.Files.PreprocessPath, rgb.Select(v => v * 255f).ToArray());
        var actual = Normalize(rgb);
        var (relative, _, absolute) = Compare(actual, expected);
        output.WriteLine($"Normalize vs ResNetPreprocess.onnx: max|a-b| = {absolute:E2} (0-255 scale), relative to max|b| {relative:E2}");
        Assert.True(absolute <= 1e-4, $"max |a-b| {absolute:E2} > 1e-4 on the 0-255 scale");
    }

    [Fact]
    public void Normalize_resizes_the_mean_image_for_other_sizes_and_rejects_non_rgb_input()
    {
        using var scope = NewDisposeScope();
        // A mid-grey image: the output is 127.5 minus the (resized) mean, whose per-channel averages
        // a bilinear resize keeps close to the 224×224 mean's (103.1, 115.9, 123.2 for B, G, R).
        var grey = full(new long[] { 1, 3, 112, 160 }, 0.5f);
        var normalized = fixture.Net.Normalize(grey);
        Assert.Equal(new long[] { 1, 3, 112, 160 }, normalized.shape);
        var channelMeans = (127.5f - normalized).mean([0, 2, 3]).data<float>().ToArray();
        var meanImageMeans = fixture.Net.MeanImage.mean([0, 2, 3]).data<float>().ToArray();
        for (int c = 0; c < 3; c++) Assert.InRange(channelMeans[c], meanImageMeans[c] - 0.5f, meanImageMeans[c] + 0.5f);
        Assert.True(meanImageMeans[0] < meanImageMeans[2], "the mean image is BGR: blue's ImageNet mean is below red's");

        var e = Assert.Throws<ArgumentException>(() => fixture.Net.Normalize(zeros(1, 1, 224, 224)));
        Assert.Contains("N×3×H×W", e.Message);
        Assert.Contains("[1, 1, 224, 224]", e.Message);
    }

    [Fact]
    public void Parameter_count_equals_the_values_in_the_onnx_file()
    {
        long onnxValues = fixture.Model.Graph.Initializers.Values.Sum(t => t.ElementCount);
        output.WriteLine($"decoding ResNet18.onnx ({new FileInfo(fixture.Files.ModelPath).Length:N0} bytes): {fixture.ParseTime.TotalSeconds:F2} s");
        Assert.Equal(15_908_800, onnxValues);

        using var net = CntkResNet18.Create(classes: 1000, dropout: 0, pretrained: false, fixture.Files);
        long trainable = net.parameters().Sum(p => p.numel());
        long runningStats = net.named_buffers().Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var")).Sum(b => b.buffer.numel());
        long head = 512 * 1000 + 1000;
        output.WriteLine($"parameters without fc: {trainable - head:N0}; BatchNorm running statistics: {runningStats:N0}; ONNX initializer values: {onnxValues:N0}");
        Assert.Equal(onnxValues, trainable - head + runningStats);
        Assert.Equal(15_897_152, trainable - head);
    }

    [Fact]
    public void Conversion_is_cached_by_the_onnx_hash_and_written_atomically()
    {
        output.WriteLine($"first conversion: {fixture.FirstConversion.Elapsed.TotalSeconds:F2} s (converted: {fixture.FirstConversion.Converted}) -> {fixture.FirstConversion.Path}");
        Assert.True(fixture.FirstConversion.Converted);
        // The run-time fallback looks in the NuGet package folder under the version the library was built with.
        Assert.True(File.Exists(Path.Combine(
            Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } root ? root : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "microsoft.ml.dnnimagefeaturizer.resnet18", CntkResNet18Files.PackageVersion, "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")));
        Assert.Contains(fixture.FirstConversion.OnnxSha256[..16], Path.GetFileName(fixture.FirstConversion.Path));

        var clock = Stopwatch.StartNew();
        var again = CntkResNet18WeightCache.Ensure(fixture.Files.ModelPath, fixture.Files.CacheDirectory);
        output.WriteLine($"cache hit: {clock.Elapsed.TotalSeconds:F2} s");
        Assert.False(again.Converted);
        Assert.Equal(fixture.FirstConversion.Path, again.Path);
        Assert.Equal([Path.GetFileName(again.Path)], Directory.GetFiles(fixture.CacheDirectory).Select(Path.GetFileName));

        // The cached file holds exactly the ONNX initializers, renamed.
        var imported = fixture.Imported;
        var cached = CntkResNet18WeightCache.Load(again.Path);
        try
        {
            Assert.Equal(imported.Select(t => t.Name).Order(), cached.Keys.Order());
            var conv1 = imported.Single(t => t.Name == "conv1.weight");
            Assert.Equal(conv1.Values, cached["conv1.weight"].data<float>().ToArray());
            Assert.Equal(110, imported.Count);
        }
        finally
        {
            foreach (var t in cached.Values) t.Dispose();
        }
    }

    [Fact]
    public void Importer_maps_weights_by_walking_the_graph_not_by_initializer_ids()
    {
        var imported = fixture.Imported;
        // From the file's graph: the stem Conv reads Parameter91 and the last block's second conv Parameter10;
        // layer2.0's projection (Parameter199) precedes its main path in the file.
        Assert.Equal("Parameter91", imported.Single(t => t.Name == "conv1.weight").OnnxName);
        Assert.Equal("Parameter10", imported.Single(t => t.Name == "layer4.2.conv2.weight").OnnxName);
        Assert.Equal("Parameter199", imported.Single(t => t.Name == "layer2.0.downsample.0.weight").OnnxName);
        Assert.Equal("Constant99", imported.Single(t => t.Name == "bn1.running_var").OnnxName);
        Assert.All(imported.Where(t => t.Name.EndsWith("running_var")), t => Assert.True(t.Values.All(v => v > 0), $"{t.Name} should be positive"));
    }

    [Fact]
    public void Reader_decodes_what_the_onnx_library_decodes()
    {
        // The fixture stores tensors in raw_data (CNTK's file uses float_data); expectations come from onnx 1.12.
        string path = Path.Combine(FixtureDir, "stages_2223_width4.onnx");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "stages_2223_width4.expected.json")));
        var root = expected.RootElement;
        var model = OnnxReader.Read(path);

        Assert.Equal(root.GetProperty("producer").GetString(), model.ProducerName);
        Assert.Equal(root.GetProperty("ir_version").GetInt64(), model.IrVersion);
        Assert.Equal(root.GetProperty("opset").GetInt64(), model.OpsetImports[""]);
        var ops = model.Graph.Nodes.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(root.GetProperty("ops").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()), ops);
        Assert.Equal(root.GetProperty("first_node_pads").EnumerateArray().Select(v => v.GetInt64()), model.Graph.Nodes[0].Ints("pads", []));
        Assert.Equal(root.GetProperty("input_shape").EnumerateArray().Select(v => v.GetInt64()), model.Graph.Inputs[0].Shape);

        var initializers = root.GetProperty("initializers").EnumerateObject().ToList();
        Assert.Equal(initializers.Count, model.Graph.Initializers.Count);
        foreach (var item in initializers)
        {
            var t = model.Graph.Initializers[item.Name];
            Assert.Equal(item.Value.GetProperty("dims").EnumerateArray().Select(v => v.GetInt64()), t.Dims);
            Assert.Equal(item.Value.GetProperty("count").GetInt64(), t.FloatData.LongLength);
            Assert.Equal(item.Value.GetProperty("sum").GetDouble(), t.FloatData.Sum(v => (double)v), 1e-9);
            Assert.Equal(item.Value.GetProperty("first").EnumerateArray().Select(v => (float)v.GetDouble()), t.FloatData.Take(3));
        }
    }

    [Fact]
    public void An_onnx_file_with_torchvision_block_layout_is_rejected_naming_the_layout()
    {
        var e = Assert.Throws<UnexpectedOnnxNetworkException>(() => CntkResNet18Import.ReadWeights(Path.Combine(FixtureDir, "stages_2222_width4.onnx")));
        Assert.Contains("stages_2222_width4.onnx", e.Message);
        Assert.Contains("expected blocks per stage [2, 2, 2, 3], found [2, 2, 2, 2]", e.Message);
    }

    [Fact]
    public void An_onnx_file_with_other_widths_is_rejected_naming_the_tensor_and_both_shapes()
    {
        var e = Assert.Throws<UnexpectedOnnxNetworkException>(() => CntkResNet18Import.ReadWeights(Path.Combine(FixtureDir, "stages_2223_width4.onnx")));
        Assert.Contains("conv1.weight", e.Message);
        Assert.Contains("expected [64, 3, 7, 7], found [4, 3, 7, 7]", e.Message);
    }

    [Fact]
    public void The_preprocessing_file_is_not_accepted_as_the_network_and_vice_versa()
    {
        var e = Assert.Throws<UnexpectedOnnxNetworkException>(() => CntkResNet18Import.ReadWeights(fixture.Files.PreprocessPath));
        Assert.Contains("expected one Conv consuming 'OriginalInput', found Split node", e.Message);
        var f = Assert.Throws<UnexpectedOnnxNetworkException>(() => CntkResNet18Import.ReadMeanImage(Path.Combine(FixtureDir, "stages_2223_width4.onnx")));
        Assert.Contains("expected the nodes Split → Concat → Sub, found Conv", f.Message);
    }

    [Fact]
    public void A_truncated_onnx_file_is_reported_as_corrupt_and_leaves_no_cache_file()
    {
        string dir = Path.Combine(fixture.CacheDirectory, "corrupt");
        Directory.CreateDirectory(dir);
        string truncated = Path.Combine(dir, "ResNet18.onnx");
        using (var source = File.OpenRead(fixture.Files.ModelPath))
        using (var target = File.Create(truncated))
        {
            var head = new byte[1_000_000];
            source.ReadExactly(head);
            target.Write(head);
        }
        string cache = Path.Combine(dir, "cache");
        var e = Assert.Throws<OnnxFormatException>(() => CntkResNet18WeightCache.Ensure(truncated, cache));
        Assert.Contains(truncated, e.Message);
        Assert.Contains("of 1000000", e.Message);
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFileSystemEntries(cache).Any(), "no cache file may be left behind");

        File.WriteAllText(truncated, "this is not protobuf at all");
        var g = Assert.Throws<OnnxFormatException>(() => OnnxReader.Read(truncated));
        Assert.Contains(truncated, g.Message);
    }

    [Fact]
    public void Head_gives_logits_per_class_and_an_untrained_network_differs_from_the_pretrained_one()
    {
        using var scope = NewDisposeScope();
        using (no_grad())
            Assert.Equal(new long[] { 2, 5 }, fixture.Scratch.forward(zeros(2, 3, 64, 64)).shape);

        var a = fixture.Net.get_parameter("layer1.0.conv1.weight")!;
        var b = fixture.Scratch.get_parameter("layer1.0.conv1.weight")!;
        Assert.False(a.allclose(b));
        // torchvision's init: kaiming normal, fan_out, ReLU gain: std = sqrt(2 / (64 * 3 * 3)).
        Assert.InRange(b.std().item<float>(), 0.95 * Math.Sqrt(2.0 / 576), 1.05 * Math.Sqrt(2.0 / 576));
    }

    [Fact]
    public void A_network_built_inside_a_dispose_scope_outlives_it()
    {
        CntkResNet18 net;
        using (NewDisposeScope())
            net = CntkResNet18.Create(classes: 3, dropout: 0, pretrained: true, fixture.Files);
        using (net)
        using (var scope = NewDisposeScope())
        {
            var expected = fixture.Net.get_parameter("layer4.2.conv2.weight")!;
            Assert.True(net.get_parameter("layer4.2.conv2.weight")!.allclose(expected, rtol: 0, atol: 0));
            Assert.Equal(fixture.Net.MeanImage.sum().item<float>(), net.MeanImage.sum().item<float>());
            Assert.Equal(new long[] { 1, 3, 32, 32 }, net.Normalize(zeros(1, 3, 32, 32)).shape);
        }
    }

    [Fact]
    public void Pretrained_features_place_two_views_of_one_scene_closer_than_another_scene()
    {
        using var scope = NewDisposeScope();
        string[] files = ["china_224.png", "china_224_shifted.png", "flower_224.png"];
        var rgb = cat(files.Select(f => tensor(LoadRgb01(f), [1, 3, 224, 224])).ToList(), 0);
        (double Same, double Other) Similarities(CntkResNet18 net)
        {
            using var _ = no_grad();
            var e = nn.functional.normalize(net.Features(net.Normalize(rgb)).mean([2, 3]), dim: 1);
            var cos = e.matmul(e.t());
            return (cos[0, 1].item<float>(), cos[0, 2].item<float>());
        }

        var (same, other) = Similarities(fixture.Net);
        var (sameScratch, otherScratch) = Similarities(fixture.Scratch);
        output.WriteLine($"cosine pretrained: same scene {same:F3}, other scene {other:F3}; random init: same {sameScratch:F3}, other {otherScratch:F3}");

        Assert.True(same > other, $"pretrained: same-scene cosine {same:F3} should exceed other-scene {other:F3}");
        // Random features barely tell scenes apart; ImageNet features separate them far more.
        Assert.True(same - other > 2 * (sameScratch - otherScratch),
            $"pretrained margin {same - other:F3} should be well above the random-init margin {sameScratch - otherScratch:F3}");
    }
}
