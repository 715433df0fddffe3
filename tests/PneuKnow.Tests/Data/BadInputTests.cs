using PneuKnow.Data;

namespace PneuKnow.Tests.Data;

/// <summary>Every bad input of the data stage: a clear error naming the file and line, and the skip report.</summary>
public class BadInputTests
{
    private static (TempDir Dir, string Csv) Dataset()
    {
        var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        return (t, t["manifest.csv"]);
    }

    private static DataException Fails(string csv, ManifestOptions? o = null, bool decode = false)
    {
        return Assert.Throws<DataException>(() =>
        {
            var m = Manifest.Load(csv, o);
            if (decode) ImageStore.Open(m, 16);
        });
    }

    [Fact]
    public void Missing_roi_file()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.Delete(t["roi/c.png"]);
        var e = Fails(csv);
        Assert.Equal(DataException.Format(csv, 4, null, $"missing ROI file {t["roi/c.png"]}."), e.Message);
    }

    [Fact]
    public void Missing_mask_file()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.Delete(t["masks/b.png"]);
        var e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.MaskImages });
        Assert.Equal(DataException.Format(csv, 3, null, $"missing mask file {t["masks/b.png"]}."), e.Message);
    }

    [Fact]
    public void Image_and_mask_sizes_differ()
    {
        var (t, csv) = Dataset(); using var _ = t;
        DatasetBuilder.SavePng(t["masks/d.png"], new byte[20 * 20], 20, 20);
        var e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.MaskImages });
        Assert.Equal($"{csv}, line 5: mask file {t["masks/d.png"]} is 20×20, expected the image's size 40×30.", e.Message);
    }

    [Fact]
    public void Unknown_or_empty_class()
    {
        var (t, csv) = Dataset(); using var _ = t;
        var e = Fails(csv, new ManifestOptions { Classes = ["B", "C", "NB", "P"] });
        Assert.Equal($"{csv}, line 5, column 'class': unknown class 'V': expected one of B, C, NB, P.", e.Message);
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("b.png,B,", "b.png,,"));
        e = Fails(csv);
        Assert.Equal($"{csv}, line 3, column 'class': expected a class label, found an empty field.", e.Message);
    }

    [Fact]
    public void Duplicate_file_names()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.AppendAllText(csv, "b.png,B,train,p1\n");
        var e = Fails(csv);
        Assert.Equal($"{csv}, line 7, column 'file_name': duplicate file name 'b.png' (first on line 3).", e.Message);
    }

    [Fact]
    public void Corrupt_or_truncated_image()
    {
        var (t, csv) = Dataset(); using var _ = t;
        var bytes = File.ReadAllBytes(t["raw/c.png"]);
        File.WriteAllBytes(t["raw/c.png"], bytes[..(bytes.Length / 2)]);
        var e = Fails(csv, decode: true);
        Assert.StartsWith($"{csv}, line 4: image file {t["raw/c.png"]}: expected a decodable image, found corrupt or truncated data", e.Message);
        // A damaged header is caught before decoding.
        File.WriteAllBytes(t["raw/c.png"], bytes[..20]);
        e = Fails(csv);
        Assert.StartsWith($"{csv}, line 4: image file {t["raw/c.png"]}: expected a readable PNG/JPEG/TIFF header, found a corrupt one", e.Message);
    }

    [Fact]
    public void Non_image_file()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(t["raw/e.png"], "file_name,class\nnot,an image\n");
        var e = Fails(csv);
        Assert.Equal($"{csv}, line 6: image file {t["raw/e.png"]}: expected a PNG, JPEG or TIFF image, found an unrecognised format.", e.Message);
    }

    [Fact]
    public void Image_above_the_pixel_limit()
    {
        var (t, csv) = Dataset(); using var _ = t;
        var e = Fails(csv, new ManifestOptions { MaxPixels = 1000 });
        Assert.Equal($"{csv}, line 2: image file {t["raw/a.png"]}: 40×30 = 1200 pixels exceeds the limit of 1000.", e.Message);
    }

    [Fact]
    public void Patient_in_two_splits()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("b.png,B,train,p1", "b.png,B,valid,p1"));
        var e = Fails(csv);
        Assert.Equal($"{csv}, line 2, column 'patient_id': patient 'p1' is in more than one split (train, valid; files a.png, b.png).", e.Message);
    }

    [Fact]
    public void Csv_missing_required_columns()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(csv, "file_name,label,split\na.png,NB,train\n");
        var e = Fails(csv);
        Assert.Equal($"{csv}, line 1, column 'class': missing required column 'class'; found columns: file_name, label, split.", e.Message);
        File.WriteAllText(t["boxes.csv"], "patientId,x,y,width,height\n");
        File.WriteAllText(csv, "file_name,class,split\na.png,NB,train\n");
        e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes });
        Assert.Equal($"{t["boxes.csv"]}, line 1, column 'Target': missing required column 'Target'; found columns: patientId, x, y, width, height.", e.Message);
    }

    [Fact]
    public void Malformed_rows()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.AppendAllText(csv, "f.png,NB\n");
        var e = Fails(csv);
        Assert.Equal($"{csv}, line 7: malformed row: expected 4 fields (file_name,class,split,patient_id), found 2.", e.Message);
        File.WriteAllText(csv, "file_name,class,split\n\"a.png,NB,train\n");
        e = Fails(csv);
        // A quoted field may hold line breaks (RFC 4180), so an unclosed quote shows at the end of the file; the error names where it opened.
        Assert.Equal($"{csv}, line 2, column 'file_name': expected a closing quote, found the end of the file (the quoted field opens on this line).", e.Message);
        File.WriteAllText(csv, "file_name,class,split\na.png,NB,training\n");
        e = Fails(csv);
        Assert.Equal($"{csv}, line 2, column 'split': expected train, valid or test, found 'training'.", e.Message);
        var (t2, csv2) = Dataset(); using var __ = t2;
        File.AppendAllText(t2["boxes.csv"], "b,3,x,4,4,1\n");
        e = Fails(csv2, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes });
        Assert.Equal($"{t2["boxes.csv"]}, line 8, column 'y': expected a number, found 'x'.", e.Message);
    }

    [Fact]
    public void Boxes_and_polygons_outside_the_image()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.AppendAllText(t["boxes.csv"], "e,35,20,10,5,1\n");
        var e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes });
        Assert.Equal($"{t["boxes.csv"]}, line 8, column 'patientId': box of 'e' at x=35, y=20, 10×5 lies outside the 40×30 image.", e.Message);
        File.WriteAllText(t["polygons.json"], File.ReadAllText(t["polygons.json"]).Replace("[[30, 20], [40, 20]", "[[30, 20], [41, 20]"));
        e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.Polygons });
        Assert.Equal($"{t["polygons.json"]}, column 'e.png': region 0 point [41, 20] lies outside the 40×30 image.", e.Message);
    }

    [Fact]
    public void Image_without_annotation_entry()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllLines(t["boxes.csv"], File.ReadAllLines(t["boxes.csv"]).Where(l => !l.StartsWith("a,")));
        var e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes });
        Assert.Equal($"{t["boxes.csv"]}, column 'patientId': expected an entry for 'a' (manifest {csv}, line 2), found none (an image without findings needs a row with Target 0).", e.Message);
    }

    [Fact]
    public void Annotation_without_image()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.AppendAllText(t["boxes.csv"], "zz,1,1,2,2,1\n");
        var e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes });
        Assert.Equal($"{t["boxes.csv"]}, line 8, column 'patientId': annotation for 'zz', but the manifest {csv} has no such image.", e.Message);
        File.WriteAllText(t["polygons.json"], File.ReadAllText(t["polygons.json"]).Replace("\"a.png\": []", "\"a.png\": [], \"zz.png\": []"));
        e = Fails(csv, new ManifestOptions { Format = AnnotationFormat.Polygons });
        Assert.Equal($"{t["polygons.json"]}, column 'key': annotation for 'zz.png', but the manifest {csv} has no such image.", e.Message);
    }

    [Fact]
    public void Skip_invalid_keeps_going_and_reports_every_skipped_item()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.Delete(t["roi/c.png"]);
        File.AppendAllText(csv, "b.png,B,train,p1\nz.png,,train,p9\n");
        var bytes = File.ReadAllBytes(t["raw/e.png"]);
        File.WriteAllBytes(t["raw/e.png"], bytes[..(bytes.Length / 2)]);
        var m = Manifest.Load(csv, new ManifestOptions { SkipInvalid = true });
        Assert.Equal(["a.png", "b.png", "d.png", "e.png"], m.Records.Select(r => r.FileName));
        var store = ImageStore.Open(m, 16, new ImageStoreOptions { SkipInvalid = true });
        Assert.Equal(["a.png", "b.png", "d.png"], store.Records.Select(r => r.FileName));
        Assert.Equal(3, store.All.Count);
        Assert.Equal(["b.png", "z.png", "c.png", "e.png"], store.Skipped.Select(s => s.FileName));
        Assert.Equal([7, 8, 4, 6], store.Skipped.Select(s => s.Line));
        SkipReport.Write(t["skipped.csv"], store.Skipped);
        var lines = File.ReadAllLines(t["skipped.csv"]);
        Assert.Equal("file_name,source,line,reason", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith($"b.png,{csv},7,", lines[1]);
        Assert.Contains("duplicate file name 'b.png' (first on line 3)", lines[1]);
        Assert.Contains("missing ROI file", lines[3]);
        Assert.Contains("corrupt or truncated", lines[4]);
    }
}
