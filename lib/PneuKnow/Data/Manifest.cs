using PneuKnow.Runtime;
using System.Globalization;
using System.Text.Json;
using SixLabors.ImageSharp;

namespace PneuKnow.Data;

/// <summary>One dataset item: which image, its annotation, class, patient and split.</summary>
/// <param name="FileName">The manifest's <c>file_name</c> (unique id of the image).</param>
/// <param name="ImagePath">Full path of the image.</param>
/// <param name="Annotation">ROI image, mask image, boxes or polygons.</param>
/// <param name="ClassLabel">The <c>class</c> value, e.g. the authors' B, C, NB, P, V.</param>
/// <param name="ClassCode">Index of <paramref name="ClassLabel"/> in the manifest's class list.</param>
/// <param name="PatientId">The <c>patient_id</c>, or the file name without extension when the CSV has none.</param>
/// <param name="Split">train, valid or test; empty when the CSV has no split column and none was assigned.</param>
/// <param name="Line">Line of the manifest CSV the record came from.</param>
/// <param name="Width">Image width from its header.</param>
/// <param name="Height">Image height from its header.</param>
public sealed record ManifestRecord(string FileName, string ImagePath, Annotation Annotation, string ClassLabel, int ClassCode,
    string PatientId, string Split, int Line, int Width, int Height);

/// <summary>How to read a manifest.</summary>
public sealed record ManifestOptions
{
    /// <summary>Annotation source (default: the authors' ROI images).</summary>
    public AnnotationFormat Format { get; init; } = AnnotationFormat.RoiImages;
    /// <summary>Folder of the full images, relative to the manifest's folder.</summary>
    public string ImageFolder { get; init; } = "raw";
    /// <summary>Folder of the ROI images.</summary>
    public string RoiFolder { get; init; } = "roi";
    /// <summary>Folder of the mask images.</summary>
    public string MaskFolder { get; init; } = "masks";
    /// <summary>Box CSV or polygon JSON; default <c>boxes.csv</c> / <c>polygons.json</c> beside the manifest.</summary>
    public string? AnnotationFile { get; init; }
    /// <summary>The class list in code order; null means the sorted labels found (the authors' convention).</summary>
    public IReadOnlyList<string>? Classes { get; init; }
    /// <summary>Keep going past invalid items and list them in <see cref="Manifest.Skipped"/> instead of throwing.</summary>
    public bool SkipInvalid { get; init; }
    /// <summary>Largest accepted image (width × height), checked from the header before any decoding.</summary>
    public long MaxPixels { get; init; } = 50_000_000;
    /// <summary>
    /// Accept <c>file_name</c>s that are absolute or climb out of the image folders with <c>..</c>; by default they are
    /// refused, so a manifest cannot make the engine read (or name outputs after) files outside its dataset.
    /// </summary>
    public bool AllowOutsideRoot { get; init; }
}

/// <summary>
/// A dataset manifest: the authors' CSV (<c>file_name,class,split</c>, optional <c>patient_id</c>) joined with an
/// annotation source, validated (files exist, image headers readable and within the pixel limit, sizes agree, no
/// duplicates, no patient in two splits) before anything is decoded.
/// </summary>
public sealed class Manifest
{
    /// <summary>The CSV this manifest was read from.</summary>
    public string Path { get; }
    /// <summary>How it was read.</summary>
    public ManifestOptions Options { get; }
    /// <summary>Class labels in code order.</summary>
    public IReadOnlyList<string> Classes { get; }
    /// <summary>The valid records, in CSV order.</summary>
    public IReadOnlyList<ManifestRecord> Records { get; }
    /// <summary>Items left out under <see cref="ManifestOptions.SkipInvalid"/>.</summary>
    public IReadOnlyList<SkippedItem> Skipped { get; }
    /// <summary>Whether the CSV had a <c>patient_id</c> column (otherwise every image is its own patient).</summary>
    public bool HasPatientIds { get; }

    private Manifest(string path, ManifestOptions options, IReadOnlyList<string> classes, IReadOnlyList<ManifestRecord> records, IReadOnlyList<SkippedItem> skipped, bool hasPatients)
    {
        Path = path; Options = options; Classes = classes; Records = records; Skipped = skipped; HasPatientIds = hasPatients;
    }

    /// <summary>The records of one split.</summary>
    public IReadOnlyList<ManifestRecord> InSplit(string split) => Records.Where(r => r.Split == split).ToList();

    /// <summary>Whether every record has a split.</summary>
    public bool HasSplits => Records.All(r => r.Split.Length > 0);

    /// <summary>
    /// Reads and validates a manifest. Throws <see cref="DataException"/> naming the file, line and column of the first
    /// problem, unless <see cref="ManifestOptions.SkipInvalid"/> is set.
    /// </summary>
    /// <example><code>var m = Manifest.Load("data/generated/smoke/manifest.csv");</code></example>
    public static Manifest Load(string csvPath, ManifestOptions? options = null)
    {
        options ??= new ManifestOptions();
        var errors = new ErrorSink(options.SkipInvalid);
        var table = Csv.Read(csvPath);
        int cFile = table.Require("file_name"), cClass = table.Require("class");
        if (table.Rows.Count == 0)
            throw new DataException(csvPath, 2, null, $"expected at least one image row after the header ({string.Join(",", table.Header)}), found none.");
        int cSplit = table.IndexOf("split"), cPatient = table.IndexOf("patient_id");
        string root = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(csvPath))!;
        var annotations = LoadAnnotationSource(root, options, errors);

        var rows = new List<(int Line, string File, string Label, string Patient, string Split)>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, f) in table.Rows)
        {
            string file = f.Length > cFile ? f[cFile] : "";
            if (f.Length != table.Header.Count)
            { errors.Add(file, csvPath, line, null, $"malformed row: expected {table.Header.Count} fields ({string.Join(",", table.Header)}), found {f.Length}."); continue; }
            if (file.Length == 0) { errors.Add("", csvPath, line, "file_name", "expected a file name, found an empty field."); continue; }
            if (!options.AllowOutsideRoot && EscapesFolder(file))
            { errors.Add(file, csvPath, line, "file_name", $"expected a path inside the dataset's {options.ImageFolder}/, {options.RoiFolder}/ and {options.MaskFolder}/ folders, found '{file}' (absolute or with '..'); pass --allow-outside-root to accept it."); continue; }
            if (seen.TryGetValue(file, out int firstLine))
            { errors.Add(file, csvPath, line, "file_name", $"duplicate file name '{file}' (first on line {firstLine})."); continue; }
            seen[file] = line;
            string label = f[cClass];
            if (label.Length == 0) { errors.Add(file, csvPath, line, "class", "expected a class label, found an empty field."); continue; }
            if (options.Classes is { } cl && !cl.Contains(label))
            { errors.Add(file, csvPath, line, "class", $"unknown class '{label}': expected one of {string.Join(", ", cl)}."); continue; }
            string split = cSplit >= 0 ? f[cSplit].ToLowerInvariant() : "";
            if (cSplit >= 0 && !SplitNames.All.Contains(split))
            { errors.Add(file, csvPath, line, "split", $"expected train, valid or test, found '{f[cSplit]}'."); continue; }
            string patient = cPatient >= 0 ? f[cPatient] : System.IO.Path.GetFileNameWithoutExtension(file);
            if (patient.Length == 0) { errors.Add(file, csvPath, line, "patient_id", "expected a patient id, found an empty field."); continue; }
            rows.Add((line, file, label, patient, split));
        }

        // A patient in two splits leaks training images into evaluation: refuse, or skip all of that patient's rows.
        if (cSplit >= 0)
        {
            var leaks = PatientSplits.FindLeaks(rows.Select(r => (r.Patient, r.Split, r.File)));
            foreach (var leak in leaks)
                foreach (var r in rows.Where(r => r.Patient == leak.PatientId))
                    errors.Add(r.File, csvPath, r.Line, "patient_id", $"patient '{leak.PatientId}' is in more than one split ({string.Join(", ", leak.Splits)}; files {string.Join(", ", leak.Files)}).");
            var leaked = leaks.Select(l => l.PatientId).ToHashSet(StringComparer.Ordinal);
            rows.RemoveAll(r => leaked.Contains(r.Patient));
        }

        var classes = options.Classes?.ToList() ?? rows.Select(r => r.Label).Distinct().OrderBy(l => l, StringComparer.Ordinal).ToList();
        var records = new List<ManifestRecord>();
        var usedAnnotationKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            string imagePath = System.IO.Path.Combine(root, options.ImageFolder, r.File);
            try
            {
                if (!options.AllowOutsideRoot) CheckNoLinkOut(System.IO.Path.Combine(root, options.ImageFolder), imagePath, csvPath, r.Line, options.ImageFolder);
                var (w, h) = CheckHeader(imagePath, csvPath, r.Line, options.MaxPixels);
                var ann = Annotate(r.File, r.Line, w, h, root, csvPath, options, annotations, usedAnnotationKeys);
                if (!options.AllowOutsideRoot && ann is RoiImageAnnotation roi)
                {
                    CheckNoLinkOut(System.IO.Path.Combine(root, options.RoiFolder), roi.RoiPath, csvPath, r.Line, options.RoiFolder);
                    if (roi.MaskPath is { } maskPath) CheckNoLinkOut(System.IO.Path.Combine(root, options.MaskFolder), maskPath, csvPath, r.Line, options.MaskFolder);
                }
                else if (!options.AllowOutsideRoot && ann is MaskImageAnnotation mask)
                    CheckNoLinkOut(System.IO.Path.Combine(root, options.MaskFolder), mask.MaskPath, csvPath, r.Line, options.MaskFolder);
                records.Add(new ManifestRecord(r.File, imagePath, ann, r.Label, classes.IndexOf(r.Label), r.Patient, r.Split, r.Line, w, h));
            }
            catch (DataException e) { errors.Add(r.File, e.File, e.Line, e.Column, e.Reason); }
        }
        if (annotations is { } a)
        {
            var stems = seen.Keys.Select(k => System.IO.Path.GetFileNameWithoutExtension(k)).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, src) in a.Entries.Where(kv => !usedAnnotationKeys.Contains(kv.Key)).OrderBy(kv => kv.Value.Line))
                if (!seen.ContainsKey(key) && !stems.Contains(key))
                    errors.Add(key, a.Path, a.BoxLines is null ? null : src.Line, a.KeyColumn, $"annotation for '{key}', but the manifest {csvPath} has no such image.");
        }
        return new Manifest(csvPath, options, classes, records, errors.Items, cPatient >= 0);
    }

    /// <summary>
    /// Refuses a file that a symbolic link inside its dataset folder leads out of it (<c>raw/sub → /outside</c>): the
    /// confinement of <c>file_name</c>s would otherwise be one link away from any file on the machine.
    /// </summary>
    static void CheckNoLinkOut(string folder, string path, string csvPath, int line, string folderName)
    {
        if (Runtime.SafePath.LeavesByLink(folder, path))
            throw new DataException(csvPath, line, "file_name",
                $"expected a file inside the dataset's {folderName}/ folder, found {path} leading to {Runtime.SafePath.RealPath(path)} through a symbolic link; pass --allow-outside-root to accept it.");
    }

    /// <summary>Whether a manifest <c>file_name</c> is absolute or has a <c>..</c> segment (either could leave the image folders).</summary>
    public static bool EscapesFolder(string fileName) =>
        System.IO.Path.IsPathRooted(fileName) || fileName.StartsWith('~')
        || fileName.Split('/', '\\').Any(segment => segment == "..");

    /// <summary>Reads an image's header only: format, width, height; refuses non-images, unreadable headers and images over the pixel limit.</summary>
    public static (int Width, int Height) CheckHeader(string imagePath, string manifestPath, int line, long maxPixels, string role = "image")
    {
        if (!File.Exists(imagePath)) throw new DataException(manifestPath, line, null, $"missing {role} file {imagePath}.");
        IImageInfo? info;
        try { info = Image.Identify(imagePath); }
        catch (Exception e) when (e is not DataException)
        { throw new DataException(manifestPath, line, null, $"{role} file {imagePath}: expected a readable PNG/JPEG/TIFF header, found a corrupt one ({e.Message})."); }
        if (info is null)
            throw new DataException(manifestPath, line, null, $"{role} file {imagePath}: expected a PNG, JPEG or TIFF image, found an unrecognised format.");
        if ((long)info.Width * info.Height > maxPixels)
            throw new DataException(manifestPath, line, null, $"{role} file {imagePath}: {info.Width}×{info.Height} = {(long)info.Width * info.Height} pixels exceeds the limit of {maxPixels}.");
        return (info.Width, info.Height);
    }

    // BoxLines: the CSV line of each box of an entry, so an out-of-image box is reported on its own line.
    private sealed record AnnotationSource(string Path, string KeyColumn, Dictionary<string, (int Line, Annotation Annotation)> Entries, Dictionary<string, List<int>>? BoxLines = null);

    private static AnnotationSource? LoadAnnotationSource(string root, ManifestOptions o, ErrorSink errors) => o.Format switch
    {
        AnnotationFormat.RsnaBoxes => LoadBoxes(System.IO.Path.Combine(root, o.AnnotationFile ?? "boxes.csv"), errors),
        AnnotationFormat.Polygons => LoadPolygons(System.IO.Path.Combine(root, o.AnnotationFile ?? "polygons.json")),
        _ => null,
    };

    private static AnnotationSource LoadBoxes(string path, ErrorSink errors)
    {
        var t = Csv.Read(path);
        int cId = t.Require("patientId"), cx = t.Require("x"), cy = t.Require("y"), cw = t.Require("width"), ch = t.Require("height"), cT = t.Require("Target");
        var boxes = new Dictionary<string, (int Line, List<Box> Boxes)>(StringComparer.Ordinal);
        var lines = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        // The line of each image's Target 0 ("no finding") row: an image cannot both have no finding and a box.
        var noFinding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, f) in t.Rows)
        {
            string id = f.Length > cId ? f[cId] : "";
            if (f.Length != t.Header.Count) { errors.Add(id, path, line, null, $"malformed row: expected {t.Header.Count} fields, found {f.Length}."); continue; }
            if (id.Length == 0) { errors.Add("", path, line, "patientId", "expected an image id, found an empty field."); continue; }
            if (!boxes.TryGetValue(id, out var entry)) boxes[id] = entry = (line, new List<Box>());
            if (f[cT] == "0")
            {
                // Target 0 means "no finding": coordinates on such a row are a conversion error (a box whose Target
                // was lost), not something to drop silently.
                var filled = new[] { cx, cy, cw, ch }.Where(c => f[c].Trim().Length > 0).Select(c => t.Header[c]).ToList();
                if (filled.Count > 0)
                    errors.Add(id, path, line, "Target", $"expected empty {string.Join(", ", filled)} on a row with Target 0 (no finding), found {string.Join(", ", filled.Select(c => $"{c}={f[t.Header.ToList().IndexOf(c)]}"))}; set Target to 1 if this is a box.");
                else if (lines.TryGetValue(id, out var boxLines))
                    errors.Add(id, path, line, "Target", $"expected either a Target 0 row (no finding) or Target 1 rows (boxes) for image '{id}', found both: Target 1 on line {boxLines[0]}, Target 0 on line {line}.");
                else noFinding.TryAdd(id, line);
                continue;
            }
            if (f[cT] != "1") { errors.Add(id, path, line, "Target", $"expected 0 or 1, found '{f[cT]}'."); continue; }
            if (noFinding.TryGetValue(id, out var zeroLine))
            {
                errors.Add(id, path, line, "Target", $"expected either a Target 0 row (no finding) or Target 1 rows (boxes) for image '{id}', found both: Target 0 on line {zeroLine}, Target 1 on line {line}.");
                continue;
            }
            var v = new double[4]; bool ok = true;
            foreach (var (col, i) in new[] { (cx, 0), (cy, 1), (cw, 2), (ch, 3) })
                if (!double.TryParse(f[col], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || double.IsNaN(v[i]))
                { errors.Add(id, path, line, t.Header[col], $"expected a number, found '{f[col]}'."); ok = false; break; }
            if (!ok) continue;
            if (v[2] <= 0 || v[3] <= 0) { errors.Add(id, path, line, "width", $"expected a positive width and height, found {v[2]}×{v[3]}."); continue; }
            entry.Boxes.Add(new Box(v[0], v[1], v[2], v[3]));
            (lines.TryGetValue(id, out var l) ? l : lines[id] = []).Add(line);
        }
        return new AnnotationSource(path, "patientId", boxes.ToDictionary(kv => kv.Key, kv => (kv.Value.Line, (Annotation)new BoxAnnotation(kv.Value.Boxes)), StringComparer.Ordinal), lines);
    }

    private static AnnotationSource LoadPolygons(string path)
    {
        if (!File.Exists(path)) throw new DataException(path, null, null, "expected a polygon JSON file, found none (file does not exist).");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DataException(path, (int?)(e.LineNumber + 1), null, $"expected valid JSON, found a syntax error ({e.Message})."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DataException(path, null, null, $"expected an object mapping file names to lists of polygons, found a JSON {doc.RootElement.ValueKind}.");
            var entries = new Dictionary<string, (int, Annotation)>(StringComparer.Ordinal);
            int ordinal = 0;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                ordinal++;
                string Where(int r, int p) => $"'{prop.Name}' region {r}" + (p >= 0 ? $" point {p}" : "");
                if (prop.Value.ValueKind != JsonValueKind.Array)
                    throw new DataException(path, null, prop.Name, $"expected a list of regions, found a JSON {prop.Value.ValueKind}.");
                var regions = new List<IReadOnlyList<Vec2>>();
                int ri = 0;
                foreach (var region in prop.Value.EnumerateArray())
                {
                    if (region.ValueKind != JsonValueKind.Array || region.GetArrayLength() < 3)
                        throw new DataException(path, null, prop.Name, $"{Where(ri, -1)}: expected a list of at least 3 [x, y] points, found {(region.ValueKind == JsonValueKind.Array ? region.GetArrayLength() + " points" : "a JSON " + region.ValueKind)}.");
                    var pts = new List<Vec2>();
                    int pi = 0;
                    foreach (var pt in region.EnumerateArray())
                    {
                        if (pt.ValueKind != JsonValueKind.Array || pt.GetArrayLength() != 2 || pt[0].ValueKind != JsonValueKind.Number || pt[1].ValueKind != JsonValueKind.Number)
                            throw new DataException(path, null, prop.Name, $"{Where(ri, pi)}: expected [x, y] numbers, found {pt.GetRawText()}.");
                        pts.Add(new Vec2(pt[0].GetDouble(), pt[1].GetDouble()));
                        pi++;
                    }
                    regions.Add(pts);
                    ri++;
                }
                // JSON has no row numbers; the entry's position stands in for ordering the report.
                entries[prop.Name] = (ordinal, new PolygonAnnotation(regions));
            }
            return new AnnotationSource(path, "key", entries);
        }
    }

    private static Annotation Annotate(string file, int line, int w, int h, string root, string csvPath, ManifestOptions o, AnnotationSource? source, HashSet<string> used)
    {
        switch (o.Format)
        {
            case AnnotationFormat.RoiImages:
            {
                string roi = System.IO.Path.Combine(root, o.RoiFolder, file);
                CheckSameSize(roi, "ROI", w, h, csvPath, line, o.MaxPixels);
                string mask = System.IO.Path.Combine(root, o.MaskFolder, file);
                bool hasMasks = Directory.Exists(System.IO.Path.Combine(root, o.MaskFolder));
                if (hasMasks) CheckSameSize(mask, "mask", w, h, csvPath, line, o.MaxPixels);
                return new RoiImageAnnotation(roi, hasMasks ? mask : null);
            }
            case AnnotationFormat.MaskImages:
            {
                string mask = System.IO.Path.Combine(root, o.MaskFolder, file);
                CheckSameSize(mask, "mask", w, h, csvPath, line, o.MaxPixels);
                return new MaskImageAnnotation(mask);
            }
            default:
            {
                string key = o.Format == AnnotationFormat.RsnaBoxes ? System.IO.Path.GetFileNameWithoutExtension(file) : file;
                if (!source!.Entries.TryGetValue(key, out var entry))
                    throw new DataException(source.Path, null, source.KeyColumn, $"expected an entry for '{key}' (manifest {csvPath}, line {line}), found none" +
                        (o.Format == AnnotationFormat.RsnaBoxes ? " (an image without findings needs a row with Target 0)." : " (an image without findings needs an empty list)."));
                used.Add(key);
                if (entry.Annotation is BoxAnnotation ba)
                    for (int bi = 0; bi < ba.Boxes.Count; bi++)
                        if (ba.Boxes[bi] is var b && (b.X < 0 || b.Y < 0 || b.X + b.Width > w || b.Y + b.Height > h))
                            throw new DataException(source.Path, source.BoxLines![key][bi], "patientId", $"box of '{key}' at x={b.X}, y={b.Y}, {b.Width}×{b.Height} lies outside the {w}×{h} image.");
                if (entry.Annotation is PolygonAnnotation pa)
                    for (int r = 0; r < pa.Regions.Count; r++)
                        foreach (var p in pa.Regions[r])
                            if (p.X < 0 || p.Y < 0 || p.X > w || p.Y > h)
                                throw new DataException(source.Path, null, file, $"region {r} point [{p.X}, {p.Y}] lies outside the {w}×{h} image.");
                return entry.Annotation;
            }
        }
    }

    private static void CheckSameSize(string path, string role, int w, int h, string csvPath, int line, long maxPixels)
    {
        var (mw, mh) = CheckHeader(path, csvPath, line, maxPixels, role);
        if (mw != w || mh != h)
            throw new DataException(csvPath, line, null, $"{role} file {path} is {mw}×{mh}, expected the image's size {w}×{h}.");
    }

    /// <summary>
    /// A copy whose splits are reassigned per patient, stratified by class (see <see cref="PatientSplits.Assign"/>).
    /// </summary>
    public Manifest WithPatientSplits(SplitFractions fractions, ulong seed)
    {
        var map = PatientSplits.Assign(Records.Select(r => (r.PatientId, r.ClassCode)), fractions, seed);
        return With(Records.Select(r => r with { Split = map[r.PatientId] }).ToList());
    }

    /// <summary>
    /// Keeps the CSV's splits and moves a patient-level, class-stratified <paramref name="fraction"/> of the
    /// <paramref name="from"/> split's images into a new test split (the authors had none).
    /// </summary>
    public Manifest CarveTest(double fraction, ulong seed, string from = SplitNames.Train)
    {
        if (fraction is <= 0 or >= 1) throw new ArgumentException($"CarveTest: expected a fraction in (0, 1), found {fraction}.");
        // Bad input, not a bug: carving is for a manifest without a test split (the authors' train/valid one).
        if (Records.Any(r => r.Split == SplitNames.Test))
            throw new DataException(Path, null, "split",
                $"expected no test split to carve a test split from, found {Records.Count(r => r.Split == SplitNames.Test)} test images; " +
                "to reassign every split of this manifest use --fractions instead of --carve-test.");
        var source = Records.Where(r => r.Split == from).ToList();
        var map = PatientSplits.Assign(source.Select(r => (r.PatientId, r.ClassCode)), new SplitFractions(1 - fraction, 0, fraction), seed);
        return With(Records.Select(r => r.Split == from && map[r.PatientId] == SplitNames.Test ? r with { Split = SplitNames.Test } : r).ToList());
    }

    /// <summary>
    /// This manifest without the images of <paramref name="invalid"/> (found unreadable after loading, e.g. by decoding their
    /// pixels with <see cref="ImageStore"/>), which join <see cref="Skipped"/>: what <c>--skip-invalid</c> keeps and reports.
    /// </summary>
    public Manifest Without(IReadOnlyList<SkippedItem> invalid)
    {
        var drop = invalid.Select(i => i.FileName).ToHashSet(StringComparer.Ordinal);
        return new Manifest(Path, Options, Classes, Records.Where(r => !drop.Contains(r.FileName)).ToList(),
            Skipped.Concat(invalid.Where(i => !Skipped.Contains(i))).ToList(), HasPatientIds);
    }

    private Manifest With(IReadOnlyList<ManifestRecord> records)
    {
        var leaks = PatientSplits.FindLeaks(records.Select(r => (r.PatientId, r.Split, r.FileName)));
        if (leaks.Count > 0) throw new InvalidOperationException($"{Path}: split assignment leaks patients: {PatientSplits.Describe(leaks)}.");
        return new Manifest(Path, Options, Classes, records, Skipped, HasPatientIds);
    }

    /// <summary>The columns the project writes a manifest with (<see cref="Save"/>, the phantom generator): the authors' three and <c>patient_id</c>.</summary>
    public static readonly IReadOnlyList<string> Columns = ["file_name", "class", "split", "patient_id"];

    /// <summary>Writes the manifest in the authors' CSV format plus <c>patient_id</c> (atomically).</summary>
    public void Save(string csvPath)
    {
        var csv = new CsvWriter(Columns);
        foreach (var r in Records) csv.Row(r.FileName, r.ClassLabel, r.Split, r.PatientId);
        csv.Save(csvPath);
    }

    /// <summary>Image counts per class (rows, in code order) and split (columns).</summary>
    public IReadOnlyList<(string Class, IReadOnlyDictionary<string, int> PerSplit)> CountsByClassAndSplit() =>
        Classes.Select(c => (c, (IReadOnlyDictionary<string, int>)SplitNames.All.ToDictionary(s => s, s => Records.Count(r => r.ClassLabel == c && r.Split == s)))).ToList();

    private sealed class ErrorSink(bool skip)
    {
        public List<SkippedItem> Items { get; } = [];
        public void Add(string file, string source, int? line, string? column, string reason)
        {
            var e = new DataException(source, line, column, reason);
            if (!skip) throw e;
            Items.Add(new SkippedItem(file, source, line, e.Message));
        }
    }
}
