using System.ComponentModel;
using PneuKnow.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Data;

/// <summary>Options that say how to read a manifest, shared by the data commands.</summary>
public class ManifestSettings : CommandSettings
{
    [CommandOption("--manifest <CSV>")]
    [Description("Manifest CSV (file_name,class,split[[,patient_id]]); images in raw/ beside it.")]
    public string Manifest { get; init; } = "";

    [CommandOption("--annotation-type <TYPE>")]
    [Description("Annotations: roi (authors' roi/ images; default), masks (masks/ PNGs), boxes (RSNA-style CSV), polygons (JSON).")]
    [DefaultValue("roi")]
    public string AnnotationType { get; init; } = "roi";

    // Before --annotation-type this option was --format, which every other command uses for how a table prints. Kept
    // hidden so that an old command line gets the new name instead of a bare "unknown option".
    [CommandOption("--format <VALUE>", IsHidden = true)]
    public string? RenamedFormat { get; init; }

    [CommandOption("--annotations <FILE>")]
    [Description("Box CSV or polygon JSON (default boxes.csv / polygons.json beside the manifest).")]
    public string? Annotations { get; init; }

    [CommandOption("--images-folder <DIR>")]
    [Description("Folder of the full images relative to the manifest (default raw).")]
    [DefaultValue("raw")]
    public string ImagesFolder { get; init; } = "raw";

    [CommandOption("--classes <LIST>")]
    [Description("Class list in code order, e.g. B,C,NB,P,V (default: sorted labels found).")]
    public string? Classes { get; init; }

    [CommandOption("--skip-invalid")]
    [Description("Keep going past invalid items and write a report of every skipped one.")]
    public bool SkipInvalid { get; init; }

    [CommandOption("--report <CSV>")]
    [Description("Where the skip report goes (default skipped.csv beside the manifest).")]
    public string? Report { get; init; }

    [CommandOption("--max-pixels <N>")]
    [Description("Refuse images with more pixels than this (header check, before decoding).")]
    [DefaultValue(50_000_000L)]
    public long MaxPixels { get; init; } = 50_000_000;

    [CommandOption("--allow-outside-root")]
    [Description("Accept file_names that are absolute or leave raw/, roi/ and masks/ with '..' (refused by default).")]
    public bool AllowOutsideRoot { get; init; }

    /// <summary>The authors' five labels (B bacterial, C COVID-19, NB healthy, P fungal, V viral).</summary>
    public static IReadOnlyList<string> KnownClasses => ManifestChecks.KnownClasses;

    /// <summary>
    /// The shared manifest checks (<see cref="ManifestChecks"/>, the same that <c>train</c> applies): without <c>--classes</c>
    /// the codes follow the sorted labels found, which is only safe for the authors' five.
    /// </summary>
    /// <exception cref="DataException">Labels outside the known five and no <c>--classes</c>.</exception>
    public void CheckClasses(PneuKnow.Data.Manifest manifest) =>
        ManifestChecks.Check(manifest, "pass --classes with the full class list in code order to use other labels");

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Manifest)) return ValidationResult.Error("--manifest: expected a CSV path, found none.");
        if (RenamedFormat is { } f)
            return ValidationResult.Error($"--format: the data commands print no table; the annotation type is --annotation-type (roi, masks, boxes or polygons), found --format '{f}'.");
        if (AnnotationType is not ("roi" or "masks" or "boxes" or "polygons")) return ValidationResult.Error($"--annotation-type: expected roi, masks, boxes or polygons, found '{AnnotationType}'.");
        return ValidationResult.Success();
    }

    public ManifestOptions ToOptions() => new()
    {
        Format = AnnotationType switch { "masks" => AnnotationFormat.MaskImages, "boxes" => AnnotationFormat.RsnaBoxes, "polygons" => AnnotationFormat.Polygons, _ => AnnotationFormat.RoiImages },
        AnnotationFile = Annotations, ImageFolder = ImagesFolder, SkipInvalid = SkipInvalid, MaxPixels = MaxPixels, AllowOutsideRoot = AllowOutsideRoot,
        Classes = Classes?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
    };

    public string ReportPath => Report ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Manifest))!, "skipped.csv");
}
