using PneuKnow.Data;
using Xunit;

namespace PneuKnow.Tests.Data;

public class ImageCacheTests
{
    // Damage one byte of the ROI plane of every cache entry in a way the header check cannot see (same length, same
    // header): the store must decode those images again, return the true pixels and repair the entries.
    [Fact]
    public void Damaged_cache_entries_are_decoded_again_not_served()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var m = Manifest.Load(t["manifest.csv"]);
        var opts = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var cold = ImageStore.Open(m, 24, opts);
        var entries = Directory.GetFiles(t["cache"], "*.px");
        Assert.Equal(5, entries.Length);
        int header = 24, plane = 24 * 24;
        foreach (var e in entries)
        {
            var bytes = File.ReadAllBytes(e);
            Assert.Equal(header + 3 * plane, bytes.Length);
            bytes[header + plane + 100] ^= 0x40;
            File.WriteAllBytes(e, bytes);
        }
        var damaged = ImageStore.Open(m, 24, opts);
        Assert.Equal((0, 5), (damaged.CacheHits, damaged.Decoded));
        for (int i = 0; i < 5; i++) Assert.Equal(cold.Get(i).Roi, damaged.Get(i).Roi);
        // Rewritten on that decode, so the next open is served from the cache again.
        var repaired = ImageStore.Open(m, 24, opts);
        Assert.Equal((5, 0), (repaired.CacheHits, repaired.Decoded));
        for (int i = 0; i < 5; i++) Assert.Equal(cold.Get(i).Roi, repaired.Get(i).Roi);
    }

    [Fact]
    public void Truncated_or_extended_cache_entries_are_misses()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var m = Manifest.Load(t["manifest.csv"]);
        var opts = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var cold = ImageStore.Open(m, 24, opts);
        var entries = Directory.GetFiles(t["cache"], "*.px").Order(StringComparer.Ordinal).ToArray();
        var first = File.ReadAllBytes(entries[0]);
        File.WriteAllBytes(entries[0], first[..^1]);
        File.WriteAllBytes(entries[1], [.. File.ReadAllBytes(entries[1]), 0]);
        var warm = ImageStore.Open(m, 24, opts);
        Assert.Equal((3, 2), (warm.CacheHits, warm.Decoded));
        for (int i = 0; i < 5; i++) Assert.Equal(cold.Get(i).Image, warm.Get(i).Image);
    }

    // Planes read from the cache that are entirely 0 (an image without findings: empty ROI and mask) are one shared
    // array; the footprint counts it once; the pixels are those decoded.
    [Fact]
    public void All_zero_planes_from_the_cache_are_shared_and_counted_once()
    {
        using var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        var m = Manifest.Load(t["manifest.csv"]);
        var opts = new ImageStoreOptions { CacheDirectory = t["cache"] };
        var cold = ImageStore.Open(m, 24, opts);
        var warm = ImageStore.Open(m, 24, opts);
        var empty = Enumerable.Range(0, 5).Where(i => cold.Get(i).Mask.All(v => v == 0)).ToList();
        Assert.NotEmpty(empty);
        var planes = Enumerable.Range(0, 5).SelectMany(i => new[] { warm.Get(i).Image, warm.Get(i).Roi, warm.Get(i).Mask }).ToList();
        var zeroPlanes = planes.Where(p => p.All(v => v == 0)).ToList();
        Assert.True(zeroPlanes.Count >= 2 * empty.Count);
        Assert.All(zeroPlanes, p => Assert.Same(zeroPlanes[0], p));
        Assert.All(planes.Where(p => !ReferenceEquals(p, zeroPlanes[0])), p => Assert.Contains(p, v => v != 0));
        int distinct = planes.Distinct(ReferenceEqualityComparer.Instance).Count();
        Assert.Equal(distinct * 24L * 24, warm.FootprintBytes);
        Assert.Equal(5 * 3 * 24L * 24, cold.FootprintBytes);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(cold.Get(i).Image, warm.Get(i).Image);
            Assert.Equal(cold.Get(i).Roi, warm.Get(i).Roi);
            Assert.Equal(cold.Get(i).Mask, warm.Get(i).Mask);
        }
    }
}
