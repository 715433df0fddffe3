using System.Buffers.Binary;
using System.IO.Compression;
using PneuKnow.Runtime;
using TorchSharp;

namespace PneuKnow.Training;

/// <summary>
/// A kept checkpoint (<c>best.pt</c>, <c>best_extra.pt</c>) stored losslessly smaller. A study keeps a few checkpoints after
/// it ends (<see cref="Study.KeepCheckpoints"/>), 45–64 MB each for the ResNet-18s; their float32 weights compress poorly as
/// they are, but split into byte planes (every 4th byte together: the sign-and-exponent bytes of neighbouring weights
/// are much alike) and deflated they shrink by about a sixth. The packed file holds the TorchSharp file's exact bytes:
/// <see cref="Load"/> gives the same weights, bit for bit, so nothing computed from a packed checkpoint changes.
/// </summary>
public static class CheckpointFile
{
    /// <summary>The first bytes of a packed checkpoint ("PKCZ"); a TorchSharp file starts with its entry count instead.</summary>
    static ReadOnlySpan<byte> Magic => "PKCZ"u8;

    const int Version = 1;
    const int HeaderLength = 4 + 4 + 8;

    /// <summary>Whether <paramref name="path"/> is a packed checkpoint.</summary>
    public static bool IsPacked(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return s.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual(Magic);
    }

    /// <summary>
    /// Packs the checkpoint at <paramref name="path"/> in place (atomically; the packed bytes are unpacked and compared with
    /// the original before it is replaced). A packed file is left as it is.
    /// </summary>
    /// <returns>The bytes saved (0 when it was packed already).</returns>
    public static long Pack(string path)
    {
        if (IsPacked(path)) return 0;
        var original = File.ReadAllBytes(path);
        var packed = PackBytes(original);
        if (!Unpack(packed, path).AsSpan().SequenceEqual(original))
            throw new InvalidDataException($"{path}: the packed checkpoint does not unpack to the original bytes; left unpacked.");
        AtomicFile.WriteAllBytes(path, packed);
        return original.Length - packed.Length;
    }

    /// <summary>The TorchSharp file's bytes, whether <paramref name="path"/> is packed or not.</summary>
    public static byte[] ReadBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().StartsWith(Magic) ? Unpack(bytes, path) : bytes;
    }

    /// <summary>Loads the weights at <paramref name="path"/> (packed or not) into <paramref name="module"/>, as <c>module.load(path)</c> does.</summary>
    public static void Load(torch.nn.Module module, string path)
    {
        if (!IsPacked(path))
        {
            module.load(path);
            return;
        }
        using var reader = new BinaryReader(new MemoryStream(ReadBytes(path), writable: false));
        module.load(reader);
    }

    static byte[] PackBytes(byte[] original)
    {
        var output = new MemoryStream();
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], original.LongLength);
        output.Write(header);
        using (var z = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(Shuffle(original));
        return output.ToArray();
    }

    static byte[] Unpack(byte[] packed, string path)
    {
        if (packed.Length < HeaderLength || BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(4)) != Version)
            throw new InvalidDataException($"{path}: expected a packed checkpoint of version {Version}, found a damaged or newer header.");
        long length = BinaryPrimitives.ReadInt64LittleEndian(packed.AsSpan(8));
        var planes = new byte[length];
        try
        {
            using var z = new ZLibStream(new MemoryStream(packed, HeaderLength, packed.Length - HeaderLength), CompressionMode.Decompress);
            if (z.ReadAtLeast(planes, planes.Length, throwOnEndOfStream: false) != planes.Length || z.ReadByte() != -1)
                throw new InvalidDataException($"{path}: expected {length} bytes in the packed checkpoint, found another length (a damaged file).");
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: the packed checkpoint does not decompress ({e.Message}); a damaged file.", e);
        }
        return Unshuffle(planes);
    }

    /// <summary>Byte planes of 4-byte words: bytes 0, 4, 8, … then 1, 5, 9, … and so on; a tail of fewer than 4 bytes last.</summary>
    static byte[] Shuffle(byte[] b)
    {
        int words = b.Length / 4;
        var s = new byte[b.Length];
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < words; i++) s[j * words + i] = b[4 * i + j];
        Array.Copy(b, 4 * words, s, 4 * words, b.Length - 4 * words);
        return s;
    }

    static byte[] Unshuffle(byte[] s)
    {
        int words = s.Length / 4;
        var b = new byte[s.Length];
        for (int j = 0; j < 4; j++)
            for (int i = 0; i < words; i++) b[4 * i + j] = s[j * words + i];
        Array.Copy(s, 4 * words, b, 4 * words, s.Length - 4 * words);
        return b;
    }
}
