using System.Globalization;
using System.Text.Json;
using PneuKnow.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace PneuKnow.Data.Phantom;

/// <summary>One planned phantom image.</summary>
/// <param name="Index">Position in the dataset (0-based), also the image's random stream key.</param>
/// <param name="FileName">File name under raw/, roi/ and masks/.</param>
/// <param name="Label">The authors' class label (B, C, NB, P, V).</param>
/// <param name="PatientId">Patient id; follow-up images share it.</param>
/// <param name="Split">train, valid or test.</param>
public sealed record PhantomCase(int Index, string FileName, string Label, string PatientId, string Split);

/// <summary>The three 8-bit planes of one rendered phantom image.</summary>
/// <param name="Size">Side in pixels.</param>
/// <param name="Raw">The full radiograph.</param>
/// <param name="Roi">The radiograph with everything outside the annotation set to 0.</param>
/// <param name="Mask">The annotation: 255 inside, 0 outside.</param>
/// <param name="Atypical">Whether the case was drawn as atypical/ambiguous.</param>
/// <param name="Device">Whether the out-of-lung confounder (electrodes, leads, side marker) is present.</param>
/// <param name="DeviceMask">Where the confounder was drawn: 255 on its pixels, 0 elsewhere (all 0 without one); what a
/// decision-region score of "attention on the shortcut" is measured against.</param>
public sealed record PhantomImage(int Size, byte[] Raw, byte[] Roi, byte[] Mask, bool Atypical, bool Device, byte[] DeviceMask);

/// <summary>What <see cref="PhantomGenerator.Generate"/> wrote.</summary>
/// <param name="Directory">The output folder.</param>
/// <param name="ManifestPath">The manifest CSV (<c>file_name,class,split,patient_id</c>).</param>
/// <param name="Cases">Every image, in manifest order.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record PhantomDataset(string Directory, string ManifestPath, IReadOnlyList<PhantomCase> Cases, TimeSpan Elapsed);

/// <summary>
/// The annotated chest-radiograph phantom: a deterministic stand-in for the study's private images, written in the
/// authors' layout (<c>raw/</c>, <c>roi/</c>, <c>masks/</c>, <c>manifest.csv</c>). See <see cref="PhantomOptions"/>
/// for the knobs and data/README.md for what they model.
/// </summary>
public static class PhantomGenerator
{
    /// <summary>The manifest file name written by <see cref="Generate"/>.</summary>
    public const string ManifestFileName = "manifest.csv";

    /// <summary>Folder of the confounder masks (<see cref="PhantomImage.DeviceMask"/>), one PNG per image beside raw/, roi/ and masks/.</summary>
    public const string DeviceFolder = "devices";

    /// <summary>The classes whose presence probability of the confounder rises with <see cref="PhantomOptions.ShortcutStrength"/>.</summary>
    public static readonly IReadOnlyList<string> ConfoundedLabels = [PhantomFindings.Covid, PhantomFindings.Fungal];

    /// <summary>
    /// Generates the dataset into <paramref name="outDir"/> (created if needed; existing files of the same names are
    /// replaced). Same options, same bytes, whatever <see cref="PhantomOptions.Threads"/> is.
    /// </summary>
    /// <example><code>var ds = PhantomGenerator.Generate(new PhantomOptions { Images = 200, Size = 128, Seed = 7 }, "data/generated/smoke");</code></example>
    public static PhantomDataset Generate(PhantomOptions options, string outDir, IProgress? progress = null)
    {
        options.Validate();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var cases = Plan(options);
        foreach (var sub in new[] { "raw", "roi", "masks", DeviceFolder }) System.IO.Directory.CreateDirectory(Path.Combine(outDir, sub));
        var encoder = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.DefaultCompression };
        var gate = new object();
        using (var task = (progress ?? SilentProgress.Instance).Start(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"synth {cases.Count} images at {options.Size} px"), cases.Count))
        {
            var po = new ParallelOptions { MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
            Parallel.ForEach(cases, po, c =>
            {
                var img = Render(options, c);
                WritePng(Path.Combine(outDir, "raw", c.FileName), img.Raw, img.Size, encoder);
                WritePng(Path.Combine(outDir, "roi", c.FileName), img.Roi, img.Size, encoder);
                WritePng(Path.Combine(outDir, "masks", c.FileName), img.Mask, img.Size, encoder);
                WritePng(Path.Combine(outDir, DeviceFolder, c.FileName), img.DeviceMask, img.Size, encoder);
                lock (gate) task.Advance();
            });
        }
        var csv = new CsvWriter(Manifest.Columns);
        foreach (var c in cases) csv.Row(c.FileName, c.Label, c.Split, c.PatientId);
        var manifest = Path.Combine(outDir, ManifestFileName);
        csv.Save(manifest);
        AtomicFile.WriteAllText(Path.Combine(outDir, "phantom.json"), Describe(options, cases));
        return new PhantomDataset(outDir, manifest, cases, sw.Elapsed);
    }

    /// <summary>
    /// Plans the dataset without drawing: patients (some with 2–4 images) per class, shuffled so that file names
    /// carry no class information, then patient-level stratified splits.
    /// </summary>
    public static IReadOnlyList<PhantomCase> Plan(PhantomOptions options)
    {
        options.Validate();
        var rng = SplitMix64.Derive(options.Seed, 1);
        var patients = new List<(string Label, int Images)>();
        foreach (var (label, count) in options.ClassCounts())
        {
            int left = count;
            while (left > 0)
            {
                int k = Math.Min(left, rng.Chance(options.MultiImagePatientShare) ? rng.Next(2, 5) : 1);
                patients.Add((label, k));
                left -= k;
            }
        }
        rng.Shuffle(patients);
        var planned = new List<(string File, string Label, string Patient)>();
        int digits = Math.Max(4, options.Images.ToString(CultureInfo.InvariantCulture).Length);
        for (int p = 0; p < patients.Count; p++)
        {
            string pid = "P" + (p + 1).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
            for (int k = 0; k < patients[p].Images; k++)
                planned.Add(("img" + (planned.Count + 1).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0') + ".png", patients[p].Label, pid));
        }
        var labels = options.EffectiveShares().Select(kv => kv.Key).ToList();
        var splits = PatientSplits.Assign(planned.Select(x => (x.Patient, labels.IndexOf(x.Label))), options.Splits, options.Seed);
        return planned.Select((x, i) => new PhantomCase(i, x.File, x.Label, x.Patient, splits[x.Patient])).ToList();
    }

    /// <summary>Draws one image of the plan (pure: depends only on the options and the case).</summary>
    public static PhantomImage Render(PhantomOptions options, PhantomCase c)
    {
        ulong patientKey = SplitMix64.Hash(c.PatientId);
        var anatomy = new ChestAnatomy(SplitMix64.Derive(options.Seed, 3, patientKey));
        var caseRng = SplitMix64.Derive(options.Seed, 4, patientKey);
        bool atypical = caseRng.Chance(options.AtypicalShare);
        var others = PhantomFindings.KnownLabels.Where(l => l != c.Label && l != PhantomFindings.Healthy).ToList();
        string mimic = others[caseRng.Next(others.Count)];
        double severity = caseRng.Uniform(0.5, 1.0);

        var img = SplitMix64.Derive(options.Seed, 5, (ulong)c.Index);
        int n = options.Size;
        var pose = new Pose(n, img.Uniform(0.9, 1.06), img.Gaussian(0, 0.03), new Vec2(img.Gaussian(0, 0.018), img.Gaussian(0.01, 0.015)));
        var chest = anatomy.Render(pose, img);
        double k = options.Conspicuity * severity * img.Uniform(0.9, 1.1);

        var finding = new Plane(n, n);
        var support = new Plane(n, n);
        var lesionRng = SplitMix64.Derive(options.Seed, 6, patientKey);
        if (c.Label == PhantomFindings.Healthy)
        {
            // An ambiguous normal: a faint disease-like opacity that the reader did not annotate.
            if (atypical) PhantomFindings.Draw(mimic, anatomy, pose, lesionRng, 0.35 * k, finding, null);
        }
        else
        {
            PhantomFindings.Draw(c.Label, anatomy, pose, lesionRng, atypical ? 0.65 * k : k, finding, support);
            if (atypical) PhantomFindings.Draw(mimic, anatomy, pose, lesionRng, 0.5 * k, finding, support);
        }

        var lungs = chest.LungCoverage.Data;
        var d = chest.Density.Data;
        for (int i = 0; i < d.Length; i++) d[i] += finding.Data[i] * lungs[i];

        bool device = HasDevice(options, c);
        var deviceMask = new byte[n * n];
        if (device) DrawDevice(chest, pose, SplitMix64.Derive(options.Seed, 8, (ulong)c.Index), deviceMask); // own stream: the rest of the image does not change with it

        // Acquisition: detector blur, exposure (contrast, brightness, gamma) and quantum noise.
        double px = pose.Length(1.0) / 256.0;
        chest.Density.GaussianBlur(img.Uniform(0.35, 0.9) * px);
        double contrast = img.Uniform(1.15, 1.45), bright = img.Gaussian(0, 0.03), gamma = img.Uniform(0.85, 1.2), noise = img.Uniform(0.006, 0.02);
        var raw = new byte[n * n]; var roi = new byte[n * n]; var mask = new byte[n * n];
        bool lungRoi = c.Label == PhantomFindings.Healthy && options.HealthyRoi == HealthyRoi.Lungs;
        for (int i = 0; i < raw.Length; i++)
        {
            double v = Math.Pow(Math.Clamp(d[i] * contrast + bright, 0, 1), gamma) + noise * img.Gaussian();
            raw[i] = (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);
            bool inMask = lungs[i] >= 0.5f && (lungRoi || support.Data[i] >= 0.5f);
            mask[i] = inMask ? (byte)255 : (byte)0;
            roi[i] = inMask ? raw[i] : (byte)0;
        }
        return new PhantomImage(n, raw, roi, mask, atypical, device, deviceMask);
    }

    /// <summary>
    /// Whether case <paramref name="c"/> carries the out-of-lung confounder: probability 0.5 in test, and in train/valid
    /// 0.5 + 0.5·<see cref="PhantomOptions.ShortcutStrength"/> for <see cref="ConfoundedLabels"/>, 0.5 − that for the others.
    /// Drawn from its own stream, so it can be read without rendering.
    /// </summary>
    public static bool HasDevice(PhantomOptions options, PhantomCase c)
    {
        double p = c.Split == SplitNames.Test ? 0.5
            : 0.5 + 0.5 * options.ShortcutStrength * (ConfoundedLabels.Contains(c.Label) ? 1 : -1);
        return SplitMix64.Derive(options.Seed, 7, (ulong)c.Index).Chance(p);
    }

    // ECG electrodes on the shoulders and upper abdomen with their leads, and a lead side marker in a top corner:
    // everything outside the lungs, so only a model that looks outside the annotation can use it.
    private static void DrawDevice(ChestAnatomy.Rendering chest, Pose pose, SplitMix64 rng, byte[] deviceMask)
    {
        int n = pose.Size;
        var dev = new Plane(n, n);
        var spots = new[] { new Vec2(0.5 - 0.37, 0.12), new Vec2(0.5 + 0.37, 0.12), new Vec2(0.5 + rng.Uniform(0.15, 0.32), rng.Uniform(0.88, 0.95)) };
        foreach (var s in spots)
        {
            var c = pose.Map(s + new Vec2(rng.Gaussian(0, 0.01), rng.Gaussian(0, 0.01)));
            dev.FillDisc(c, pose.Length(0.02), 0.55f);
            dev.FillDisc(c, pose.Length(0.011), -0.25f);
            var to = new Vec2(s.X < 0.5 ? -0.05 : 1.05, s.Y + rng.Uniform(-0.1, 0.15));
            double wiggle = rng.Uniform(0.01, 0.03), phase = rng.Uniform(0, 6.28);
            var lead = Shapes.Curve(t => s * (1 - t) + to * t + new Vec2(0, wiggle * Math.Sin(7 * t + phase)), 14);
            var tmp = new Plane(n, n);
            tmp.StrokePolyline(pose.Map(lead), Math.Max(0.5, pose.Length(0.003)), 0.35f);
            for (int i = 0; i < dev.Data.Length; i++) dev.Data[i] += tmp.Data[i];
        }
        // The side marker sits on the detector, not on the patient: pixel coordinates, unaffected by the pose.
        bool left = rng.Chance(0.5);
        double x0 = (left ? 0.04 : 0.86) * n, y0 = 0.04 * n, w = 0.1 * n, h = 0.07 * n;
        dev.FillPolygon([new(x0, y0), new(x0 + w, y0), new(x0 + w, y0 + h), new(x0, y0 + h)], 0.8f);
        var letter = new Plane(n, n);
        letter.StrokePolyline([new(x0 + 0.3 * w, y0 + 0.18 * h), new(x0 + 0.3 * w, y0 + 0.82 * h), new(x0 + 0.72 * w, y0 + 0.82 * h)], Math.Max(0.6, 0.06 * w), 1f);
        for (int i = 0; i < dev.Data.Length; i++)
        {
            float added = (dev.Data[i] - 0.6f * letter.Data[i]) * (1f - Math.Min(1f, chest.LungCoverage.Data[i] * 4f));
            chest.Density.Data[i] += added;
            // A pixel belongs to the confounder where it changes the density visibly (a tenth of the weakest stroke, the leads' 0.35).
            if (Math.Abs(added) >= 0.035f) deviceMask[i] = 255;
        }
    }

    private static void WritePng(string path, byte[] pixels, int size, PngEncoder encoder)
    {
        using var image = Image.LoadPixelData<L8>(pixels, size, size);
        AtomicFile.WriteStream(path, s => image.Save(s, encoder));
    }

    private static string Describe(PhantomOptions o, IReadOnlyList<PhantomCase> cases)
    {
        var doc = new Dictionary<string, object?>
        {
            ["generator"] = "PneuKnow phantom v1",
            ["images"] = o.Images, ["size"] = o.Size, ["seed"] = o.Seed,
            ["class_counts"] = cases.GroupBy(c => c.Label).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            ["patients"] = cases.Select(c => c.PatientId).Distinct().Count(),
            ["split_counts"] = cases.GroupBy(c => c.Split).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            ["conspicuity"] = o.Conspicuity, ["atypical_share"] = o.AtypicalShare, ["shortcut_strength"] = o.ShortcutStrength,
            ["multi_image_patient_share"] = o.MultiImagePatientShare,
            ["splits"] = new[] { o.Splits.Train, o.Splits.Valid, o.Splits.Test },
            ["healthy_roi"] = o.HealthyRoi.ToString().ToLowerInvariant(),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
