using System.Runtime.InteropServices;
using System.Threading.Channels;
using PneuKnow.Data;
using PneuKnow.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace PneuKnow.Augmentation;

/// <summary>How a <see cref="BatchLoader"/> draws batches.</summary>
/// <param name="BatchSize">Examples per batch (the paper: 8).</param>
/// <param name="Seed">Seeds the per-epoch shuffle and every augmentation draw.</param>
/// <param name="Shuffle">A fresh permutation each epoch (training) or dataset order (evaluation).</param>
/// <param name="DropLast">Drop the last, smaller batch of an epoch.</param>
/// <param name="Prefetch">Batches prepared ahead of the consumer (bounds memory: at most Prefetch + 1 batches exist besides the consumer's).</param>
/// <param name="Workers">Threads that augment the examples of a batch; 0 = all cores. Never changes the output.</param>
public sealed record BatchLoaderOptions(
    int BatchSize = 8,
    long Seed = 0,
    bool Shuffle = true,
    bool DropLast = false,
    int Prefetch = 2,
    int Workers = 0);

/// <summary>
/// Batches of augmented (image, ROI, mask, label, index) from a decoded dataset: a per-epoch shuffle from
/// the seed, one augmentation draw per example from (seed, epoch, index), batches assembled into contiguous
/// float tensors on the target device by a background thread that stays <see cref="BatchLoaderOptions.Prefetch"/>
/// batches ahead while the examples of a batch are augmented in parallel. The output depends only on the
/// seed and the epoch, not on the number of threads or on timing.
/// </summary>
/// <remarks>
/// Tensors are created on the loader's own thread, outside any dispose scope of the consumer: the consumer
/// disposes each <see cref="Batch"/> it receives. Batches prepared but not consumed (an enumeration stopped
/// early, an exception in the consumer) are disposed when the enumerator is disposed, which <c>foreach</c> does.
/// For a CUDA device the batch is assembled in pinned host memory and copied over.
/// </remarks>
public sealed class BatchLoader : IBatchSource
{
    readonly IAnnotatedImageSet _set;
    readonly AugmentationPipeline _pipeline;
    readonly Device _device;

    /// <summary>The options in force.</summary>
    public BatchLoaderOptions Options { get; }

    /// <summary>Prepares a loader; nothing is decoded or augmented until an epoch is enumerated.</summary>
    /// <param name="set">The decoded dataset.</param>
    /// <param name="pipeline">Augmentation applied to every example.</param>
    /// <param name="options">Batch size, seed, shuffle, drop-last, prefetch depth, workers.</param>
    /// <param name="device">Where batches live; default <see cref="TorchRuntime.Device"/> (so <see cref="TorchRuntime.Initialize"/> must have run).</param>
    /// <exception cref="ArgumentException">An empty dataset, a batch size ≤ 0, a batch size larger than the dataset with drop-last (no batch at all), a prefetch &lt; 1 or negative workers.</exception>
    public BatchLoader(IAnnotatedImageSet set, AugmentationPipeline pipeline, BatchLoaderOptions options, Device? device = null)
    {
        if (set.Count <= 0) throw new ArgumentException($"dataset: expected at least one example, found {set.Count}", nameof(set));
        if (options.BatchSize <= 0)
            throw new ArgumentException($"BatchSize: expected a positive batch size, found {options.BatchSize}", nameof(options));
        if (options.DropLast && options.BatchSize > set.Count)
            throw new ArgumentException($"BatchSize: {options.BatchSize} is larger than the dataset's {set.Count} examples with DropLast, so an epoch would yield no batch; expected at most {set.Count} or DropLast = false", nameof(options));
        if (options.Prefetch < 1) throw new ArgumentException($"Prefetch: expected at least 1 batch ahead, found {options.Prefetch}", nameof(options));
        if (options.Workers < 0) throw new ArgumentException($"Workers: expected 0 (all cores) or a positive count, found {options.Workers}", nameof(options));
        (_set, _pipeline, Options) = (set, pipeline, options);
        NativeHeap.KeepLargeBlocks();
        _device = device ?? TorchRuntime.Device;
    }

    /// <inheritdoc />
    public int Count => _set.Count;

    /// <inheritdoc />
    public int BatchesPerEpoch => Options.DropLast ? Count / Options.BatchSize : (Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them (Fisher–Yates from the seed).</summary>
    public int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (!Options.Shuffle) return order;
        var random = AugmentationRandom.ForShuffle(Options.Seed, epoch);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> &lt; 0.</exception>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "expected an epoch ≥ 0");
        return Prefetched(epoch);
    }

    IEnumerable<Batch> Prefetched(int epoch)
    {
        var order = Order(epoch);
        var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(Options.Prefetch)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = new CancellationTokenSource();
        var producer = Task.Factory.StartNew(() => Produce(order, epoch, channel.Writer, stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            // WaitToReadAsync rethrows the producer's exception once the queue is empty.
            while (channel.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (channel.Reader.TryRead(out var batch))
                    yield return batch;
        }
        finally
        {
            stop.Cancel();
            producer.Wait(CancellationToken.None);
            while (channel.Reader.TryRead(out var left)) left.Dispose();
        }
    }

    void Produce(int[] order, int epoch, ChannelWriter<Batch> writer, CancellationToken stop)
    {
        try
        {
            for (var b = 0; b < BatchesPerEpoch; b++)
            {
                stop.ThrowIfCancellationRequested();
                var start = b * Options.BatchSize;
                var indices = order.AsSpan(start, Math.Min(Options.BatchSize, order.Length - start)).ToArray();
                var batch = Assemble(indices, epoch);
                try
                {
                    writer.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }
            }
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    /// <summary>
    /// Augments the examples <paramref name="indices"/> with their epoch-<paramref name="epoch"/> draws and
    /// stacks them into one batch on the loader's device, synchronously (what each prefetched batch is).
    /// </summary>
    /// <exception cref="InvalidOperationException">Examples of different sizes after augmentation (a pipeline without Resize over a dataset of mixed sizes).</exception>
    public Batch Assemble(IReadOnlyList<int> indices, int epoch)
    {
        var n = indices.Count;
        var examples = new PairedPlanes[n];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.Workers == 0 ? Environment.ProcessorCount : Options.Workers };
        Parallel.For(0, n, parallel, i => examples[i] = _pipeline.Apply(_set.Get(indices[i]), Options.Seed, epoch, indices[i]));
        int h = examples[0].Height, w = examples[0].Width;
        for (var i = 1; i < n; i++)
            if (examples[i].Height != h || examples[i].Width != w)
                throw new InvalidOperationException(
                    $"pipeline '{_pipeline.Name}': example {indices[i]} is {examples[i].Height}×{examples[i].Width} but example {indices[0]} is {h}×{w}; batching needs one size (use a pipeline with a Resize)");

        var plane = h * w;
        // Written straight into libtorch's memory (see NativeHeap for why that memory is cheap to get).
        var image = torch.empty([n, 3, h, w], ScalarType.Float32, device: torch.CPU);
        var roi = torch.empty([n, 3, h, w], ScalarType.Float32, device: torch.CPU);
        var mask = torch.empty([n, 1, h, w], ScalarType.Float32, device: torch.CPU);
        try
        {
            Parallel.For(0, n, parallel, i =>
            {
                PairedPlanes.WriteChannelsFirst(examples[i].Image, Floats(image).Slice(i * 3 * plane, 3 * plane));
                PairedPlanes.WriteChannelsFirst(examples[i].Roi, Floats(roi).Slice(i * 3 * plane, 3 * plane));
                examples[i].WriteMask(Floats(mask).Slice(i * plane, plane));
            });
            var labels = examples.Select(e => (long)e.Label).ToArray();
            var index = indices.Select(i => (long)i).ToArray();
            return new Batch(ToDevice(image), ToDevice(roi), ToDevice(mask), ToDevice(torch.tensor(labels, [n])), ToDevice(torch.tensor(index, [n])));
        }
        catch
        {
            image.Dispose(); roi.Dispose(); mask.Dispose();
            throw;
        }
    }

    static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    Tensor ToDevice(Tensor host)
    {
        if (_device.type == DeviceType.CPU) return host;
        using (host)
        using (var pinned = host.pin_memory())
            return pinned.to(_device);
    }
}
