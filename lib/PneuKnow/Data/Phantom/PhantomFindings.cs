using PneuKnow.Runtime;

namespace PneuKnow.Data.Phantom;

/// <summary>
/// The class-specific findings, drawn inside the lungs and modelled on the radiological description of each class:
/// bacterial — dense lobar consolidation, mostly one lobe, with air bronchograms; COVID-19 — bilateral,
/// peripheral, lower-zone ground-glass opacities; viral — bilateral perihilar interstitial/reticular pattern;
/// fungal — multiple nodules, some with a ground-glass halo or a cavity; healthy — none.
/// </summary>
public static class PhantomFindings
{
    /// <summary>Bacterial pneumonia.</summary>
    public const string Bacterial = "B";
    /// <summary>COVID-19.</summary>
    public const string Covid = "C";
    /// <summary>Healthy.</summary>
    public const string Healthy = "NB";
    /// <summary>Fungal pneumonia.</summary>
    public const string Fungal = "P";
    /// <summary>Other viral pneumonia.</summary>
    public const string Viral = "V";

    /// <summary>The labels the generator knows, in code (sorted) order.</summary>
    public static readonly IReadOnlyList<string> KnownLabels = [Bacterial, Covid, Healthy, Fungal, Viral];

    /// <summary>Readable name of each label.</summary>
    public static string Describe(string label) => label switch
    {
        Bacterial => "bacterial", Covid => "COVID-19", Healthy => "healthy", Fungal => "fungal", Viral => "viral",
        _ => label,
    };

    /// <summary>
    /// Adds the pattern of <paramref name="label"/> to <paramref name="density"/> (before clipping to the lungs) and,
    /// when <paramref name="support"/> is given, its annotated extent (coverage 0..1) to <paramref name="support"/>.
    /// </summary>
    /// <param name="label">Which pattern.</param>
    /// <param name="anatomy">The patient.</param>
    /// <param name="pose">Where the patient sits in the image.</param>
    /// <param name="rng">Patient-level stream, so follow-up images of a patient show the same lesions.</param>
    /// <param name="strength">Density contrast multiplier (conspicuity × severity).</param>
    /// <param name="density">Finding density, clipped to the lungs by the caller.</param>
    /// <param name="support">The annotation's extent, or null for an unannotated pattern.</param>
    public static void Draw(string label, ChestAnatomy anatomy, Pose pose, SplitMix64 rng, double strength, Plane density, Plane? support)
    {
        switch (label)
        {
            case Bacterial: LobarConsolidation(anatomy, pose, rng, strength, density, support); break;
            case Covid: PeripheralGroundGlass(anatomy, pose, rng, strength, density, support); break;
            case Viral: PerihilarInterstitial(anatomy, pose, rng, strength, density, support); break;
            case Fungal: Nodules(anatomy, pose, rng, strength, density, support); break;
            case Healthy: break;
            default: throw new ArgumentException($"Phantom finding: expected one of {string.Join(", ", KnownLabels)}, found '{label}'.");
        }
    }

    private static void AddInto(Plane target, Plane source, float weight)
    {
        for (int i = 0; i < target.Data.Length; i++) target.Data[i] += weight * source.Data[i];
    }

    private static void LobarConsolidation(ChestAnatomy a, Pose pose, SplitMix64 rng, double k, Plane density, Plane? support)
    {
        int n = pose.Size; double px = pose.Length(1.0) / 256.0;
        var lung = rng.Chance(0.6) ? a.RightLung : a.LeftLung;
        double zone = rng.NextDouble();
        // Lower lobe most often, then middle lobe/lingula, then upper lobe; a fissure gives one straight sharp margin.
        (double fy, bool below) = zone < 0.55 ? (rng.Uniform(0.6, 0.8), true) : zone < 0.8 ? (rng.Uniform(0.45, 0.6), true) : (rng.Uniform(0.2, 0.35), false);
        var centre = lung.Sample(rng, 0.2, 0.8, fy - 0.08, fy + 0.08);
        var blob = Shapes.Blob(centre, lung.Width * rng.Uniform(0.35, 0.55), lung.Height * rng.Uniform(0.18, 0.28), 0.25, rng);
        double fissureY = lung.Top + lung.Height * (below ? fy - 0.18 : fy + 0.16), tilt = rng.Uniform(-0.06, 0.06);
        var p1 = new Vec2(lung.MedialX, fissureY - tilt); var p2 = new Vec2(lung.LateralX, fissureY + tilt);
        // ClipHalfPlane keeps the left-hand side of its line, so which end comes first depends on the lung side.
        bool medialToLateral = below == (lung.Side > 0);
        var region = medialToLateral ? Shapes.ClipHalfPlane(blob, p1, p2) : Shapes.ClipHalfPlane(blob, p2, p1);
        if (region.Count < 3) region = blob;

        var r = new Plane(n, n);
        r.FillPolygon(pose.Map(region)); r.Clamp();
        support?.FillPolygon(pose.Map(region));
        var soft = r.Clone(); soft.GaussianBlur(1.5 * px);
        var mottle = Plane.ValueNoise(n, n, 20, rng);

        // Air bronchograms: aerated bronchi stay dark inside the dense lobe.
        var bronchi = new Plane(n, n);
        int count = rng.Next(2, 5);
        for (int i = 0; i < count; i++)
        {
            var start = lung.Hilum * 0.5 + centre * 0.5;
            var dir = centre - lung.Hilum; double len = dir.Length; dir = dir * (1 / Math.Max(len, 1e-6));
            double turn = rng.Uniform(-0.6, 0.6);
            var d = new Vec2(Math.Cos(turn) * dir.X - Math.Sin(turn) * dir.Y, Math.Sin(turn) * dir.X + Math.Cos(turn) * dir.Y);
            var pts = Shapes.Curve(t => start + d * (t * lung.Width * 0.7) + new Vec2(0, 0.01 * Math.Sin(6 * t + i)), 8);
            bronchi.StrokePolyline(pose.Map(pts), Math.Max(0.5, pose.Length(0.0035)), 1f);
            var fork = pts[4];
            var d2 = new Vec2(Math.Cos(0.5) * d.X - Math.Sin(0.5) * d.Y, Math.Sin(0.5) * d.X + Math.Cos(0.5) * d.Y);
            bronchi.StrokePolyline(pose.Map(new[] { fork, fork + d2 * (lung.Width * 0.25) }), Math.Max(0.4, pose.Length(0.0025)), 1f);
        }
        bronchi.GaussianBlur(0.9 * px);
        for (int i = 0; i < density.Data.Length; i++)
            density.Data[i] += (float)k * soft.Data[i] * (0.26f + 0.05f * mottle.Data[i] - 0.11f * bronchi.Data[i]);
    }

    private static void PeripheralGroundGlass(ChestAnatomy a, Pose pose, SplitMix64 rng, double k, Plane density, Plane? support)
    {
        int n = pose.Size; double px = pose.Length(1.0) / 256.0;
        var r = new Plane(n, n);
        bool bilateral = rng.Chance(0.9);
        var lungs = bilateral ? a.Lungs : [rng.Chance(0.5) ? a.RightLung : a.LeftLung];
        foreach (var lung in lungs)
        {
            int patches = rng.Next(2, 5);
            for (int i = 0; i < patches; i++)
            {
                var c = lung.Sample(rng, 0.62, 1.0, 0.45, 0.95);
                var blob = Shapes.Blob(c, lung.Width * rng.Uniform(0.16, 0.28), lung.Height * rng.Uniform(0.09, 0.16), 0.35, rng);
                r.FillPolygon(pose.Map(blob));
                support?.FillPolygon(pose.Map(blob));
            }
        }
        r.Clamp(); r.GaussianBlur(3 * px);
        var haze = Plane.ValueNoise(n, n, 16, rng);
        // Ground glass: hazy, patchy, and additive, so vessels stay visible through it.
        AddInto(density, Multiply(r, haze, 0.75f, 0.25f), (float)(0.11 * k));
    }

    private static Plane Multiply(Plane region, Plane noise, float bias, float amp)
    {
        var p = new Plane(region.Width, region.Height);
        for (int i = 0; i < p.Data.Length; i++) p.Data[i] = region.Data[i] * (bias + amp * noise.Data[i]);
        return p;
    }

    private static void PerihilarInterstitial(ChestAnatomy a, Pose pose, SplitMix64 rng, double k, Plane density, Plane? support)
    {
        int n = pose.Size; double px = pose.Length(1.0) / 256.0;
        var region = new Plane(n, n);
        var lines = new Plane(n, n);
        foreach (var lung in a.Lungs)
        {
            var c = lung.Hilum + new Vec2(lung.Side * lung.Width * 0.15, rng.Uniform(-0.02, 0.03));
            var blob = Shapes.Blob(c, lung.Width * rng.Uniform(0.38, 0.5), lung.Height * rng.Uniform(0.25, 0.34), 0.2, rng);
            region.FillPolygon(pose.Map(blob));
            support?.FillPolygon(pose.Map(blob));
            // Peribronchial thickening: thin streaks radiating from the hilum.
            int streaks = rng.Next(8, 14);
            for (int i = 0; i < streaks; i++)
            {
                double ang = rng.Uniform(-1.2, 1.2);
                var dir = new Vec2(lung.Side * Math.Cos(ang), Math.Sin(ang));
                double len = lung.Width * rng.Uniform(0.3, 0.6);
                var pts = Shapes.Curve(t => lung.Hilum + dir * (t * len) + new Vec2(0, 0.008 * Math.Sin(9 * t + i)), 6);
                lines.StrokePolyline(pose.Map(pts), Math.Max(0.4, pose.Length(0.0022)), 1f);
            }
        }
        region.Clamp();
        var soft = region.Clone(); soft.GaussianBlur(4 * px);
        // Reticulation: a net of fine lines where a band-passed noise field crosses zero.
        var net = Plane.ValueNoise(n, n, Math.Max(12, n / 7), rng);
        lines.GaussianBlur(0.5 * px);
        for (int i = 0; i < density.Data.Length; i++)
        {
            float reticular = Math.Clamp(1f - Math.Abs(net.Data[i]) / 0.14f, 0f, 1f);
            density.Data[i] += (float)k * soft.Data[i] * (0.05f + 0.1f * reticular + 0.07f * lines.Data[i]);
        }
    }

    private static void Nodules(ChestAnatomy a, Pose pose, SplitMix64 rng, double k, Plane density, Plane? support)
    {
        int n = pose.Size; double px = pose.Length(1.0) / 256.0;
        var solid = new Plane(n, n); var halo = new Plane(n, n); var cavity = new Plane(n, n);
        int count = rng.Next(3, 9);
        for (int i = 0; i < count; i++)
        {
            var lung = rng.Chance(0.5) ? a.RightLung : a.LeftLung;
            var c = lung.Sample(rng, 0.15, 0.95, 0.1, 0.9);
            double r = rng.Uniform(0.011, 0.027);
            var pc = pose.Map(c);
            bool hasHalo = rng.Chance(0.4), hasCavity = r > 0.017 && rng.Chance(0.3);
            solid.FillDisc(pc, pose.Length(r));
            if (hasHalo) halo.AddGaussianBlob(pc, pose.Length(r * 1.2), 1f);
            if (hasCavity) cavity.FillDisc(pc, pose.Length(r * 0.5));
            support?.FillDisc(pc, pose.Length(hasHalo ? r * 1.9 : r));
        }
        solid.Clamp(); halo.Clamp(); cavity.Clamp();
        solid.GaussianBlur(0.6 * px); cavity.GaussianBlur(0.5 * px);
        for (int i = 0; i < density.Data.Length; i++)
            density.Data[i] += (float)k * (0.24f * solid.Data[i] + 0.07f * halo.Data[i] * (1 - solid.Data[i]) - 0.3f * cavity.Data[i]);
    }
}
