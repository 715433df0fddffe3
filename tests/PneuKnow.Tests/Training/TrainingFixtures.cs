using PneuKnow.Augmentation;
using PneuKnow.Models;
using PneuKnow.Runtime;
using PneuKnow.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Training;

/// <summary>Progress that cancels the run at its <c>advances</c>-th batch: a stop at a chosen point of training, for the resume tests.</summary>
sealed class CancelAt(CancellationTokenSource cts, int advances) : IProgress, IProgressTask
{
    int count;
    public IProgressTask Start(string description, long total) => this;
    public void Advance(long steps = 1, string? status = null) { if (steps > 0 && ++count == advances) cts.Cancel(); }
    public void Dispose() { }
}

/// <summary>A few-thousand-parameter backbone with the Features/Head split, for fast trainer tests.</summary>
sealed class TinyBackbone : Backbone
{
    readonly Conv2d conv1, conv2;
    readonly Dropout dropout;
    readonly Linear fc;
    readonly int channels;

    public TinyBackbone(int channels = 8, int classes = 3, double dropoutRate = 0.2, int stride2 = 2) : base("tiny")
    {
        this.channels = channels;
        Classes = classes;
        conv1 = nn.Conv2d(3, channels, 3, stride: 2, padding: 1);
        conv2 = nn.Conv2d(channels, channels, 3, stride: stride2, padding: 1);
        dropout = nn.Dropout(dropoutRate);
        fc = nn.Linear(channels, classes);
        RegisterComponents();
    }

    public override string Architecture => "tiny";
    public override int FeatureChannels => channels;
    public override int Classes { get; }
    public override Tensor Features(Tensor x) => nn.functional.relu(conv2.forward(nn.functional.relu(conv1.forward(x))));
    public override Tensor Head(Tensor features) => fc.forward(dropout.forward(features.mean([2, 3])));
}

/// <summary>
/// A learnable in-memory dataset: class k has a bright square in quadrant k of an otherwise noisy
/// image; the ROI keeps only that square (so a ROI teacher learns faster). Order per epoch is a seeded
/// shuffle of (seed, epoch), as the IBatchSource contract asks.
/// </summary>
sealed class SyntheticBatchSource : IBatchSource
{
    readonly float[][] images, rois;
    readonly int[] labels;
    readonly int size, batchSize;
    readonly bool shuffle;
    readonly long seed;

    public SyntheticBatchSource(int count, int batchSize, long seed, bool shuffle = true, int size = 16, int classes = 3)
    {
        this.size = size;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        var rng = new Random((int)(seed % int.MaxValue));
        images = new float[count][];
        rois = new float[count][];
        labels = new int[count];
        int half = size / 2;
        for (int n = 0; n < count; n++)
        {
            int k = n % classes;
            labels[n] = k;
            var img = new float[3 * size * size];
            var roi = new float[3 * size * size];
            int y0 = (k / 2) * half, x0 = (k % 2) * half;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    bool inside = y >= y0 && y < y0 + half && x >= x0 && x < x0 + half;
                    float v = (float)(rng.NextDouble() * 0.5 + (inside ? 0.4 : 0));
                    for (int c = 0; c < 3; c++)
                    {
                        img[(c * size + y) * size + x] = v;
                        roi[(c * size + y) * size + x] = inside ? v : 0;
                    }
                }
            images[n] = img;
            rois[n] = roi;
        }
    }

    public int Count => labels.Length;
    public int BatchesPerEpoch => (Count + batchSize - 1) / batchSize;
    public IReadOnlyList<string> FileNames => Enumerable.Range(0, Count).Select(i => $"img{i:D3}.png").ToArray();

    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (shuffle) new Random((int)(Seeds.Derive(seed, "order", epoch) % int.MaxValue)).Shuffle(order);
        for (int b = 0; b < order.Length; b += batchSize)
        {
            var idx = order.Skip(b).Take(batchSize).ToArray();
            long n = idx.Length;
            var img = idx.SelectMany(i => images[i]).ToArray();
            var roi = idx.SelectMany(i => rois[i]).ToArray();
            var mask = roi.Where((_, j) => j % (3 * size * size) < size * size).Select(v => v > 0 ? 1f : 0f).ToArray();
            yield return new Batch(
                tensor(img, [n, 3, size, size]),
                tensor(roi, [n, 3, size, size]),
                tensor(mask, [n, 1, size, size]),
                tensor(idx.Select(i => (long)labels[i]).ToArray()),
                tensor(idx.Select(i => (long)i).ToArray()));
        }
    }
}

/// <summary>Temporary folders made through <see cref="TrainingSetup.TempDir"/>, deleted on dispose.</summary>
sealed class TempFolders : IDisposable
{
    readonly List<string> dirs = [];

    public string Create(string name)
    {
        var d = TrainingSetup.TempDir(name);
        lock (dirs) dirs.Add(d);
        return d;
    }

    public void Dispose()
    {
        lock (dirs)
        {
            foreach (var d in dirs) if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
            dirs.Clear();
        }
    }
}

static class TrainingSetup
{
    public static readonly string[] Classes = ["a", "b", "c"];

    public static TrainingData Data(int train = 24, int valid = 12, int batch = 6, long seed = 7, bool test = false)
    {
        var t = new SyntheticBatchSource(train, batch, seed);
        var v = new SyntheticBatchSource(valid, 5, seed + 1, shuffle: false);
        var s = test ? new SyntheticBatchSource(valid, 5, seed + 2, shuffle: false) : null;
        return new TrainingData(t, new EvaluationSplit("valid", v, v.FileNames),
            s is null ? null : new EvaluationSplit("test", s, s.FileNames), Classes);
    }

    /// <summary>
    /// The paper's trainer options for <paramref name="epochs"/> epochs and a seed, as a stage that sets only its required keys
    /// has them (the defaults are written once, in <see cref="StageConfig"/>); tests change what they test with <c>with</c>.
    /// </summary>
    public static TrainerOptions Options(int epochs, long seed) =>
        new StageConfig(16, "tiny", 0, epochs, PneuKnow.Augmentation.AugmentationKind.None, 6).ToTrainerOptions(teacher: false, seed);

    public static TinyBackbone Model(long seed, int channels = 8, int stride2 = 2)
    {
        TorchRuntime.Initialize("cpu");
        manual_seed(seed);
        return new TinyBackbone(channels, stride2: stride2);
    }

    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), "pneuknow-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
