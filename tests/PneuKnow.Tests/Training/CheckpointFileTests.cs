using PneuKnow.Models;
using PneuKnow.Tests.Data;
using PneuKnow.Training;
using static TorchSharp.torch;

namespace PneuKnow.Tests.Training;

/// <summary>
/// Packed checkpoints (issue 25: a quick study under 500 MB by default): lossless, smaller, and read by everything that
/// loads a checkpoint.
/// </summary>
[Collection(TorchTrainingCollection.Name)]
public sealed class CheckpointFileTests : IDisposable
{
    readonly TempDir _dir = new();

    public CheckpointFileTests() => PneuKnow.Runtime.TorchRuntime.Initialize("cpu");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_packed_checkpoint_loads_the_same_weights_bit_for_bit_and_is_smaller()
    {
        manual_seed(3);
        using var original = BackboneZoo.Create(new BackboneOptions("resnet18", 5, 0.0));
        var path = _dir["best.pt"];
        original.save(path);
        var bytes = File.ReadAllBytes(path);
        Assert.False(CheckpointFile.IsPacked(path));

        long saved = CheckpointFile.Pack(path);
        Assert.True(CheckpointFile.IsPacked(path));
        Assert.Equal(bytes.Length - new FileInfo(path).Length, saved);
        // Randomly initialised float32 weights: the byte planes of their exponents compress (trained ones alike, ~16 %).
        Assert.True(saved > bytes.Length / 20, $"saved only {saved} of {bytes.Length} bytes");
        Assert.Equal(bytes, CheckpointFile.ReadBytes(path));
        Assert.Equal(0, CheckpointFile.Pack(path));   // packing twice changes nothing

        manual_seed(4);
        using var loaded = BackboneZoo.Create(new BackboneOptions("resnet18", 5, 0.0));
        CheckpointFile.Load(loaded, path);
        var a = original.state_dict();
        var b = loaded.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys)
            Assert.True(a[key].dtype == b[key].dtype && a[key].eq(b[key]).all().item<bool>(), key);
    }

    [Fact]
    public void A_damaged_packed_checkpoint_is_refused_naming_the_file()
    {
        var path = _dir["best.pt"];
        File.WriteAllBytes(path, Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray());
        CheckpointFile.Pack(path);
        var packed = File.ReadAllBytes(path);
        File.WriteAllBytes(path, packed[..(packed.Length / 2)]);
        var e = Assert.ThrowsAny<Exception>(() => CheckpointFile.ReadBytes(path));
        Assert.True(e is InvalidDataException, e.ToString());
        Assert.Contains(path, e.Message);
    }
}
