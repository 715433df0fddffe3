using PneuKnow.Runtime;

namespace PneuKnow.Data.Phantom;

/// <summary>One lung field in anatomy coordinates.</summary>
/// <param name="Outline">Closed, smoothed outline.</param>
/// <param name="Hilum">Where the pulmonary vessels and main bronchus enter.</param>
/// <param name="Side">-1 for the lung on the image's left (the patient's right), +1 for the other.</param>
/// <param name="Top">Apex height.</param>
/// <param name="Bottom">Lowest point (costophrenic angle).</param>
/// <param name="MedialX">Medial border x.</param>
/// <param name="LateralX">Lateral border x.</param>
public sealed record Lung(IReadOnlyList<Vec2> Outline, Vec2 Hilum, int Side, double Top, double Bottom, double MedialX, double LateralX)
{
    /// <summary>
    /// A point inside the lung whose lateral fraction (0 medial .. 1 lateral) and height fraction
    /// (0 apex .. 1 base) fall in the given ranges; rejection sampling with the lung centre as fallback.
    /// </summary>
    public Vec2 Sample(SplitMix64 rng, double fxMin, double fxMax, double fyMin, double fyMax)
    {
        for (int i = 0; i < 200; i++)
        {
            double fx = rng.Uniform(fxMin, fxMax), fy = rng.Uniform(fyMin, fyMax);
            var p = At(fx, fy);
            if (Shapes.Contains(Outline, p)) return p;
        }
        return At(0.5, 0.5);
    }

    /// <summary>The point at lateral fraction <paramref name="fx"/> and height fraction <paramref name="fy"/> of the lung's box.</summary>
    public Vec2 At(double fx, double fy) => new(MedialX + fx * (LateralX - MedialX), Top + fy * (Bottom - Top));

    /// <summary>Lung width in anatomy units.</summary>
    public double Width => Math.Abs(LateralX - MedialX);

    /// <summary>Lung height in anatomy units.</summary>
    public double Height => Bottom - Top;
}

/// <summary>
/// A patient's normal chest anatomy (body, lungs, heart, mediastinum, diaphragm, spine, clavicles, ribs,
/// vessels) drawn from a patient seed, and its rendering to a density plane at a pose.
/// Densities are in arbitrary attenuation units where soft tissue ≈ 0.5 and aerated lung ≈ 0.1.
/// </summary>
public sealed class ChestAnatomy
{
    private readonly double _wf, _top, _rightDome, _leftDome, _heartScale, _heartShift, _boneDensity, _tissue;
    private readonly bool _stomachBubble, _breasts;
    private readonly List<(Vec2 A, Vec2 B, double W)> _vessels = [];
    private readonly double _ribTilt;

    /// <summary>The lung on the image's left (patient's right).</summary>
    public Lung RightLung { get; }
    /// <summary>The lung on the image's right (patient's left).</summary>
    public Lung LeftLung { get; }
    /// <summary>Both lungs.</summary>
    public IReadOnlyList<Lung> Lungs => [RightLung, LeftLung];

    /// <summary>Draws a patient's anatomy from <paramref name="rng"/>.</summary>
    public ChestAnatomy(SplitMix64 rng)
    {
        _wf = rng.Uniform(0.9, 1.08);                       // body habitus (narrow .. broad chest)
        double insp = rng.Uniform(0.85, 1.08);               // inspiration depth: how far the domes descend
        _top = rng.Uniform(0.09, 0.13);
        _rightDome = _top + 0.56 * insp;
        _leftDome = _rightDome + rng.Uniform(0.01, 0.035);   // the left hemidiaphragm usually sits lower
        _heartScale = rng.Uniform(0.88, 1.15);
        _heartShift = rng.Uniform(-0.015, 0.025);
        _boneDensity = rng.Uniform(0.8, 1.15);
        _tissue = rng.Uniform(0.9, 1.1);
        _stomachBubble = rng.Chance(0.7);
        _breasts = rng.Chance(0.45);
        _ribTilt = rng.Uniform(0.85, 1.15);
        RightLung = BuildLung(-1, _rightDome, rng);
        LeftLung = BuildLung(+1, _leftDome, rng);
        foreach (var lung in Lungs) GrowVessels(lung, rng);
    }

    private Lung BuildLung(int side, double dome, SplitMix64 rng)
    {
        double m = 0.5, w = _wf, t = _top + rng.Uniform(-0.008, 0.008);
        double cardiac = side > 0 ? 0.04 : 0.0; // the heart pushes the left lung's lower medial border out
        var raw = new (double dx, double y)[]
        {
            (0.07, t + 0.02), (0.13, t - 0.005), (0.21, t + 0.02), (0.28, t + 0.08), (0.325, t + 0.2),
            (0.345, t + 0.38), (0.355, dome + 0.065), (0.31, dome + 0.02), (0.22, dome - 0.015),
            (0.12 + cardiac, dome + 0.005), (0.065 + cardiac, dome + 0.035), (0.06 + cardiac * 0.6, t + 0.3), (0.055, t + 0.15),
        };
        var pts = raw.Select(p => new Vec2(m + side * p.dx * w * rng.Uniform(0.97, 1.03), p.y + rng.Uniform(-0.006, 0.006))).ToList();
        var outline = Shapes.Smooth(pts, 3);
        double top = outline.Min(p => p.Y), bottom = outline.Max(p => p.Y);
        double medial = m + side * 0.055 * w, lateral = m + side * 0.355 * w;
        var hilum = new Vec2(m + side * 0.11 * w, t + 0.26);
        return new Lung(outline, hilum, side, top, bottom, medial, lateral);
    }

    // Pulmonary vessels: a binary tree from the hilum whose calibre and length shrink at each generation.
    private void GrowVessels(Lung lung, SplitMix64 rng)
    {
        int roots = rng.Next(5, 8);
        for (int i = 0; i < roots; i++)
        {
            // Fan from upward (-80°) to downward (+80°), pointing laterally.
            double a = -1.4 + 2.8 * (i + rng.Uniform(0.2, 0.8)) / roots;
            var dir = new Vec2(lung.Side * Math.Cos(a), Math.Sin(a));
            Branch(lung, lung.Hilum, dir, 0.06, 0.0055, 5, rng);
        }
    }

    private void Branch(Lung lung, Vec2 start, Vec2 dir, double length, double width, int depth, SplitMix64 rng)
    {
        if (depth == 0 || width < 0.0008) return;
        var end = start + dir * (length * rng.Uniform(0.8, 1.2));
        if (!Shapes.Contains(lung.Outline, end)) return;
        _vessels.Add((start, end, width));
        for (int k = 0; k < 2; k++)
        {
            double turn = (k == 0 ? 1 : -1) * rng.Uniform(0.2, 0.55);
            double c = Math.Cos(turn), s = Math.Sin(turn);
            var nd = new Vec2(c * dir.X - s * dir.Y, s * dir.X + c * dir.Y);
            Branch(lung, end, nd, length * 0.78, width * 0.72, depth - 1, rng);
        }
    }

    /// <summary>The rendered normal chest: density plus the lung coverage findings are clipped to.</summary>
    /// <param name="Density">Attenuation per pixel.</param>
    /// <param name="LungCoverage">0..1 coverage of both lung fields.</param>
    public sealed record Rendering(Plane Density, Plane LungCoverage);

    /// <summary>Renders the normal chest at <paramref name="pose"/>; <paramref name="rng"/> drives image-level texture.</summary>
    public Rendering Render(Pose pose, SplitMix64 rng)
    {
        int n = pose.Size;
        double px = pose.Length(1.0) / 256.0; // pixels per "256-px pixel": keeps blur radii proportional
        var density = new Plane(n, n);

        // Body and soft tissue, thicker in the middle of the trunk.
        var body = new Plane(n, n);
        body.FillPolygon(pose.Map(BodyOutline()));
        var thick = body.Clone(); thick.GaussianBlur(0.07 * n);
        var lungs = new Plane(n, n);
        foreach (var lung in Lungs) lungs.FillPolygon(pose.Map(lung.Outline));
        lungs.Clamp();
        var lungsSoft = lungs.Clone(); lungsSoft.GaussianBlur(0.05 * n);
        var lungsEdge = lungs.Clone(); lungsEdge.GaussianBlur(0.8 * px);

        // Anterior chest wall: breast shadows over the lower zones raise density laterally.
        var breast = new Plane(n, n);
        if (_breasts)
        {
            foreach (int side in new[] { -1, 1 })
                breast.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.5 + side * 0.25 * _wf, _rightDome + 0.02), 0.15 * _wf, 0.11)));
            breast.GaussianBlur(4 * px);
        }

        var heart = new Plane(n, n);
        heart.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.53 + _heartShift, _leftDome - 0.075), 0.145 * _heartScale * _wf, 0.105 * _heartScale, -0.35)));
        heart.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.53, _top + 0.16), 0.035, 0.03)), 0.7f); // aortic knob
        heart.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.5, _top + 0.12), 0.055, 0.16)), 0.5f);   // upper mediastinum
        heart.Clamp(); heart.GaussianBlur(0.7 * px);

        var air = new Plane(n, n); // trachea and main bronchi
        air.StrokePolyline(pose.Map(new[] { new Vec2(0.5, -0.05), new Vec2(0.5, _top + 0.19) }), pose.Length(0.016));
        air.StrokePolyline(pose.Map(new[] { new Vec2(0.5, _top + 0.19), RightLung.Hilum * 0.6 + new Vec2(0.5, _top + 0.19) * 0.4 }), pose.Length(0.009));
        air.StrokePolyline(pose.Map(new[] { new Vec2(0.5, _top + 0.19), LeftLung.Hilum * 0.6 + new Vec2(0.5, _top + 0.19) * 0.4 }), pose.Length(0.009));
        if (_stomachBubble)
            air.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.62, _leftDome + 0.055), 0.05, 0.025)), 0.8f);
        air.Clamp(); air.GaussianBlur(1.2 * px);

        var bone = RenderBones(pose, px);

        var vessels = new Plane(n, n);
        foreach (var (a, b, w) in _vessels)
        {
            // Calibre decides visibility: large central vessels are denser than small peripheral ones.
            float weight = (float)Math.Min(1.0, w / 0.004);
            vessels.StrokePolyline(pose.Map(new[] { a, b }), Math.Max(0.35, pose.Length(w)), weight);
        }
        vessels.GaussianBlur(0.6 * px);
        var hila = new Plane(n, n);
        foreach (var lung in Lungs) hila.AddGaussianBlob(pose.Map(lung.Hilum), pose.Length(0.025), 1f);

        var texture = Plane.ValueNoise(n, n, 28, rng);

        var d = density.Data;
        for (int i = 0; i < d.Length; i++)
        {
            float tissue = 0.5f * (float)_tissue * body.Data[i] * (0.4f + 0.6f * Math.Min(1f, thick.Data[i] * 1.25f));
            float lungAir = lungsEdge.Data[i] * (0.2f + 0.2f * lungsSoft.Data[i]);
            d[i] = tissue - lungAir
                + 0.06f * breast.Data[i]
                + 0.13f * heart.Data[i] * (1f - 0.3f * lungs.Data[i])
                - 0.1f * air.Data[i]
                + (float)_boneDensity * bone.Data[i]
                + lungs.Data[i] * (0.085f * vessels.Data[i] + 0.05f * hila.Data[i] + 0.012f * texture.Data[i]);
        }
        return new Rendering(density, lungs);
    }

    private Plane RenderBones(Pose pose, double px)
    {
        int n = pose.Size;
        var bone = new Plane(n, n);
        var tmp = new Plane(n, n);

        // Spine: vertebral bodies with darker disc spaces, and paired pedicles.
        double vh = 0.042;
        for (double y = -0.05; y < 1.1; y += vh + 0.008)
        {
            var rect = new[] { new Vec2(0.468, y), new Vec2(0.532, y), new Vec2(0.534, y + vh), new Vec2(0.466, y + vh) };
            bone.FillPolygon(pose.Map(rect), 0.05f);
            foreach (int s in new[] { -1, 1 })
                bone.FillPolygon(pose.Map(Shapes.Ellipse(new Vec2(0.5 + s * 0.024, y + vh * 0.35), 0.007, 0.011, 0, 16)), 0.035f);
        }

        // Posterior ribs: from the spine laterally and downwards; anterior ribs: from the lateral end downwards medially.
        for (int side = -1; side <= 1; side += 2)
        {
            for (int i = 0; i < 10; i++)
            {
                double y0 = _top - 0.045 + i * 0.056 * (_rightDome - _top + 0.06) / 0.53;
                int s = side;
                var posterior = Shapes.Curve(t => new Vec2(0.5 + s * (0.035 + t * 0.33 * _wf), y0 - 0.02 * Math.Sin(Math.PI * t * 0.8) + 0.11 * _ribTilt * t * t), 14);
                tmp.StrokePolyline(pose.Map(posterior), pose.Length(0.0075), 1f);
                if (i is >= 1 and <= 6)
                {
                    var lat = posterior[^1];
                    var anterior = Shapes.Curve(t => new Vec2(lat.X - s * t * 0.2 * _wf, lat.Y + 0.01 + t * 0.13 - 0.03 * Math.Sin(Math.PI * t)), 10);
                    tmp.StrokePolyline(pose.Map(anterior), pose.Length(0.0065), 0.45f);
                }
            }
            // Clavicle and humeral head.
            var clav = Shapes.Curve(t => new Vec2(0.5 + side * (0.03 + t * 0.34 * _wf), _top + 0.005 - 0.05 * t + 0.03 * t * t), 12);
            tmp.StrokePolyline(pose.Map(clav), pose.Length(0.014), 1.1f);
            tmp.FillDisc(pose.Map(new Vec2(0.5 + side * 0.43 * _wf, _top + 0.05)), pose.Length(0.055), 0.9f);
        }
        tmp.Clamp(0, 1.1f);
        tmp.GaussianBlur(0.6 * px);
        for (int i = 0; i < bone.Data.Length; i++) bone.Data[i] += 0.075f * tmp.Data[i];
        return bone;
    }

    private List<Vec2> BodyOutline()
    {
        double w = _wf;
        var half = new (double dx, double y)[]
        {
            (0.075, -0.2), (0.085, _top - 0.07), (0.22, _top - 0.04), (0.40 * w, _top - 0.01), (0.48 * w, _top + 0.06),
            (0.46 * w, _top + 0.3), (0.44 * w, _rightDome + 0.1), (0.43 * w, 1.2),
        };
        var pts = half.Select(p => new Vec2(0.5 - p.dx, p.y)).ToList();
        pts.AddRange(half.Reverse().Select(p => new Vec2(0.5 + p.dx, p.y)));
        return Shapes.Smooth(pts, 2);
    }
}
