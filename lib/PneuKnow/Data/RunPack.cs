using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PneuKnow.Runtime;

namespace PneuKnow.Data;

/// <summary>
/// The pack of a study unit's finished runs: one file, <c>&lt;unit&gt;/runs.tar.br</c>, holding the files of every packed
/// run as a tar archive (entries <c>&lt;role&gt;/run_&lt;k&gt;/&lt;file&gt;</c>, CSVs plain) compressed with Brotli at quality 11
/// and a 16 MB window. A committed study has a size budget (docs/study-design.md, "Committed runs are packed"): across the
/// runs of a unit the file names, labels and JSON keys repeat, which one Brotli stream compresses once, where per-file
/// gzip compresses them in every file; and <c>du -sb</c> counts 4,096 bytes per run folder, which a pack has none of.
/// </summary>
/// <remarks>
/// Readers never open a run file directly: <see cref="RunFile"/> and <see cref="Csv.Locate"/> find it in the run folder or
/// in its unit's pack, and refuse a file present in both (naming both), so a pack and a plain run folder can never both be
/// current. The bytes are deterministic (entries sorted by name, time stamps 0, owner 0, mode 0644, no user or group
/// names, a fixed Brotli quality and window), so packing the same runs always gives the same file. The pack is read once
/// per process and kept in memory (keyed by its length and write time, so a repacked unit is read again).
/// </remarks>
public static class RunPack
{
    /// <summary>The pack's file name inside a unit folder.</summary>
    public const string FileName = "runs.tar.br";

    /// <summary>Brotli quality of a pack (11, the densest).</summary>
    public const int Quality = 11;

    /// <summary>Brotli window (log2 bytes): 24, the largest .NET allows, so that every run of a unit lies within it.</summary>
    public const int Window = 24;

    static readonly ConcurrentDictionary<string, (long Length, DateTime Written, IReadOnlyDictionary<string, byte[]> Entries)> Cache = new();

    /// <summary>
    /// Where the run file <paramref name="path"/> (<c>&lt;unit&gt;/&lt;role&gt;/run_k/&lt;file&gt;</c>) would be packed: the unit's
    /// pack file and the entry name; null when the path is not that deep.
    /// </summary>
    public static (string Pack, string Entry)? AddressOf(string path)
    {
        var full = Path.GetFullPath(path);
        var run = Path.GetDirectoryName(full);
        var role = run is null ? null : Path.GetDirectoryName(run);
        var unit = role is null ? null : Path.GetDirectoryName(role);
        if (unit is null) return null;
        return (Path.Combine(unit, FileName), $"{Path.GetFileName(role)}/{Path.GetFileName(run)}/{Path.GetFileName(full)}");
    }

    /// <summary>The entries of the pack at <paramref name="pack"/> (entry name → bytes); empty when there is no pack.</summary>
    /// <exception cref="DataException">The file is not a Brotli-compressed tar archive of regular files.</exception>
    public static IReadOnlyDictionary<string, byte[]> Entries(string pack)
    {
        var full = Path.GetFullPath(pack);
        var info = new FileInfo(full);
        if (!info.Exists) { Cache.TryRemove(full, out _); return new Dictionary<string, byte[]>(); }
        if (Cache.TryGetValue(full, out var cached) && cached.Length == info.Length && cached.Written == info.LastWriteTimeUtc) return cached.Entries;
        var entries = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var brotli = new BrotliStream(File.OpenRead(full), CompressionMode.Decompress);
            using var tar = new TarReader(brotli);
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw new DataException(full, null, entry.Name, $"expected only regular files in a run pack, found a {entry.EntryType} entry.");
                using var bytes = new MemoryStream();
                entry.DataStream?.CopyTo(bytes);
                if (!entries.TryAdd(entry.Name, bytes.ToArray()))
                    throw new DataException(full, null, entry.Name, "expected each entry once in a run pack, found it twice.");
            }
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or IOException and not FileNotFoundException)
        {
            throw new DataException(full, null, null, $"expected a Brotli-compressed tar archive of run files ({FileName}), found a file that does not read as one ({e.Message}).", e);
        }
        var read = (IReadOnlyDictionary<string, byte[]>)entries;
        Cache[full] = (info.Length, info.LastWriteTimeUtc, read);
        return read;
    }

    /// <summary>The bytes of the run file <paramref name="path"/> from its unit's pack; null when it is not packed.</summary>
    public static byte[]? TryRead(string path) =>
        AddressOf(path) is { } a && Entries(a.Pack).TryGetValue(a.Entry, out var bytes) ? bytes : null;

    /// <summary>Whether the run file <paramref name="path"/> is in its unit's pack.</summary>
    public static bool Contains(string path) => TryRead(path) is not null;

    /// <summary>The run folder names (<c>run_k</c>) that the pack of the unit above <paramref name="roleDir"/> holds for that role.</summary>
    public static IReadOnlyList<string> RunNames(string roleDir)
    {
        var full = Path.GetFullPath(roleDir).TrimEnd(Path.DirectorySeparatorChar);
        var unit = Path.GetDirectoryName(full);
        if (unit is null) return [];
        var prefix = Path.GetFileName(full) + "/";
        return Entries(Path.Combine(unit, FileName)).Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..].Split('/')[0]).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the pack of the unit above <paramref name="runDir"/> holds any file of that run.</summary>
    public static bool HoldsRun(string runDir)
    {
        var full = Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar);
        var role = Path.GetDirectoryName(full);
        return role is not null && RunNames(role).Contains(Path.GetFileName(full));
    }

    /// <summary>
    /// The pack's bytes for <paramref name="entries"/> (entry name → content): a tar archive of the entries in ordinal order,
    /// every header fixed (mode 0644, owner 0, time 0, no names), compressed with Brotli at <see cref="Quality"/> and
    /// <see cref="Window"/>. The same entries always give the same bytes.
    /// </summary>
    public static byte[] Encode(IReadOnlyDictionary<string, byte[]> entries)
    {
        using var tarBytes = new MemoryStream();
        using (var tar = new TarWriter(tarBytes, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    Uid = 0, Gid = 0, UserName = "", GroupName = "",
                    DataStream = new MemoryStream(content, writable: false),
                };
                tar.WriteEntry(entry);
            }
        }
        var source = tarBytes.ToArray();
        var destination = new byte[BrotliEncoder.GetMaxCompressedLength(source.Length)];
        if (!BrotliEncoder.TryCompress(source, destination, out int written, Quality, Window))
            throw new InvalidOperationException($"Brotli could not compress a run pack of {source.Length} bytes.");
        return destination[..written];
    }
}

/// <summary>
/// Reads a run's non-CSV files (<c>run.json</c>, <c>result.json</c>, <c>decision_regions.json</c>) from its folder or from its
/// unit's <see cref="RunPack"/>; CSVs go through <see cref="Csv.Locate"/>, which does the same.
/// </summary>
public static class RunFile
{
    /// <summary>Whether <paramref name="path"/> exists in the run folder or in its unit's pack.</summary>
    /// <exception cref="DataException">It exists in both: which one is current cannot be told.</exception>
    public static bool Exists(string path)
    {
        bool plain = File.Exists(path), packed = RunPack.Contains(path);
        if (plain && packed) throw Both(path);
        return plain || packed;
    }

    /// <summary>The text (UTF-8) of <paramref name="path"/> from the run folder or its unit's pack.</summary>
    /// <exception cref="FileNotFoundException">In neither.</exception>
    /// <exception cref="DataException">In both.</exception>
    public static string ReadAllText(string path)
    {
        var packed = RunPack.TryRead(path);
        if (packed is null) return File.ReadAllText(path);
        if (File.Exists(path)) throw Both(path);
        return new UTF8Encoding(false).GetString(packed);
    }

    /// <summary>The error for a file that is both in a run folder and in its unit's pack.</summary>
    public static DataException Both(string path) =>
        new(path, null, null, $"expected the run file either in its run folder or in its unit's {RunPack.FileName}, found it in both " +
            $"({path} and {RunPack.AddressOf(path)!.Value.Pack}, entry {RunPack.AddressOf(path)!.Value.Entry}); " +
            "a pack interrupted before it removed the folder's files: run `pneuknow pack` again, or delete the stale copy.");
}
