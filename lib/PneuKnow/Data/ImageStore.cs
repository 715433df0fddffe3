using System.Security.Cryptography;
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
}

/// <summary>
/// The decoded dataset: every manifest image, its ROI and mask resized once to a square working size and kept in memory
/// as 8-bit planes. Decoding reads PNG/JPEG/TIFF (8/16-bit grayscale or RGB, converted to luminance at 16-bit
/// precision before resizing). Splits are exposed as <see cref="IAnnotatedImageSet"/>s.
/// </summary>
public sealed class ImageStore
{
    private const int CacheVersion = 1;
    private readonly AnnotatedImage[] _items;

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
    /// <summary>Bytes of pixel memory held (three planes per image).</summary>
    public long FootprintBytes => (long)_items.Length * 3 * Size * Size;

    private ImageStore(IReadOnlyList<ManifestRecord> records, AnnotatedImage[] items, IReadOnlyList<string> classes, int size, IReadOnlyList<SkippedItem> skipped, int hits, int decoded)
    {
        Records = records; _items = items; Classes = classes; Size = size; Skipped = skipped; CacheHits = hits; Decoded = decoded;
    }

    /// <summary>
    /// Decodes every record of <paramref name="manifest"/> at <paramref name="size"/>×<paramref name="size"/>.
    /// Throws <see cref="DataException"/> naming the manifest line and image file of the first failure
    /// unless <see cref="ImageStoreOptions.SkipInvalid"/> is set.
    /// </summary>
    /// <example><code>var store = ImageStore.Open(Manifest.Load(csv), 224); IAnnotatedImageSet train = store.Split("train");</code></example>
    public static ImageStore Open(Manifest manifest, int size, ImageStoreOptions? options = null, IProgress? progress = null)
    {
        if (size < 8 || size > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "expected a working size of 8..4096 pixels");
        options ??= new ImageStoreOptions();
        if (options.CacheDirectory is { } cd) Directory.CreateDirectory(cd);
        var recs = manifest.Records;
        var results = new AnnotatedImage?[recs.Count];
        var failures = new DataException?[recs.Count];
        var fromCache = new bool[recs.Count];
        var gate = new object();
        using (var task = (progress ?? SilentProgress.Instance).Start("decode", recs.Count))
        {
            var po = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
            Parallel.For(0, recs.Count, po, i =>
            {
                try { (results[i], fromCache[i]) = Load(recs[i], manifest.Path, size, options.CacheDirectory); }
                catch (DataException e) { failures[i] = e; }
                lock (gate) task.Advance();
            });
        }
        var skipped = new List<SkippedItem>();
        for (int i = 0; i < recs.Count; i++)
            if (failures[i] is { } f)
            {
                if (!options.SkipInvalid) throw f;
                skipped.Add(new SkippedItem(recs[i].FileName, f.File, f.Line, f.Message));
            }
        var keep = Enumerable.Range(0, recs.Count).Where(i => results[i] is not null).ToList();
        return new ImageStore(keep.Select(i => recs[i]).ToList(), keep.Select(i => results[i]!).ToArray(), manifest.Classes, size,
            manifest.Skipped.Concat(skipped).ToList(), keep.Count(i => fromCache[i]), keep.Count(i => !fromCache[i]));
    }

    /// <summary>All held images as one set.</summary>
    public IAnnotatedImageSet All => new Subset(this, Enumerable.Range(0, _items.Length).ToArray(), "all");

    /// <summary>The images of one split (train, valid or test).</summary>
    public IAnnotatedImageSet Split(string split)
    {
        if (!SplitNames.All.Contains(split)) throw new ArgumentException($"Unknown split '{split}': expected train, valid or test.", nameof(split));
        return new Subset(this, Enumerable.Range(0, _items.Length).Where(i => Records[i].Split == split).ToArray(), split);
    }

    /// <summary>The decoded image at store index <paramref name="index"/>.</summary>
    public AnnotatedImage Get(int index) => _items[index];

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
        public AnnotatedImage Get(int index) => _store._items[_indices[index]];
        /// <summary>The manifest record of example <paramref name="index"/>.</summary>
        public ManifestRecord RecordOf(int index) => _store.Records[_indices[index]];
    }

    private static (AnnotatedImage, bool) Load(ManifestRecord r, string manifestPath, int size, string? cacheDir)
    {
        var imageBytes = ReadBytes(r.ImagePath, manifestPath, r.Line);
        byte[]? annBytes = r.Annotation switch
        {
            RoiImageAnnotation a => Concat(ReadBytes(a.RoiPath, manifestPath, r.Line), a.MaskPath is null ? [] : ReadBytes(a.MaskPath, manifestPath, r.Line)),
            MaskImageAnnotation m => ReadBytes(m.MaskPath, manifestPath, r.Line),
            _ => System.Text.Encoding.UTF8.GetBytes(Canonical(r.Annotation)),
        };
        string? cachePath = null;
        if (cacheDir is not null)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(BitConverter.GetBytes(CacheVersion)); sha.AppendData(BitConverter.GetBytes(size));
            sha.AppendData(BitConverter.GetBytes(imageBytes.Length)); sha.AppendData(imageBytes);
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(r.Annotation.GetType().Name)); sha.AppendData(annBytes);
            cachePath = Path.Combine(cacheDir, Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant() + ".px");
            if (File.Exists(cachePath) && TryReadCache(cachePath, size, r.ClassCode) is { } hit) return (hit, true);
        }
        var (w, h, image) = Decode(imageBytes, r.ImagePath, manifestPath, r.Line);
        if (w != r.Width || h != r.Height)
            throw new DataException(manifestPath, r.Line, null, $"image file {r.ImagePath} decoded to {w}×{h}, but its header said {r.Width}×{r.Height}.");
        float[] roi; byte[] mask01;
        switch (r.Annotation)
        {
            case RoiImageAnnotation a:
            {
                roi = DecodeSameSize(a.RoiPath, "ROI", w, h, manifestPath, r.Line);
                mask01 = a.MaskPath is null ? roi.Select(v => v > 0 ? (byte)1 : (byte)0).ToArray() : Binarise(DecodeSameSize(a.MaskPath, "mask", w, h, manifestPath, r.Line));
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
        var maskF = mask01.Select(v => (float)v).ToArray();
        var item = new AnnotatedImage(size, size,
            ToBytes(Resampling.Resize(image, w, h, size, size), 255f),
            ToBytes(Resampling.Resize(roi, w, h, size, size), 255f),
            Resampling.Resize(maskF, w, h, size, size).Select(v => v >= 0.5f ? (byte)255 : (byte)0).ToArray(),
            r.ClassCode);
        if (cachePath is not null) WriteCache(cachePath, item);
        return (item, false);
    }

    private static byte[] ReadBytes(string path, string manifestPath, int line)
    {
        try { return File.ReadAllBytes(path); }
        catch (IOException e) { throw new DataException(manifestPath, line, null, $"cannot read {path}: {e.Message}"); }
    }

    private static byte[] Concat(byte[] a, byte[] b) { var c = new byte[a.Length + b.Length]; a.CopyTo(c, 0); b.CopyTo(c, a.Length); return c; }

    private static string Canonical(Annotation a) => a switch
    {
        BoxAnnotation b => string.Join(";", b.Boxes.Select(x => FormattableString.Invariant($"{x.X:R},{x.Y:R},{x.Width:R},{x.Height:R}"))),
        PolygonAnnotation p => string.Join(";", p.Regions.Select(reg => string.Join(" ", reg.Select(v => FormattableString.Invariant($"{v.X:R},{v.Y:R}"))))),
        _ => a.ToString(),
    };

    /// <summary>Decodes to luminance in [0, 1] at 16-bit precision.</summary>
    private static (int W, int H, float[] Pixels) Decode(byte[] bytes, string path, string manifestPath, int line)
    {
        try
        {
            using var img = Image.Load<L16>(bytes);
            var px = new float[img.Width * img.Height];
            img.ProcessPixelRows(acc =>
            {
                for (int y = 0; y < acc.Height; y++)
                {
                    var row = acc.GetRowSpan(y);
                    for (int x = 0; x < row.Length; x++) px[y * acc.Width + x] = row[x].PackedValue / 65535f;
                }
            });
            return (img.Width, img.Height, px);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException or IndexOutOfRangeException or ArgumentException)
        {
            throw new DataException(manifestPath, line, null, $"image file {path}: expected a decodable image, found corrupt or truncated data ({e.GetType().Name}: {e.Message}).");
        }
    }

    private static float[] DecodeSameSize(string path, string role, int w, int h, string manifestPath, int line)
    {
        var (mw, mh, px) = Decode(ReadBytes(path, manifestPath, line), path, manifestPath, line);
        if (mw != w || mh != h) throw new DataException(manifestPath, line, null, $"{role} file {path} is {mw}×{mh}, expected the image's size {w}×{h}.");
        return px;
    }

    private static byte[] Binarise(float[] px) => px.Select(v => v > 0 ? (byte)1 : (byte)0).ToArray();

    private static float[] Apply(float[] image, byte[] mask01)
    {
        var r = new float[image.Length];
        for (int i = 0; i < r.Length; i++) r[i] = mask01[i] != 0 ? image[i] : 0f;
        return r;
    }

    private static byte[] ToBytes(float[] px, float scale)
    {
        var b = new byte[px.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)Math.Clamp(MathF.Round(px[i] * scale), 0f, 255f);
        return b;
    }

    // Cache file: "PKPX", version, size, then image, ROI and mask planes.
    private static void WriteCache(string path, AnnotatedImage item)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s);
            w.Write("PKPX"u8); w.Write(CacheVersion); w.Write(item.Height); w.Write(item.Width);
            w.Write(item.Image); w.Write(item.Roi); w.Write(item.Mask);
        });
    }

    private static AnnotatedImage? TryReadCache(string path, int size, int label)
    {
        var b = File.ReadAllBytes(path);
        int n = size * size;
        if (b.Length != 16 + 3 * n || b[0] != 'P' || b[1] != 'K' || b[2] != 'P' || b[3] != 'X'
            || BitConverter.ToInt32(b, 4) != CacheVersion || BitConverter.ToInt32(b, 8) != size || BitConverter.ToInt32(b, 12) != size)
            return null; // stale or foreign: decode again and overwrite
        return new AnnotatedImage(size, size, b[16..(16 + n)], b[(16 + n)..(16 + 2 * n)], b[(16 + 2 * n)..], label);
    }
}

/// <summary>Separable resampling with a triangle filter widened by the scale factor (area-like when shrinking, bilinear when enlarging).</summary>
public static class Resampling
{
    /// <summary>Resizes a row-major float plane from <paramref name="w"/>×<paramref name="h"/> to <paramref name="ow"/>×<paramref name="oh"/>.</summary>
    public static float[] Resize(float[] src, int w, int h, int ow, int oh)
    {
        if (w == ow && h == oh) return (float[])src.Clone();
        var (xi, xw) = Weights(w, ow);
        var (yi, yw) = Weights(h, oh);
        var tmp = new float[ow * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ow; x++)
            {
                float acc = 0; var idx = xi[x]; var wt = xw[x];
                for (int k = 0; k < idx.Length; k++) acc += wt[k] * src[y * w + idx[k]];
                tmp[y * ow + x] = acc;
            }
        var dst = new float[ow * oh];
        for (int y = 0; y < oh; y++)
        {
            var idx = yi[y]; var wt = yw[y];
            for (int x = 0; x < ow; x++)
            {
                float acc = 0;
                for (int k = 0; k < idx.Length; k++) acc += wt[k] * tmp[idx[k] * ow + x];
                dst[y * ow + x] = acc;
            }
        }
        return dst;
    }

    private static (int[][] Index, float[][] Weight) Weights(int n, int on)
    {
        double scale = (double)n / on, support = Math.Max(1.0, scale);
        var idx = new int[on][]; var wts = new float[on][];
        for (int o = 0; o < on; o++)
        {
            double centre = (o + 0.5) * scale;
            int lo = (int)Math.Floor(centre - support), hi = (int)Math.Ceiling(centre + support);
            var li = new List<int>(); var lw = new List<double>();
            for (int s = lo; s <= hi; s++)
            {
                double wgt = 1 - Math.Abs((s + 0.5 - centre) / support);
                if (wgt <= 0) continue;
                li.Add(Math.Clamp(s, 0, n - 1)); lw.Add(wgt);
            }
            double sum = lw.Sum();
            idx[o] = li.ToArray(); wts[o] = lw.Select(v => (float)(v / sum)).ToArray();
        }
        return (idx, wts);
    }
}
