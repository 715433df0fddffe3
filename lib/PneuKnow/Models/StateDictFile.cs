using System.Buffers.Binary;
using System.Collections;
using System.Text.Json;
using PneuKnow.Runtime;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PneuKnow.Models;

/// <summary>Reads and writes PyTorch state dicts: safetensors and <c>torch.save</c> (zip) files.</summary>
public static class StateDictFile
{
    /// <summary>
    /// Reads a state dict: a <c>.safetensors</c> file or a <c>torch.save</c>d dict of tensors, possibly wrapped in
    /// <c>{"state_dict": ...}</c>, <c>{"model": ...}</c> or <c>{"state_dict_ema": ...}</c>; a DataParallel
    /// <c>module.</c> prefix is removed. The format is recognised by content, not extension.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Neither format, truncated or corrupt; the message names the file and the defect.</exception>
    public static Dictionary<string, Tensor> Read(string path, out string format)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"state dict: no file at {path}.", path);
        var head = new byte[9];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 4 && head[0] == 0x50 && head[1] == 0x4b && head[2] == 0x03 && head[3] == 0x04)
        {
            format = "pytorch";
            return StripModulePrefix(ReadPickled(path));
        }
        if (n == 9 && head[8] == (byte)'{')
        {
            format = "safetensors";
            CheckSafetensors(path);
            try
            {
                return StripModulePrefix(Safetensors.LoadStateDict(path));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"{path}: corrupt safetensors file ({e.Message}).", e);
            }
        }
        throw new InvalidDataException(
            $"{path}: expected a safetensors file (8-byte header length, then a JSON header) or a torch.save zip archive (starts with 'PK\\x03\\x04'); " +
            $"found {n} leading bytes {Convert.ToHexString(head, 0, n)}.");
    }

    /// <summary>Writes a state dict as safetensors, atomically (temporary file, then move).</summary>
    public static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> state)
    {
        var cpu = state.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        try
        {
            AtomicFile.WriteStream(path, stream => Safetensors.SaveStateDict(stream, cpu, leaveOpen: true));
        }
        finally
        {
            foreach (var t in cpu.Values) t.Dispose();
        }
    }

    static Dictionary<string, Tensor> ReadPickled(string path)
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: corrupt or unsupported torch.save archive ({e.GetType().Name}: {e.Message}).", e);
        }
        foreach (var wrapper in new[] { "state_dict", "model", "state_dict_ema" })
            if (table[wrapper] is Hashtable inner) { table = inner; break; }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor t)
                throw new InvalidDataException(
                    $"{path}: expected a state dict (string keys, tensor values), found key '{entry.Key}' holding {entry.Value?.GetType().Name ?? "null"}.");
            result[key] = t;
        }
        return result;
    }

    static void CheckSafetensors(string path)
    {
        // PyBridge reads whatever bytes are there; check the header against the file so truncation is named.
        using var f = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        f.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(f.Length - 8))
            throw new InvalidDataException($"{path}: safetensors header says {headerLength} header bytes, but only {f.Length - 8} follow.");
        var header = new byte[headerLength];
        f.ReadExactly(header);
        long dataEnd = 0;
        try
        {
            using var doc = JsonDocument.Parse(header);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                var offsets = p.Value.GetProperty("data_offsets");
                dataEnd = Math.Max(dataEnd, offsets[1].GetInt64());
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: safetensors header is not valid JSON with data_offsets per tensor ({e.Message}).", e);
        }
        long available = f.Length - 8 - (long)headerLength;
        if (dataEnd > available)
            throw new InvalidDataException($"{path}: truncated safetensors file: tensors need {dataEnd} data bytes, the file has {available}.");
    }

    static Dictionary<string, Tensor> StripModulePrefix(Dictionary<string, Tensor> state)
    {
        if (state.Count == 0 || !state.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal))) return state;
        return state.ToDictionary(kv => kv.Key["module.".Length..], kv => kv.Value, StringComparer.Ordinal);
    }
}
