using PneuKnow.Augmentation;
using PneuKnow.Runtime;
using TorchSharp;

namespace PneuKnow.Tests.Augmentation;

public class BatchLoaderTests
{
    public BatchLoaderTests() => TorchRuntime.Initialize("cpu");

    static List<(float[] Image, float[] Roi, float[] Mask, long[] Label, long[] Index, long[] Shape)> Drain(BatchLoader loader, int epoch)
    {
        var list = new List<(float[], float[], float[], long[], long[], long[])>();
        foreach (var b in loader.Epoch(epoch))
            using (b)
                list.Add((b.Image.data<float>().ToArray(), b.Roi.data<float>().ToArray(), b.Mask.data<float>().ToArray(),
                          b.Label.data<long>().ToArray(), b.Index.data<long>().ToArray(), b.Image.shape));
        return list;
    }

    [Fact]
    public void Batches_have_the_contract_shapes_types_and_ranges()
    {
        var set = new SyntheticSet(10, 40, 36);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.Strong, 32), new BatchLoaderOptions(BatchSize: 4, Seed: 1));
        Assert.Equal(3, loader.BatchesPerEpoch);
        var sizes = new List<long>();
        foreach (var b in loader.Epoch(0))
            using (b)
            {
                sizes.Add(b.Size);
                Assert.Equal(new[] { b.Size, 3L, 32, 32 }, b.Image.shape);
                Assert.Equal(new[] { b.Size, 3L, 32, 32 }, b.Roi.shape);
                Assert.Equal(new[] { b.Size, 1L, 32, 32 }, b.Mask.shape);
                Assert.Equal(torch.ScalarType.Float32, b.Image.dtype);
                Assert.Equal(torch.ScalarType.Float32, b.Mask.dtype);
                Assert.Equal(torch.ScalarType.Int64, b.Label.dtype);
                Assert.Equal(torch.ScalarType.Int64, b.Index.dtype);
                Assert.True(b.Image.min().item<float>() >= 0 && b.Image.max().item<float>() <= 1);
                Assert.All(b.Mask.data<float>().ToArray(), v => Assert.True(v is 0f or 1f));
                var idx = b.Index.data<long>().ToArray();
                Assert.Equal(idx.Select(i => (long)set.LabelOf((int)i)), b.Label.data<long>().ToArray());
            }
        Assert.Equal(new long[] { 4, 4, 2 }, sizes);
    }

    [Fact]
    public void Without_augmentation_a_batch_holds_the_dataset_pixels_over_255_replicated_to_three_channels()
    {
        var set = new SyntheticSet(3, 12, 10);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 3, Shuffle: false));
        var batch = Assert.Single(Drain(loader, 0));
        Assert.Equal(new long[] { 0, 1, 2 }, batch.Index);
        for (var i = 0; i < 3; i++)
        {
            var ex = set.Get(i);
            for (var c = 0; c < 3; c++)
            for (var p = 0; p < 120; p++)
            {
                Assert.Equal(ex.Image[p] / 255f, batch.Image[(i * 3 + c) * 120 + p], 6);
                Assert.Equal(ex.Roi[p] / 255f, batch.Roi[(i * 3 + c) * 120 + p], 6);
            }
            for (var p = 0; p < 120; p++) Assert.Equal(ex.Mask[p] == 255 ? 1f : 0f, batch.Mask[i * 120 + p]);
        }
    }

    [Fact]
    public void Same_seed_gives_identical_batches_for_any_thread_count_and_prefetch_depth()
    {
        var set = new SyntheticSet(11, 40, 40);
        var pipeline = AugmentationPipeline.Create(AugmentationKind.Strong, 32);
        var one = Drain(new BatchLoader(set, pipeline, new BatchLoaderOptions(BatchSize: 4, Seed: 9, Workers: 1, Prefetch: 1)), 3);
        var many = Drain(new BatchLoader(set, pipeline, new BatchLoaderOptions(BatchSize: 4, Seed: 9, Workers: 4, Prefetch: 3)), 3);
        Assert.Equal(one.Count, many.Count);
        for (var b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Index, many[b].Index);
            // SequenceEqual: xunit's element-by-element diffing of large float arrays is slow.
            Assert.True(one[b].Image.AsSpan().SequenceEqual(many[b].Image), $"batch {b}: images differ");
            Assert.True(one[b].Roi.AsSpan().SequenceEqual(many[b].Roi), $"batch {b}: ROIs differ");
            Assert.True(one[b].Mask.AsSpan().SequenceEqual(many[b].Mask), $"batch {b}: masks differ");
        }
        // A different seed changes the draws.
        var other = Drain(new BatchLoader(set, pipeline, new BatchLoaderOptions(BatchSize: 4, Seed: 10)), 3);
        Assert.False(one[0].Image.AsSpan().SequenceEqual(other[0].Image));
    }

    [Fact]
    public void Each_epoch_visits_every_example_once_in_a_seeded_order_that_changes_between_epochs()
    {
        var set = new SyntheticSet(17, 8, 8);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 5, Seed: 2));
        var e0 = Drain(loader, 0).SelectMany(b => b.Index).ToArray();
        var e1 = Drain(loader, 1).SelectMany(b => b.Index).ToArray();
        Assert.Equal(Enumerable.Range(0, 17).Select(i => (long)i), e0.Order());
        Assert.Equal(Enumerable.Range(0, 17).Select(i => (long)i), e1.Order());
        Assert.NotEqual(e0, e1);
        Assert.NotEqual(Enumerable.Range(0, 17).Select(i => (long)i), e0);
        // A resumed run (a new loader, same seed) sees the same order.
        var again = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 5, Seed: 2));
        Assert.Equal(e1, Drain(again, 1).SelectMany(b => b.Index));
    }

    [Fact]
    public void Drop_last_drops_the_short_batch()
    {
        var set = new SyntheticSet(10, 8, 8);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 4, DropLast: true));
        Assert.Equal(2, loader.BatchesPerEpoch);
        Assert.Equal(new long[] { 4, 4 }, Drain(loader, 0).Select(b => b.Shape[0]));
    }

    [Fact]
    public void Stopping_early_stops_the_prefetcher_within_its_bound()
    {
        var set = new SyntheticSet(64, 16, 16);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.Weak, 16), new BatchLoaderOptions(BatchSize: 2, Prefetch: 2));
        foreach (var b in loader.Epoch(0))
        {
            b.Dispose();
            // Let the producer fill its queue.
            Thread.Sleep(300);
            break;
        }
        var after = set.Gets;
        Thread.Sleep(200);
        Assert.Equal(after, set.Gets);
        // One consumed + two queued + one being assembled at most.
        Assert.InRange(after, 2, (1 + 2 + 1) * 2);
    }

    [Fact]
    public void Bad_loader_options_are_rejected_with_the_values()
    {
        var set = new SyntheticSet(5, 8, 8);
        var p = AugmentationPipeline.Create(AugmentationKind.None);
        var e = Assert.Throws<ArgumentException>(() => new BatchLoader(set, p, new BatchLoaderOptions(BatchSize: 0)));
        Assert.Contains("found 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BatchLoader(set, p, new BatchLoaderOptions(BatchSize: -3)));
        Assert.Contains("found -3", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BatchLoader(set, p, new BatchLoaderOptions(BatchSize: 6, DropLast: true)));
        Assert.Contains("6", e.Message);
        Assert.Contains("5 examples", e.Message);
        // Without drop-last a batch larger than the dataset is one short batch.
        Assert.Equal(1, new BatchLoader(set, p, new BatchLoaderOptions(BatchSize: 6)).BatchesPerEpoch);
        Assert.Throws<ArgumentException>(() => new BatchLoader(set, p, new BatchLoaderOptions(Prefetch: 0)));
        Assert.Throws<ArgumentException>(() => new BatchLoader(set, p, new BatchLoaderOptions(Workers: -1)));
        Assert.Throws<ArgumentException>(() => new BatchLoader(new SyntheticSet(0, 8, 8), p, new BatchLoaderOptions()));
    }

    [Fact]
    public void Mixed_sizes_without_resize_fail_naming_the_examples()
    {
        var a = new SyntheticSet(1, 8, 8).Get(0);
        var b = new SyntheticSet(1, 9, 8).Get(0);
        var set = new SyntheticSet([a, b]);
        var loader = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.None), new BatchLoaderOptions(BatchSize: 2, Shuffle: false));
        var e = Assert.Throws<InvalidOperationException>(() => Drain(loader, 0));
        Assert.Contains("example 1 is 9×8", e.Message);
        // With a Resize the same data batches fine.
        var ok = new BatchLoader(set, AugmentationPipeline.Create(AugmentationKind.Valid, 8), new BatchLoaderOptions(BatchSize: 2));
        Assert.Single(Drain(ok, 0));
    }
}
