using PneuKnow.Augmentation;
using PneuKnow.Data;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Data;

/// <summary>
/// What the network sees, through the whole path (files → ImageStore → valid pipeline → BatchLoader → tensor), against
/// the authors' cv2.imread + cv2.resize(INTER_LINEAR / INTER_NEAREST) (Fixtures/Data/make_store_resize_fixtures.py).
/// </summary>
public class StoreResizeTests
{
    public StoreResizeTests() => TorchRuntime.Initialize("cpu");

    static string Fixture(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "PneuKnow.Tests", "Fixtures", "Data", name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
    }

    static byte[] Gray(string path)
    {
        using var img = Image.Load<L8>(path);
        var p = new byte[img.Width * img.Height];
        img.CopyPixelDataTo(p);
        return p;
    }

    // The fixture script's formula and ROI boxes (integer arithmetic, so both sides build the same pixels).
    static readonly (string Name, int H, int W, int X0, int X1, int Y0, int Y1)[] Cases =
        [("tall", 2048, 1664, 300, 1200, 500, 1400), ("double", 448, 448, 50, 300, 100, 400)];

    static (byte[] Raw, byte[] Roi) Pictures(int h, int w, int x0, int x1, int y0, int y1)
    {
        byte[] raw = new byte[h * w], roi = new byte[h * w];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                raw[y * w + x] = (byte)(((long)x * 37 + (long)y * 91 + (((long)x * y) >> 8)) % 256);
                if (x >= x0 && x < x1 && y >= y0 && y < y1) roi[y * w + x] = raw[y * w + x];
            }
        return (raw, roi);
    }

    [Fact]
    public void Network_input_is_cv2_resize_of_the_original_through_store_pipeline_and_loader_decoded_and_cached()
    {
        using var t = new TempDir();
        var csv = new System.Text.StringBuilder("file_name,class,split\n");
        foreach (var (name, h, w, x0, x1, y0, y1) in Cases)
        {
            var (raw, roi) = Pictures(h, w, x0, x1, y0, y1);
            DatasetBuilder.SavePng(t[$"raw/{name}.png"], raw, w, h);
            DatasetBuilder.SavePng(t[$"roi/{name}.png"], roi, w, h);
            csv.Append($"{name}.png,{(name == "tall" ? "B" : "NB")},train\n");
        }
        File.WriteAllText(t["manifest.csv"], csv.ToString());
        var options = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var decoded = ImageStore.Open(Manifest.Load(t["manifest.csv"]), 224, options);
        var cached = ImageStore.Open(Manifest.Load(t["manifest.csv"]), 224, options);
        Assert.Equal((2, 0), (decoded.Decoded, decoded.CacheHits));
        Assert.Equal((0, 2), (cached.Decoded, cached.CacheHits));
        AssertSeesCv2(decoded, "decoded");
        AssertSeesCv2(cached, "cached");
    }

    static void AssertSeesCv2(ImageStore store, string how)
    {
        var loader = new BatchLoader(store.Split("train"), AugmentationPipeline.Create(AugmentationKind.Valid, 224),
            new BatchLoaderOptions(BatchSize: 2, Seed: 0, Shuffle: false));
        using var batch = loader.Epoch(0).Single();
        var image = batch.Image.data<float>().ToArray();
        var roiT = batch.Roi.data<float>().ToArray();
        var mask = batch.Mask.data<float>().ToArray();
        const int plane = 224 * 224;
        for (var k = 0; k < Cases.Length; k++)
        {
            var name = Cases[k].Name;
            var (eImage, eRoi, eMask) = (Gray(Fixture($"store_{name}_image.png")), Gray(Fixture($"store_{name}_roi.png")), Gray(Fixture($"store_{name}_mask.png")));
            for (var c = 0; c < 3; c++)
            {
                int Wrong(float[] actual, byte[] expected) => Enumerable.Range(0, plane).Count(i => actual[(k * 3 + c) * plane + i] != expected[i] / 255f);
                Assert.True(Wrong(image, eImage) == 0, $"{how} {name} image channel {c}: {Wrong(image, eImage)} of {plane} pixels differ from cv2");
                Assert.True(Wrong(roiT, eRoi) == 0, $"{how} {name} ROI channel {c}: {Wrong(roiT, eRoi)} of {plane} pixels differ from cv2");
            }
            var maskWrong = Enumerable.Range(0, plane).Count(i => mask[k * plane + i] != (eMask[i] != 0 ? 1f : 0f));
            Assert.True(maskWrong == 0, $"{how} {name} mask: {maskWrong} of {plane} pixels differ from cv2 INTER_NEAREST");
        }
    }
}
