using PneuKnow.Runtime;

namespace PneuKnow.Data.Phantom;

/// <summary>
/// Where the patient sits on the detector: a similarity transform from anatomy coordinates (unit square,
/// x to the image's right = the patient's left, y downwards) to pixels. Similarity keeps discs round.
/// </summary>
/// <param name="Size">Image side in pixels.</param>
/// <param name="Scale">Patient size relative to the field of view.</param>
/// <param name="Angle">In-plane rotation in radians.</param>
/// <param name="Shift">Translation in anatomy units.</param>
public sealed record Pose(int Size, double Scale, double Angle, Vec2 Shift)
{
    private static readonly Vec2 Centre = new(0.5, 0.5);

    /// <summary>Maps an anatomy point to pixel coordinates.</summary>
    public Vec2 Map(Vec2 p)
    {
        var d = (p - Centre) * Scale;
        double c = Math.Cos(Angle), s = Math.Sin(Angle);
        var r = new Vec2(c * d.X - s * d.Y, s * d.X + c * d.Y);
        return (Centre + Shift + r) * Size;
    }

    /// <summary>Maps a list of points.</summary>
    public List<Vec2> Map(IEnumerable<Vec2> points) => points.Select(Map).ToList();

    /// <summary>Converts an anatomy length to pixels.</summary>
    public double Length(double anatomyLength) => anatomyLength * Scale * Size;
}

/// <summary>Polygon and curve constructions used to build anatomy and lesions.</summary>
public static class Shapes
{
    /// <summary>An ellipse as a polygon of <paramref name="n"/> vertices.</summary>
    public static List<Vec2> Ellipse(Vec2 c, double rx, double ry, double angle = 0, int n = 48)
    {
        var pts = new List<Vec2>(n);
        double ca = Math.Cos(angle), sa = Math.Sin(angle);
        for (int i = 0; i < n; i++)
        {
            double t = 2 * Math.PI * i / n, x = rx * Math.Cos(t), y = ry * Math.Sin(t);
            pts.Add(new Vec2(c.X + ca * x - sa * y, c.Y + sa * x + ca * y));
        }
        return pts;
    }

    /// <summary>
    /// An irregular blob: an ellipse whose radius is modulated by a few random harmonics
    /// (lesion margins are lobulated, not geometric).
    /// </summary>
    public static List<Vec2> Blob(Vec2 c, double rx, double ry, double irregularity, SplitMix64 rng, int n = 40)
    {
        var amp = new double[4]; var phase = new double[4];
        for (int k = 0; k < 4; k++) { amp[k] = irregularity * rng.Uniform(0.3, 1.0) / (k + 1); phase[k] = rng.Uniform(0, 2 * Math.PI); }
        double angle = rng.Uniform(0, Math.PI);
        double ca = Math.Cos(angle), sa = Math.Sin(angle);
        var pts = new List<Vec2>(n);
        for (int i = 0; i < n; i++)
        {
            double t = 2 * Math.PI * i / n, m = 1;
            for (int k = 0; k < 4; k++) m += amp[k] * Math.Sin((k + 2) * t + phase[k]);
            double x = rx * m * Math.Cos(t), y = ry * m * Math.Sin(t);
            pts.Add(new Vec2(c.X + ca * x - sa * y, c.Y + sa * x + ca * y));
        }
        return pts;
    }

    /// <summary>Chaikin corner cutting: rounds a closed polygon's corners, <paramref name="iterations"/> times.</summary>
    public static List<Vec2> Smooth(IReadOnlyList<Vec2> closed, int iterations = 2)
    {
        var pts = closed.ToList();
        for (int it = 0; it < iterations; it++)
        {
            var next = new List<Vec2>(pts.Count * 2);
            for (int i = 0; i < pts.Count; i++)
            {
                var a = pts[i]; var b = pts[(i + 1) % pts.Count];
                next.Add(a * 0.75 + b * 0.25);
                next.Add(a * 0.25 + b * 0.75);
            }
            pts = next;
        }
        return pts;
    }

    /// <summary>Keeps the part of a polygon on the side of the line a→b where (b−a)×(p−a) ≥ 0 (Sutherland–Hodgman).</summary>
    public static List<Vec2> ClipHalfPlane(IReadOnlyList<Vec2> poly, Vec2 a, Vec2 b)
    {
        double Side(Vec2 p) => (b.X - a.X) * (p.Y - a.Y) - (b.Y - a.Y) * (p.X - a.X);
        var output = new List<Vec2>();
        for (int i = 0; i < poly.Count; i++)
        {
            var cur = poly[i]; var prev = poly[(i + poly.Count - 1) % poly.Count];
            double sc = Side(cur), sp = Side(prev);
            if (sc >= 0)
            {
                if (sp < 0) output.Add(prev + (cur - prev) * (sp / (sp - sc)));
                output.Add(cur);
            }
            else if (sp >= 0) output.Add(prev + (cur - prev) * (sp / (sp - sc)));
        }
        return output;
    }

    /// <summary>Even-odd point-in-polygon test.</summary>
    public static bool Contains(IReadOnlyList<Vec2> poly, Vec2 p)
    {
        bool inside = false;
        for (int i = 0, j = poly.Count - 1; i < poly.Count; j = i++)
        {
            var a = poly[i]; var b = poly[j];
            if ((a.Y > p.Y) != (b.Y > p.Y) && p.X < a.X + (p.Y - a.Y) / (b.Y - a.Y) * (b.X - a.X)) inside = !inside;
        }
        return inside;
    }

    /// <summary>A polyline sampled from a function of t in [0,1].</summary>
    public static List<Vec2> Curve(Func<double, Vec2> f, int n = 16) =>
        Enumerable.Range(0, n).Select(i => f(i / (double)(n - 1))).ToList();
}
