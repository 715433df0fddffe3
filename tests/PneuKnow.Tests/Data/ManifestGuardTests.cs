using PneuKnow.Cli;
using PneuKnow.Data;
using PneuKnow.Tests.Cli;

namespace PneuKnow.Tests.Data;

/// <summary>
/// Manifest file names stay inside the dataset's folders, a header-only manifest is an error, an RSNA row with
/// Target 0 and coordinates is refused, and labels outside the authors' five need <c>--classes</c>.
/// </summary>
public sealed class ManifestGuardTests
{
    static (TempDir Dir, string Csv) Dataset()
    {
        var t = new TempDir();
        DatasetBuilder.WriteAll(t.Path);
        return (t, t["manifest.csv"]);
    }

    [Theory]
    [InlineData("../a.png")]
    [InlineData("sub/../../a.png")]
    [InlineData("/etc/passwd")]
    public void File_names_that_leave_the_image_folders_are_refused(string name)
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("b.png,", name + ","));
        var e = Assert.Throws<DataException>(() => Manifest.Load(csv));
        Assert.Equal(DataException.Format(csv, 3, "file_name",
            $"expected a path inside the dataset's raw/, roi/ and masks/ folders, found '{name}' (absolute or with '..'); pass --allow-outside-root to accept it."), e.Message);
    }

    [Fact]
    public void Allow_outside_root_accepts_a_file_beside_the_dataset()
    {
        var (t, csv) = Dataset(); using var _ = t;
        // raw/../other/raw/b.png, and the ROI lookup roi/../other/raw/b.png, both reach this copy.
        Directory.CreateDirectory(t["other/raw"]);
        File.Copy(t["raw/b.png"], t["other/raw/b.png"]);
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("b.png,", "../other/raw/b.png,"));
        Assert.Throws<DataException>(() => Manifest.Load(csv));
        var m = Manifest.Load(csv, new ManifestOptions { AllowOutsideRoot = true });
        Assert.Contains(m.Records, r => r.FileName == "../other/raw/b.png");
    }

    [Fact]
    public void Header_only_manifest_is_an_error_and_data_check_exits_1()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(csv, "file_name,class,split,patient_id\n");
        var e = Assert.Throws<DataException>(() => Manifest.Load(csv));
        Assert.Equal(DataException.Format(csv, 2, null, "expected at least one image row after the header (file_name,class,split,patient_id), found none."), e.Message);
        var r = PneuknowCli.Run("data", "check", "--manifest", csv);
        Assert.Equal(ExitCodes.Failure, r.Exit);
        Assert.Contains("found none.", r.Error);
    }

    [Fact]
    public void Rsna_row_with_target_0_and_coordinates_is_refused()
    {
        var (t, csv) = Dataset(); using var _ = t;
        var boxes = File.ReadAllLines(t["boxes.csv"]).ToList();
        int at = boxes.FindIndex(l => l.EndsWith(",,,,,0", StringComparison.Ordinal));
        Assert.True(at > 0, "the builder writes at least one image without findings");
        var id = boxes[at].Split(',')[0];
        boxes[at] = $"{id},1,2,3,4,0";
        File.WriteAllLines(t["boxes.csv"], boxes);
        var e = Assert.Throws<DataException>(() => Manifest.Load(csv, new ManifestOptions { Format = AnnotationFormat.RsnaBoxes }));
        Assert.Equal(DataException.Format(t["boxes.csv"], at + 1, "Target",
            "expected empty x, y, width, height on a row with Target 0 (no finding), found x=1, y=2, width=3, height=4; set Target to 1 if this is a box."), e.Message);
    }

    [Fact]
    public void Labels_outside_the_known_five_need_classes()
    {
        var (t, csv) = Dataset(); using var _ = t;
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("b.png,B,", "b.png,p,"));
        var r = PneuknowCli.Run("data", "check", "--manifest", csv);
        Assert.Equal(ExitCodes.Failure, r.Exit);
        Assert.Contains("found also 'p' (did you mean 'P'?); pass --classes", r.Error);
        var ok = PneuknowCli.Run("data", "check", "--manifest", csv, "--classes", "B,C,NB,P,V,p");
        Assert.Equal(0, ok.Exit);
        Assert.Contains("classes (code order): 0=B, 1=C, 2=NB, 3=P, 4=V, 5=p", ok.Out);
    }
}
