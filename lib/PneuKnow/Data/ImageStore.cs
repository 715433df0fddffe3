using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Data;

/// <summary>How <see cref="ImageStore.Open"/> decodes and caches.</summary>
public sealed record ImageStoreOptions
{
    /// <summary>Folder of the on-disk decoded-image cache (keyed by content hash and working size); null disables it.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Keep going past images that fail to decode and list them in <see cref="ImageStore.Skipped"/>.</summary>
    public bool SkipInvalid { get; init; }
    /// <summary>Parallel decoders (0 = all cores). Results do not depend on it.</summary>
    public int Threads { get; init; }
    /// <summary>
    /// Bits per pixel kept in memory for the image and ROI planes: 8 (default) or 16 (keeps the full depth of 16-bit
    /// sources, twice the memory; <see cref="ImageStore.Get"/> still returns 8-bit planes, <see cref="ImageStore.GetDeep"/> 16-bit ones).
    /// </summary>
    public int BitDepth { get; init; } = 8;
}

/// <summary>A stored example at 16 bits per pixel (image and ROI); the mask stays 0/255.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Image">The full image, 0..65535.</param>
/// <param name="Roi">The ROI image, 0..65535.</param>
/// <param name="Mask">0 outside, 255 inside the annotation.</param>
/// <param name="Label">Class code.</param>
public sealed record AnnotatedImage16(int Height, int Width, ushort[] Image, ushort[] Roi, byte[] Mask, int Label);

/// <summary>
/// The decoded dataset: every manifest image, its ROI and mask resized once to a square working size and kept in memory
/// as 8-bit planes. Decoding reads PNG/JPEG/TIFF (8/16-bit grayscale or RGB, converted to luminance at 16-bit
/// precision). The resize is cv2's (<see cref="Resampling"/>: INTER_LINEAR for image and ROI, INTER_NEAREST for the
/// mask), the one albumentations' <c>Resize</c> applies in the authors' pipeline, so a pipeline resizing to the store's
/// size passes the stored pixels through unchanged. Splits are exposed as <see cref="IAnnotatedImageSet"/>s.
/// </summary>
public sealed class ImageStore
{
    // 4: resized with cv2's INTER_LINEAR / INTER_NEAREST (3 used an antialiasing triangle filter).
    private const int CacheVersion = 4;
    // Exactly one of the two arrays is used, by bit depth.
    private readonly AnnotatedImage[]? _items;
    private readonly AnnotatedImage16[]? _deep;

    /// <summary>The manifest records held, in manifest order (records skipped at decoding are absent).</summary>
    public IReadOnlyList<ManifestRecord> Records { get; }
    /// <summary>Class labels in code order.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>Working size (square side, pixels).</summary>
    public int Size { get; }
    /// <summary>Items whose decoding failed under <see cref="ImageStoreOptions.SkipInvalid"/>.</summary>
    public IReadOnlyList<SkippedItem> Skipped { get; }
    /// <summary>Images read from the cache.</summary>
    public int CacheHits { get; }
    /// <summary>Images decoded from their source files.</summary>
    public int Decoded { get; }
    /// <summary>
    /// Bytes of pixel memory held: three planes per image, except that planes read from the cache that are entirely 0
    /// (the empty ROI and mask of an image without findings) are one shared array, counted once.
    /// </summary>
    public long FootprintBytes { get; }

    /// <summary>Bits per pixel of the image and ROI planes held.</summary>
    public int BitDepth { get; }

    /// <summary>Number of images held.</summary>
    public int Count => Records.Count;

    private ImageStore(IReadOnlyList<ManifestRecord> records, Stored[] items, int bitDepth, IReadOnlyList<string> classes, int size, IReadOnlyList<SkippedItem> skipped, int hits, int decoded)
    {
        Records = records; Classes = classes; Size = size; Skipped = skipped; CacheHits = hits; Decoded = decoded; BitDepth = bitDepth;
        var distinct = new HashSet<Array>(ReferenceEqualityComparer.Instance);
        if (bitDepth == 16)
        {
            _deep = items.Select(i => i.Sixteen!).ToArray();
            foreach (var d in _deep) { distinct.Add(d.Image); distinct.Add(d.Roi); distinct.Add(d.Mask); }
        }
        else
        {
            _items = items.Select(i => i.Eight!).ToArray();
            foreach (var e in _items) { distinct.Add(e.Image); distinct.Add(e.Roi); distinct.Add(e.Mask); }
        }
        FootprintBytes = distinct.Sum(a => (long)Buffer.ByteLength(a));
    }

    // One decoded example at the store's depth: exactly one of the two is set.
    private sealed record Stored(AnnotatedImage? Eight, AnnotatedImage16? Sixteen);

    private static byte[] To8(ushort[] px)
    {
        var b = new byte[px.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)((px[i] * 255 + 32767) / 65535);
        return b;
    }

    /// <summary>The smallest working size <see cref="Open"/> accepts, in pixels.</summary>
    public const int MinSize = 8;

    /// <summary>The largest working size <see cref="Open"/> accepts, in pixels.</summary>
    public const int MaxSize = 4096;

    /// <summary>
    /// Decodes every record of <paramref name="manifest"/> at <paramref name="size"/>×<paramref name="size"/>.
    /// Throws <see cref="DataException"/> naming the manifest line and image file of the first failure
    /// unless <see cref="ImageStoreOptions.SkipInvalid"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">A size outside <see cref="MinSize"/>..<see cref="MaxSize"/>.</exception>
    /// <example><code>var store = ImageStore.Open(Manifest.Load(csv), 224); IAnnotatedImageSet train = store.Split("train");</code></example>
    public static ImageStore Open(Manifest manifest, int size, ImageStoreOptions? options = null, IProgress? progress = null)
    {
        if (size < MinSize || size > MaxSize) throw new ArgumentException($"ImageStore: expected a working size of {MinSize}..{MaxSize} pixels, found {size}.");
        options ??= new ImageStoreOptions();
        if (options.BitDepth is not (8 or 16)) throw new ArgumentException($"ImageStoreOptions.BitDepth: expected 8 or 16, found {options.BitDepth}.");
        var hashes = options.CacheDirectory is { } cd ? new ContentHashes(cd) : null;
        var recs = manifest.Records;
        var results = new Stored?[recs.Count];
        var failures = new DataException?[recs.Count];
        var fromCache = new bool[recs.Count];
        var gate = new object();
        var zero = new byte[size * size];
        using (var task = (progress ?? SilentProgress.Instance).Start(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"decode {recs.Count} images at {size} px"), recs.Count))
        {
            var po = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
            Parallel.For(0, recs.Count, po, i =>
            {
                try { (results[i], fromCache[i]) = Load(recs[i], manifest.Path, size, options.BitDepth, hashes, zero); }
                catch (DataException e) { failures[i] = e; }
                lock (gate) task.Advance();
            });
        }
        if (hashes is { WriteFailure: null })
        {
            try { hashes.Save(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { hashes.Fail(e); }
        }
        var skipped = new List<SkippedItem>();
        for (int i = 0; i < recs.Count; i++)
            if (failures[i] is { } f)
            {
                if (!options.SkipInvalid) throw f;
                skipped.Add(new SkippedItem(recs[i].FileName, f.File, f.Line, f.Message));
            }
        var keep = Enumerable.Range(0, recs.Count).Where(i => results[i] is not null).ToList();
        return new ImageStore(keep.Select(i => recs[i]).ToList(), keep.Select(i => results[i]!).ToArray(), options.BitDepth, manifest.Classes, size,
            manifest.Skipped.Concat(skipped).ToList(), keep.Count(i => fromCache[i]), keep.Count(i => !fromCache[i]))
        {
            CacheWarning = hashes?.WriteFailure is { } failure
                ? $"the decoded-image cache {Path.GetFullPath(hashes.Directory)} could not be written ({failure}); continued without writing it: every image was decoded and is in memory, and the next run decodes the missing entries again."
                : null,
        };
    }

    /// <summary>
    /// Why the decoded-image cache stopped being written during <see cref="Open"/> (a full disk, no permission), for the caller to
    /// show as a warning; null when the cache was written or not asked for. The store is complete either way.
    /// </summary>
    public string? CacheWarning { get; private init; }

    /// <summary>All held images as one set.</summary>
    public IAnnotatedImageSet All => new Subset(this, Enumerable.Range(0, Count).ToArray(), "all");

    /// <summary>The images of one split (train, valid or test).</summary>
    public IAnnotatedImageSet Split(string split)
    {
        if (!SplitNames.All.Contains(split)) throw new ArgumentException($"Unknown split '{split}': expected train, valid or test.", nameof(split));
        return new Subset(this, Enumerable.Range(0, Count).Where(i => Records[i].Split == split).ToArray(), split);
    }

    /// <summary>The decoded image at store index <paramref name="index"/> (8-bit; converted on the fly from a 16-bit store).</summary>
    public AnnotatedImage Get(int index)
    {
        if (_items is not null) return _items[index];
        var d = _deep![index];
        return new AnnotatedImage(d.Height, d.Width, To8(d.Image), To8(d.Roi), d.Mask, d.Label);
    }

    /// <summary>The decoded image at store index <paramref name="index"/> at 16 bits (exact only for a 16-bit store).</summary>
    public AnnotatedImage16 GetDeep(int index)
    {
        if (_deep is not null) return _deep[index];
        var a = _items![index];
        return new AnnotatedImage16(a.Height, a.Width, a.Image.Select(v => (ushort)(v * 257)).ToArray(), a.Roi.Select(v => (ushort)(v * 257)).ToArray(), a.Mask, a.Label);
    }

    /// <summary>A view of some store indices.</summary>
    public sealed class Subset : IAnnotatedImageSet
    {
        private readonly ImageStore _store;
        private readonly int[] _indices;
        internal Subset(ImageStore store, int[] indices, string name) { _store = store; _indices = indices; Name = name; }
        /// <summary>Split name, or "all".</summary>
        public string Name { get; }
        /// <inheritdoc />
        public int Count => _indices.Length;
        /// <inheritdoc />
        public IReadOnlyList<string> Classes => _store.Classes;
        /// <inheritdoc />
        public int LabelOf(int index) => _store.Records[_indices[index]].ClassCode;
        /// <inheritdoc />
        public AnnotatedImage Get(int index) => _store.Get(_indices[index]);
        /// <summary>The manifest record of example <paramref name="index"/>.</summary>
        public ManifestRecord RecordOf(int index) => _store.Records[_indices[index]];
    }

    // Decodes and resamples at 16 bits, then rounds once to 8 bits for an 8-bit store; the cache holds the store's depth
    // (an 8-bit entry is 3 size² bytes, a 16-bit one 5 size²), keyed separately.
    private static (Stored, bool) Load(ManifestRecord r, string manifestPath, int size, int depth, ContentHashes? hashes, byte[] zero)
    {
        string? cachePath = null;
        if (hashes is not null)
        {
            // The key is built from per-file content hashes (memoised by path, length and modification time, as git's
            // index does) so that a warm run reads neither the sources nor hashes them again.
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(BitConverter.GetBytes(CacheVersion)); sha.AppendData(BitConverter.GetBytes(size)); sha.AppendData(BitConverter.GetBytes(depth));
            sha.AppendData(hashes.Of(r.ImagePath, manifestPath, r.Line));
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(r.Annotation.GetType().Name));
            switch (r.Annotation)
            {
                case RoiImageAnnotation a:
                    sha.AppendData(hashes.Of(a.RoiPath, manifestPath, r.Line));
                    if (a.MaskPath is not null) sha.AppendData(hashes.Of(a.MaskPath, manifestPath, r.Line));
                    break;
                case MaskImageAnnotation m: sha.AppendData(hashes.Of(m.MaskPath, manifestPath, r.Line)); break;
                default: sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Canonical(r.Annotation))); break;
            }
            cachePath = Path.Combine(hashes.Directory, Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant() + ".px");
            if (TryReadCache(cachePath, size, depth, r.ClassCode, zero) is { } hit) return (hit, true);
        }
        var imageBytes = ReadBytes(r.ImagePath, manifestPath, r.Line);
        var (w, h, image) = Decode(imageBytes, r.ImagePath, manifestPath, r.Line);
        if (w != r.Width || h != r.Height)
            throw new DataException(manifestPath, r.Line, null, $"image file {r.ImagePath} decoded to {w}×{h}, but its header said {r.Width}×{r.Height}.");
        ushort[] roi; byte[] mask01;
        switch (r.Annotation)
        {
            case RoiImageAnnotation a:
            {
                roi = DecodeSameSize(a.RoiPath, "ROI", w, h, manifestPath, r.Line);
                mask01 = a.MaskPath is null ? Binarise(roi) : Binarise(DecodeSameSize(a.MaskPath, "mask", w, h, manifestPath, r.Line));
                break;
            }
            case MaskImageAnnotation m:
                mask01 = Binarise(DecodeSameSize(m.MaskPath, "mask", w, h, manifestPath, r.Line));
                roi = Apply(image, mask01);
                break;
            case BoxAnnotation b: mask01 = AnnotationRaster.Boxes(b.Boxes, w, h); roi = Apply(image, mask01); break;
            case PolygonAnnotation p: mask01 = AnnotationRaster.Polygons(p.Regions, w, h); roi = Apply(image, mask01); break;
            default: throw new InvalidOperationException($"Unsupported annotation {r.Annotation.GetType().Name}.");
        }
        // What the authors' network sees is cv2's resize of the original (albumentations' Resize: INTER_LINEAR for the
        // image and ROI, INTER_NEAREST for the mask), so the store resizes once with exactly that and the pipeline's
        // Resize to the same size passes the pixels through. An 8-bit store rounds the decoded pixels to 8 bits first,
        // as cv2.imread does for the 8-bit files the authors used; a 16-bit store resizes at 16 bits.
        for (int i = 0; i < mask01.Length; i++) mask01[i] = mask01[i] != 0 ? (byte)255 : (byte)0;
        var mask = new byte[size * size];
        Resampling.Nearest(mask01, h, w, mask, size, size);
        Stored stored;
        if (depth == 16)
        {
            ushort[] image16 = new ushort[size * size], roi16 = new ushort[size * size];
            Resampling.Linear(image, h, w, image16, size, size);
            Resampling.Linear(roi, h, w, roi16, size, size);
            stored = new Stored(null, new AnnotatedImage16(size, size, image16, roi16, mask, r.ClassCode));
        }
        else
        {
            byte[] image8 = new byte[size * size], roi8 = new byte[size * size];
            Resampling.Linear(To8(image), h, w, image8, size, size);
            Resampling.Linear(To8(roi), h, w, roi8, size, size);
            stored = new Stored(new AnnotatedImage(size, size, image8, roi8, mask, r.ClassCode), null);
        }
        // The cache is optional: once a write to it fails (a full disk, no permission), this open stops writing to it and
        // the images decoded are used as they are.
        if (cachePath is not null && hashes!.WriteFailure is null)
        {
            try { WriteCache(cachePath, stored); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { hashes.Fail(e); }
        }
        return (stored, false);
    }

    private static byte[] ReadBytes(string path, string manifestPath, int line)
    {
        try { return File.ReadAllBytes(path); }
        catch (IOException e) { throw new DataException(manifestPath, line, null, $"cannot read {path}: {e.Message}"); }
    }


    private static string Canonical(Annotation a) => a switch
    {
        BoxAnnotation b => string.Join(";", b.Boxes.Select(x => FormattableString.Invariant($"{x.X:R},{x.Y:R},{x.Width:R},{x.Height:R}"))),
        PolygonAnnotation p => string.Join(";", p.Regions.Select(reg => string.Join(" ", reg.Select(v => FormattableString.Invariant($"{v.X:R},{v.Y:R}"))))),
        _ => a.ToString(),
    };

    /// <summary>Decodes to 16-bit luminance (an 8-bit file's level v becomes 257·v, so rounding to 8 bits recovers it).</summary>
    private static (int W, int H, ushort[] Pixels) Decode(byte[] bytes, string path, string manifestPath, int line)
    {
        try
        {
            using var img = Image.Load<L16>(bytes);
            var px = new ushort[img.Width * img.Height];
            img.ProcessPixelRows(acc =>
            {
                for (int y = 0; y < acc.Height; y++)
                {
                    var row = acc.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++) px[y * acc.Width + x] = row[x].PackedValue;
                }
            });
            return (img.Width, img.Height, px);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException or IndexOutOfRangeException or ArgumentException)
        {
            throw new DataException(manifestPath, line, null, $"image file {path}: expected a decodable image, found corrupt or truncated data ({e.GetType().Name}: {e.Message}).");
        }
    }

    private static ushort[] DecodeSameSize(string path, string role, int w, int h, string manifestPath, int line)
    {
        var (mw, mh, px) = Decode(ReadBytes(path, manifestPath, line), path, manifestPath, line);
        if (mw != w || mh != h) throw new DataException(manifestPath, line, null, $"{role} file {path} is {mw}×{mh}, expected the image's size {w}×{h}.");
        return px;
    }

    private static byte[] Binarise(ushort[] px)
    {
        var m = new byte[px.Length];
        for (int i = 0; i < m.Length; i++) m[i] = px[i] > 0 ? (byte)1 : (byte)0;
        return m;
    }

    private static ushort[] Apply(ushort[] image, byte[] mask01)
    {
        var r = new ushort[image.Length];
        for (int i = 0; i < r.Length; i++) r[i] = mask01[i] != 0 ? image[i] : (ushort)0;
        return r;
    }

    // Cache file: "PKPX", version, height, width, the XxHash3 of the pixel bytes that follow, then the image and ROI planes
    // (8-bit, or 16-bit little-endian) and the mask. The checksum catches entries damaged after they were written
    // (atomic writes already rule out torn ones): a mismatch is a miss, so the images are decoded again and the entry rewritten.
    private const int HeaderBytes = 24;

    private static void WriteCache(string path, Stored item)
    {
        var planes = Planes(item);
        var checksum = new XxHash3();
        foreach (var p in planes) checksum.Append(p);
        AtomicFile.WriteStream(path, s =>
        {
            using var w = new BinaryWriter(s);
            var (h, wd) = item.Eight is { } e ? (e.Height, e.Width) : (item.Sixteen!.Height, item.Sixteen.Width);
            w.Write("PKPX"u8); w.Write(CacheVersion); w.Write(h); w.Write(wd); w.Write(checksum.GetCurrentHashAsUInt64());
            foreach (var p in planes) w.Write(p);
        });
    }

    private static byte[][] Planes(Stored item) => item.Eight is { } e
        ? [e.Image, e.Roi, e.Mask]
        : [MemoryMarshal.AsBytes(item.Sixteen!.Image.AsSpan()).ToArray(), MemoryMarshal.AsBytes(item.Sixteen.Roi.AsSpan()).ToArray(), item.Sixteen.Mask];

    // A hit costs one open, one read into a per-thread scratch buffer that stays mapped, the checksum over it and one copy
    // per plane into memory the store keeps. On the sandboxed 2-core machine the first touch of a page is what a load
    // costs (measured by `pneuknow bench data`), so a plane that is entirely 0 (the empty ROI and mask of an image
    // without findings, most of a chest X-ray set) is not copied but shared: the store's one zero plane of this size,
    // which nothing writes to (transforms work on copies). The planes kept are allocated uninitialised on the pinned
    // heap: they live as long as the store, so the GC never copies (and thereby touches fresh pages for) them.
    [ThreadStatic] private static byte[]? _scratch;

    private static Stored? TryReadCache(string path, int size, int depth, int label, byte[] zero)
    {
        if (!BitConverter.IsLittleEndian) return null; // 16-bit planes are stored little-endian
        int n = size * size;
        SafeFileHandle handle;
        try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        using (handle)
        {
            var head = new byte[HeaderBytes];
            var beyond = new byte[1]; // filled only if the file is longer than expected
            if (depth == 8)
            {
                if (_scratch is null || _scratch.Length != 3 * n) _scratch = new byte[3 * n];
                var body = _scratch;
                long got = RandomAccess.Read(handle, new Memory<byte>[] { head, body, beyond }, 0);
                if (got != HeaderBytes + 3L * n || !Intact(head, size, body.AsSpan(0, n), body.AsSpan(n, n), body.AsSpan(2 * n, n))) return null;
                byte[] Keep(int plane)
                {
                    var src = body.AsSpan(plane * n, n);
                    if (!src.ContainsAnyExcept((byte)0)) return zero;
                    var kept = GC.AllocateUninitializedArray<byte>(n, pinned: true);
                    src.CopyTo(kept);
                    return kept;
                }
                return new Stored(new AnnotatedImage(size, size, Keep(0), Keep(1), Keep(2), label), null);
            }
            var mask = GC.AllocateUninitializedArray<byte>(n, pinned: true);
            ushort[] image16 = GC.AllocateUninitializedArray<ushort>(n, pinned: true), roi16 = GC.AllocateUninitializedArray<ushort>(n, pinned: true);
            long offset = ReadFully(handle, head, 0);
            offset += ReadFully(handle, MemoryMarshal.AsBytes(image16.AsSpan()), offset);
            offset += ReadFully(handle, MemoryMarshal.AsBytes(roi16.AsSpan()), offset);
            offset += ReadFully(handle, mask, offset);
            offset += ReadFully(handle, beyond, offset);
            if (offset != HeaderBytes + 5L * n
                || !Intact(head, size, MemoryMarshal.AsBytes(image16.AsSpan()), MemoryMarshal.AsBytes(roi16.AsSpan()), mask)) return null;
            return new Stored(null, new AnnotatedImage16(size, size, image16, roi16, mask, label));
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int r = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (r == 0) break;
            total += r;
        }
        return total;
    }

    // Header of this version and size, and the pixels hash to the checksum written with them; anything else is stale or damaged.
    private static bool Intact(ReadOnlySpan<byte> head, int size, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        if (!head[..4].SequenceEqual("PKPX"u8) || BinaryPrimitives.ReadInt32LittleEndian(head[4..]) != CacheVersion
            || BinaryPrimitives.ReadInt32LittleEndian(head[8..]) != size || BinaryPrimitives.ReadInt32LittleEndian(head[12..]) != size)
            return false;
        var checksum = new XxHash3();
        checksum.Append(a); checksum.Append(b); checksum.Append(c);
        return checksum.GetCurrentHashAsUInt64() == BinaryPrimitives.ReadUInt64LittleEndian(head[16..]);
    }
}

/// <summary>
/// SHA-256 of source files, memoised in <c>hashes.tsv</c> of the cache folder by full path, length and last-write time;
/// a file whose length or time changed is hashed again.
/// </summary>
internal sealed class ContentHashes
{
    private const string IndexName = "hashes.tsv";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, long Ticks, byte[] Hash)> _memo = new(StringComparer.Ordinal);
    private bool _changed;
    private string? _failure;

    public string Directory { get; }

    /// <summary>Why writing to the cache failed (its first failure); null while it works.</summary>
    public string? WriteFailure => Volatile.Read(ref _failure);

    /// <summary>Records the first failed write; the store stops writing to the cache after it.</summary>
    public void Fail(Exception e) =>
        Interlocked.CompareExchange(ref _failure, PneuKnow.Runtime.DiskFull.Find(e) is not null ? $"no space left on the device: {e.Message}" : e.Message, null);

    public ContentHashes(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        var index = Path.Combine(directory, IndexName);
        if (!File.Exists(index)) return;
        foreach (var line in File.ReadLines(index))
        {
            var f = line.Split('\t');
            // A damaged index only costs re-hashing: skip lines that do not parse.
            if (f.Length == 4 && long.TryParse(f[1], out var len) && long.TryParse(f[2], out var ticks) && f[3].Length == 64)
                _memo[f[0]] = (len, ticks, Convert.FromHexString(f[3]));
        }
    }

    public byte[] Of(string path, string manifestPath, int line)
    {
        FileInfo info = new(path);
        if (!info.Exists) throw new DataException(manifestPath, line, null, $"missing file {path}.");
        long ticks = info.LastWriteTimeUtc.Ticks;
        if (_memo.TryGetValue(path, out var m) && m.Length == info.Length && m.Ticks == ticks) return m.Hash;
        byte[] hash;
        try { using var s = File.OpenRead(path); hash = SHA256.HashData(s); }
        catch (IOException e) { throw new DataException(manifestPath, line, null, $"cannot read {path}: {e.Message}"); }
        _memo[path] = (info.Length, ticks, hash);
        _changed = true;
        return hash;
    }

    public void Save()
    {
        if (!_changed) return;
        var sb = new System.Text.StringBuilder();
        foreach (var (path, (len, ticks, hash)) in _memo.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(path).Append('\t').Append(len).Append('\t').Append(ticks).Append('\t').Append(Convert.ToHexString(hash).ToLowerInvariant()).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(Directory, IndexName), sb.ToString());
    }
}

/// <summary>
/// OpenCV's <c>cv2.resize</c> of one plane, the resize albumentations' <c>Resize</c> calls: <see cref="Linear(ReadOnlySpan{byte}, int, int, Span{byte}, int, int)"/>
/// (<c>INTER_LINEAR</c>) for pictures and <see cref="Nearest"/> (<c>INTER_NEAREST</c>) for masks. The image store resizes with
/// these once at load, so what a network sees is cv2's resize of the original, as in the authors' pipeline.
/// </summary>
public static class Resampling
{
    // cv2 computes the scale as 1 / (dst / src), not src / dst; the two can differ in the last bit.
    static double Scale(int src, int dst) => 1.0 / ((double)dst / src);

    // cv2 turns INTER_LINEAR into INTER_AREA when both sides shrink by exactly 2 (resize.cpp, is_area_fast).
    static bool Halving(int srcHeight, int srcWidth, int dstHeight, int dstWidth) => srcHeight == 2 * dstHeight && srcWidth == 2 * dstWidth;

    /// <summary>
    /// <c>cv2.resize(src, (dstWidth, dstHeight), interpolation=INTER_LINEAR)</c> of an 8-bit plane, to the grey level:
    /// half-pixel centres, edge replication, 11-bit fixed-point weights with OpenCV's rounding, and OpenCV's switch to a
    /// 2×2 average (INTER_AREA) for an exact halving.
    /// </summary>
    /// <exception cref="ArgumentException">A plane whose length is not its height × width.</exception>
    public static void Linear(ReadOnlySpan<byte> src, int srcHeight, int srcWidth, Span<byte> dst, int dstHeight, int dstWidth)
    {
        Check(src.Length, srcHeight, srcWidth, nameof(src));
        Check(dst.Length, dstHeight, dstWidth, nameof(dst));
        if (srcHeight == dstHeight && srcWidth == dstWidth) { src.CopyTo(dst); return; }
        if (Halving(srcHeight, srcWidth, dstHeight, dstWidth))
        {
            for (var y = 0; y < dstHeight; y++)
            {
                ReadOnlySpan<byte> r0 = src.Slice(2 * y * srcWidth, srcWidth), r1 = src.Slice((2 * y + 1) * srcWidth, srcWidth);
                for (var x = 0; x < dstWidth; x++) dst[y * dstWidth + x] = (byte)((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) >> 2);
            }
            return;
        }
        const int coefScale = 1 << 11;
        var (xo, xa) = Taps(srcWidth, dstWidth);
        var (yo, ya) = Taps(srcHeight, dstHeight);
        short Fixed(float v) => (short)Math.Clamp((int)MathF.Round(v * coefScale), short.MinValue, short.MaxValue);
        var xw = xa.Select(Fixed).ToArray();
        var yw = ya.Select(Fixed).ToArray();
        // Horizontal pass into int rows (scaled by 2^11), then the vertical pass with OpenCV's vectorised
        // VResizeLinear rounding: ((b0·(r0>>4))>>16 + (b1·(r1>>4))>>16 + 2) >> 2.
        var rows = new int[2 * dstWidth];
        var h0 = rows.AsSpan(0, dstWidth);
        var h1 = rows.AsSpan(dstWidth, dstWidth);
        int cached0 = -1, cached1 = -1;
        for (var y = 0; y < dstHeight; y++)
        {
            var sy = yo[y];
            var sy1 = Math.Min(sy + 1, srcHeight - 1);
            if (cached0 != sy)
            {
                if (cached1 == sy) h1.CopyTo(h0); else HorizontalRow(src.Slice(sy * srcWidth, srcWidth), xo, xw, h0);
                cached0 = sy;
            }
            if (cached1 != sy1)
            {
                HorizontalRow(src.Slice(sy1 * srcWidth, srcWidth), xo, xw, h1);
                cached1 = sy1;
            }
            int b0 = yw[2 * y], b1 = yw[2 * y + 1];
            var row = dst.Slice(y * dstWidth, dstWidth);
            for (var x = 0; x < dstWidth; x++)
            {
                var v = (((b0 * (h0[x] >> 4)) >> 16) + ((b1 * (h1[x] >> 4)) >> 16) + 2) >> 2;
                row[x] = (byte)Math.Clamp(v, 0, 255);
            }
        }
    }

    /// <summary>
    /// <c>cv2.resize(..., interpolation=INTER_LINEAR)</c> sampling of a 16-bit plane: the same taps as the 8-bit resize with
    /// float weights, rounded to the nearest level, as OpenCV computes 16-bit images (the 16-bit store; not checked bit by bit).
    /// </summary>
    /// <exception cref="ArgumentException">A plane whose length is not its height × width.</exception>
    public static void Linear(ReadOnlySpan<ushort> src, int srcHeight, int srcWidth, Span<ushort> dst, int dstHeight, int dstWidth)
    {
        Check(src.Length, srcHeight, srcWidth, nameof(src));
        Check(dst.Length, dstHeight, dstWidth, nameof(dst));
        if (srcHeight == dstHeight && srcWidth == dstWidth) { src.CopyTo(dst); return; }
        if (Halving(srcHeight, srcWidth, dstHeight, dstWidth))
        {
            for (var y = 0; y < dstHeight; y++)
            {
                ReadOnlySpan<ushort> r0 = src.Slice(2 * y * srcWidth, srcWidth), r1 = src.Slice((2 * y + 1) * srcWidth, srcWidth);
                for (var x = 0; x < dstWidth; x++) dst[y * dstWidth + x] = (ushort)((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) >> 2);
            }
            return;
        }
        var (xo, xa) = Taps(srcWidth, dstWidth);
        var (yo, ya) = Taps(srcHeight, dstHeight);
        var horizontal = new float[srcHeight * dstWidth];
        for (var y = 0; y < srcHeight; y++)
        {
            var s = src.Slice(y * srcWidth, srcWidth);
            for (var x = 0; x < dstWidth; x++)
                horizontal[y * dstWidth + x] = s[xo[x]] * xa[2 * x] + s[Math.Min(xo[x] + 1, srcWidth - 1)] * xa[2 * x + 1];
        }
        for (var y = 0; y < dstHeight; y++)
        {
            int r0 = yo[y] * dstWidth, r1 = Math.Min(yo[y] + 1, srcHeight - 1) * dstWidth;
            for (var x = 0; x < dstWidth; x++)
                dst[y * dstWidth + x] = (ushort)Math.Clamp(MathF.Round(ya[2 * y] * horizontal[r0 + x] + ya[2 * y + 1] * horizontal[r1 + x]), 0f, 65535f);
        }
    }

    static void HorizontalRow(ReadOnlySpan<byte> s, int[] xo, short[] xa, Span<int> d)
    {
        var last = s.Length - 1;
        for (var x = 0; x < d.Length; x++)
        {
            var sx = xo[x];
            d[x] = s[sx] * xa[2 * x] + s[Math.Min(sx + 1, last)] * xa[2 * x + 1];
        }
    }

    // Source index and the two weights (1 − f, f) of each destination index, as cv2's resize computes them in float;
    // outside the source the weight moves entirely onto the edge pixel.
    static (int[] Offsets, float[] Weights) Taps(int srcSize, int dstSize)
    {
        var scale = Scale(srcSize, dstSize);
        var offsets = new int[dstSize];
        var weights = new float[2 * dstSize];
        for (var d = 0; d < dstSize; d++)
        {
            var f = (float)((d + 0.5) * scale - 0.5);
            var s = (int)MathF.Floor(f);
            f -= s;
            if (s < 0) { f = 0; s = 0; }
            if (s >= srcSize - 1) { f = 0; s = srcSize - 1; }
            offsets[d] = s;
            weights[2 * d] = 1f - f;
            weights[2 * d + 1] = f;
        }
        return (offsets, weights);
    }

    /// <summary><c>cv2.resize(..., interpolation=INTER_NEAREST)</c> of one plane (masks): source index floor(d · src / dst).</summary>
    /// <exception cref="ArgumentException">A plane whose length is not its height × width.</exception>
    public static void Nearest(ReadOnlySpan<byte> src, int srcHeight, int srcWidth, Span<byte> dst, int dstHeight, int dstWidth)
    {
        Check(src.Length, srcHeight, srcWidth, nameof(src));
        Check(dst.Length, dstHeight, dstWidth, nameof(dst));
        double fx = Scale(srcWidth, dstWidth), fy = Scale(srcHeight, dstHeight);
        var xo = new int[dstWidth];
        for (var x = 0; x < dstWidth; x++) xo[x] = Math.Min((int)Math.Floor(x * fx), srcWidth - 1);
        for (var y = 0; y < dstHeight; y++)
        {
            var s = src.Slice(Math.Min((int)Math.Floor(y * fy), srcHeight - 1) * srcWidth, srcWidth);
            var row = dst.Slice(y * dstWidth, dstWidth);
            for (var x = 0; x < dstWidth; x++) row[x] = s[xo[x]];
        }
    }

    static void Check(int length, int height, int width, string name)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"{name}: expected a positive size, found {height}×{width}", name);
        if (length != height * width) throw new ArgumentException($"{name}: expected {height}×{width} = {height * width} values, found {length}", name);
    }
}
