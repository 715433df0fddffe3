using PneuKnow.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Data;

public class ManifestFormatTests
{
    private static readonly AnnotationFormat[] Formats = [AnnotationFormat.RoiImages, AnnotationFormat.MaskImages, AnnotationFormat.RsnaBoxes, AnnotationFormat.Polygons];

    [Fact]
    public void Four_annotation_formats_load_to_the_same_records_and_pixels()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        // The authors' layout without masks/ derives the mask from ROI > 0; include that variant too.
        using var t2 = new TempDir();
        DatasetBuilder.WriteAll(t2.Path, withMasks: false);
        var loaded = Formats.Select(f => Manifest.Load(t["manifest.csv"], new ManifestOptions { Format = f }))
            .Append(Manifest.Load(t2["manifest.csv"])).ToList();
        foreach (var m in loaded)
        {
            Assert.Equal(["B", "C", "NB", "P", "V"], m.Classes);
            Assert.Equal(DatasetBuilder.Items.Select(i => (i.File, i.Label, i.Split, i.Patient)),
                m.Records.Select(r => (r.FileName, r.ClassLabel, r.Split, r.PatientId)));
            Assert.Equal([2, 0, 1, 4, 3], m.Records.Select(r => r.ClassCode)); // B=0 C=1 NB=2 P=3 V=4
            Assert.All(m.Records, r => Assert.Equal((40, 30), (r.Width, r.Height)));
            Assert.Empty(m.Skipped);
        }
        // Same pixels at the original size (no resampling) and at a working size.
        foreach (int size in new[] { 16, 40 })
        {
            var stores = loaded.Select(m => ImageStore.Open(m, size, new ImageStoreOptions { Threads = 1 })).ToList();
            for (int i = 0; i < DatasetBuilder.Items.Length; i++)
                foreach (var s in stores.Skip(1))
                {
                    var a = stores[0].Get(i); var b = s.Get(i);
                    Assert.Equal(a.Image, b.Image); Assert.Equal(a.Roi, b.Roi); Assert.Equal(a.Mask, b.Mask); Assert.Equal(a.Label, b.Label);
                }
        }
    }

    [Fact]
    public void Store_pixels_equal_the_ground_truth_when_no_resampling_is_needed()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        // Non-square sources become square at the working size, so check the original content through a square set.
        var store = ImageStore.Open(Manifest.Load(t["manifest.csv"], new ManifestOptions { Format = AnnotationFormat.Polygons }), 40);
        var c = store.Get(2);
        var mask = DatasetBuilder.Mask(DatasetBuilder.Items[2]);
        // 40x30 -> 40x40 stretches rows only: columns map 1:1, so a row of the mask keeps its 0/255 run boundaries.
        Assert.Equal(40, c.Width);
        int maskedColumns = Enumerable.Range(0, 40).Count(x => c.Mask[10 * 40 + x] == 255);
        Assert.Equal(Enumerable.Range(0, 40).Count(x => mask[7 * 40 + x] == 255), maskedColumns);
        // Row 10 samples source rows 7 and 8, both inside the first box (rows 5..14, columns 20..31): ROI = image there, 0 far outside.
        for (int x = 20; x < 32; x++) Assert.Equal(c.Image[10 * 40 + x], c.Roi[10 * 40 + x]);
        for (int x = 0; x < 18; x++) Assert.Equal(0, c.Roi[10 * 40 + x]);
    }

    [Fact]
    public void Splits_expose_the_annotated_image_set_contract()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var store = ImageStore.Open(Manifest.Load(t["manifest.csv"]), 16);
        IAnnotatedImageSet train = store.Split("train");
        Assert.Equal(3, train.Count);
        Assert.Equal(["B", "C", "NB", "P", "V"], train.Classes);
        Assert.Equal([2, 0, 4], Enumerable.Range(0, 3).Select(train.LabelOf));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(train.LabelOf(i), train.Get(i).Label));
        Assert.Equal(1, store.Split("valid").Count);
        Assert.Equal(1, store.Split("test").Count);
        Assert.Equal(5L * 3 * 16 * 16, store.FootprintBytes);
    }

    [Fact]
    public void Given_class_list_sets_the_codes()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var m = Manifest.Load(t["manifest.csv"], new ManifestOptions { Classes = ["NB", "B", "C", "V", "P"] });
        Assert.Equal([0, 1, 2, 3, 4], m.Records.Select(r => r.ClassCode)); // NB=0 B=1 C=2 V=3 P=4 as listed
    }

    [Fact]
    public void Decodes_8_and_16_bit_gray_rgb_png_jpeg_and_tiff_to_the_same_luminance()
    {
        using var t = new TempDir();
        var gray = new byte[64 * 48];
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(10 + (i % 64) * 3);
        Directory.CreateDirectory(t["raw"]); Directory.CreateDirectory(t["masks"]);
        using (var g8 = Image.LoadPixelData<L8>(gray, 64, 48)) { g8.SaveAsPng(t["raw/g8.png"]); g8.SaveAsTiff(t["raw/g8.tif"]); g8.SaveAsJpeg(t["raw/g8.jpg"], new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 100 }); }
        using (var g16 = Image.LoadPixelData<L16>(gray.Select(v => new L16((ushort)(v * 257))).ToArray(), 64, 48)) g16.SaveAsPng(t["raw/g16.png"]);
        using (var rgb = Image.LoadPixelData<Rgb24>(gray.SelectMany(v => new[] { v, v, v }).ToArray(), 64, 48)) rgb.SaveAsPng(t["raw/rgb.png"]);
        var names = new[] { "g8.png", "g8.tif", "g16.png", "rgb.png", "g8.jpg" };
        foreach (var n in names) DatasetBuilder.SavePng(t[$"masks/{n}"], new byte[64 * 48], 64, 48);
        File.WriteAllText(t["manifest.csv"], "file_name,class,split\n" + string.Join("", names.Select(n => $"{n},NB,train\n")));
        var store = ImageStore.Open(Manifest.Load(t["manifest.csv"], new ManifestOptions { Format = AnnotationFormat.MaskImages }), 64);
        var reference = store.Get(0).Image;
        for (int i = 1; i < 4; i++) Assert.Equal(reference, store.Get(i).Image);
        // JPEG is lossy even at quality 100: within a couple of grey levels.
        Assert.All(reference.Zip(store.Get(4).Image), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 3));
    }

    [Fact]
    public void Cache_serves_the_second_open_without_decoding()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var m = Manifest.Load(t["manifest.csv"]);
        var opts = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var cold = ImageStore.Open(m, 24, opts);
        Assert.Equal((0, 5), (cold.CacheHits, cold.Decoded));
        var warm = ImageStore.Open(m, 24, opts);
        Assert.Equal((5, 0), (warm.CacheHits, warm.Decoded));
        for (int i = 0; i < 5; i++) { Assert.Equal(cold.Get(i).Image, warm.Get(i).Image); Assert.Equal(cold.Get(i).Mask, warm.Get(i).Mask); Assert.Equal(cold.Get(i).Roi, warm.Get(i).Roi); }
        // Another working size or changed content is another key.
        Assert.Equal(0, ImageStore.Open(m, 20, opts).CacheHits);
        DatasetBuilder.SavePng(t["raw/a.png"], DatasetBuilder.Pixels(99));
        var changed = ImageStore.Open(m, 24, opts);
        Assert.Equal((4, 1), (changed.CacheHits, changed.Decoded));
        Assert.NotEqual(cold.Get(0).Image, changed.Get(0).Image);
    }

    [Fact]
    public void Phantom_output_loads_in_the_authors_layout()
    {
        using var t = new TempDir();
        var ds = PneuKnow.Data.Phantom.PhantomGenerator.Generate(new PneuKnow.Data.Phantom.PhantomOptions { Images = 12, Size = 48, Seed = 2 }, t.Path);
        var m = Manifest.Load(ds.ManifestPath);
        Assert.True(m.HasPatientIds);
        Assert.Equal(12, m.Records.Count);
        Assert.All(m.Records, r => Assert.IsType<RoiImageAnnotation>(r.Annotation));
        var store = ImageStore.Open(m, 48);
        for (int i = 0; i < 12; i++)
        {
            var c = ds.Cases[i];
            using var mask = Image.Load<L8>(Path.Combine(t.Path, "masks", c.FileName));
            var px = new byte[48 * 48]; mask.CopyPixelDataTo(px);
            Assert.Equal(px, store.Get(i).Mask);
        }
    }
}

public class SixteenBitStoreTests
{
    [Fact]
    public void Sixteen_bit_store_keeps_the_full_depth_and_caches_per_depth()
    {
        using var t = new TempDir();
        Directory.CreateDirectory(t["raw"]); Directory.CreateDirectory(t["masks"]);
        // Values that are not multiples of 257: an 8-bit store must round them, a 16-bit store keeps them.
        var deep = Enumerable.Range(0, 16 * 16).Select(i => new L16((ushort)(1000 + i * 100))).ToArray();
        using (var img = Image.LoadPixelData<L16>(deep, 16, 16)) img.SaveAsPng(t["raw/x.png"]);
        var mask = new byte[256]; for (int i = 0; i < 128; i++) mask[i] = 255;
        DatasetBuilder.SavePng(t["masks/x.png"], mask, 16, 16);
        File.WriteAllText(t["manifest.csv"], "file_name,class,split\nx.png,C,train\n");
        var m = Manifest.Load(t["manifest.csv"], new ManifestOptions { Format = AnnotationFormat.MaskImages });
        var opts = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var s8 = ImageStore.Open(m, 16, opts);
        var s16 = ImageStore.Open(m, 16, opts with { BitDepth = 16 });
        Assert.Equal((0, 1), (s8.CacheHits, s8.Decoded));
        Assert.Equal((0, 1), (s16.CacheHits, s16.Decoded));
        var again = ImageStore.Open(m, 16, opts with { BitDepth = 16 });
        Assert.Equal((1, 0), (again.CacheHits, again.Decoded));
        Assert.Equal(s16.GetDeep(0).Image, again.GetDeep(0).Image);
        Assert.Equal(deep.Select(p => p.PackedValue), s16.GetDeep(0).Image);
        Assert.Equal(deep.Select((p, i) => i < 128 ? p.PackedValue : (ushort)0), s16.GetDeep(0).Roi);
        // 8-bit: nearest level, v * 255 / 65535 rounded.
        var expected8 = deep.Select(p => (byte)Math.Round(p.PackedValue * 255.0 / 65535.0)).ToArray();
        Assert.Equal(expected8, s8.Get(0).Image);
        Assert.Equal(expected8, s16.Get(0).Image);
        Assert.Equal(3L * 256, s8.FootprintBytes);
        Assert.Equal(5L * 256, s16.FootprintBytes);
        Assert.Throws<ArgumentException>(() => ImageStore.Open(m, 16, opts with { BitDepth = 12 }));
    }
}
