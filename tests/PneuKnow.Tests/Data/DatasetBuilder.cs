using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Tests.Data;

/// <summary>
/// Writes a small annotated dataset in all four layouts from one ground truth: rectangles per image, stored as
/// the authors' ROI images, mask PNGs, an RSNA box CSV and a polygon JSON.
/// </summary>
internal sealed class DatasetBuilder
{
    public sealed record Item(string File, string Label, string Split, string Patient, (int X, int Y, int W, int H)[] Boxes);

    public const int Width = 40, Height = 30;

    public static readonly Item[] Items =
    [
        new("a.png", "NB", "train", "p1", []),
        new("b.png", "B", "train", "p1", [(3, 4, 10, 8)]),
        new("c.png", "C", "valid", "p2", [(20, 5, 12, 10), (2, 18, 6, 6)]),
        new("d.png", "V", "train", "p3", [(0, 0, 40, 30)]),
        new("e.png", "P", "test", "p4", [(30, 20, 10, 10)]),
    ];

    public static byte[] Pixels(int seed)
    {
        // Never 0 inside the image, so "ROI > 0" recovers the mask exactly.
        var px = new byte[Width * Height];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)(1 + (i * 37 + seed * 101) % 254);
        return px;
    }

    public static byte[] Mask(Item item)
    {
        var m = new byte[Width * Height];
        foreach (var (x, y, w, h) in item.Boxes)
            for (int yy = y; yy < y + h; yy++) for (int xx = x; xx < x + w; xx++) m[yy * Width + xx] = 255;
        return m;
    }

    public static void SavePng(string path, byte[] px, int w = Width, int h = Height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var img = Image.LoadPixelData<L8>(px, w, h);
        img.SaveAsPng(path);
    }

    /// <summary>Writes raw/, roi/, masks/, manifest.csv, boxes.csv, polygons.json under <paramref name="root"/>.</summary>
    public static void WriteAll(string root, bool withMasks = true)
    {
        var csv = new StringBuilder("file_name,class,split,patient_id\n");
        var boxes = new StringBuilder("patientId,x,y,width,height,Target\n");
        var json = new StringBuilder("{\n");
        for (int k = 0; k < Items.Length; k++)
        {
            var it = Items[k];
            var raw = Pixels(k); var mask = Mask(it);
            SavePng(Path.Combine(root, "raw", it.File), raw);
            SavePng(Path.Combine(root, "roi", it.File), raw.Select((v, i) => mask[i] == 255 ? v : (byte)0).ToArray());
            if (withMasks) SavePng(Path.Combine(root, "masks", it.File), mask);
            csv.Append($"{it.File},{it.Label},{it.Split},{it.Patient}\n");
            string id = Path.GetFileNameWithoutExtension(it.File);
            if (it.Boxes.Length == 0) boxes.Append($"{id},,,,,0\n");
            foreach (var (x, y, w, h) in it.Boxes) boxes.Append($"{id},{x},{y},{w},{h},1\n");
            json.Append($"  \"{it.File}\": [" + string.Join(", ", it.Boxes.Select(b => $"[[{b.X}, {b.Y}], [{b.X + b.W}, {b.Y}], [{b.X + b.W}, {b.Y + b.H}], [{b.X}, {b.Y + b.H}]]")) + "]" + (k + 1 < Items.Length ? "," : "") + "\n");
        }
        json.Append("}\n");
        File.WriteAllText(Path.Combine(root, "manifest.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(root, "boxes.csv"), boxes.ToString());
        File.WriteAllText(Path.Combine(root, "polygons.json"), json.ToString());
    }
}
