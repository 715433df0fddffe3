namespace PneuKnow.Data;

// In Data, not Data.Phantom: annotations (polygon regions) and the manifest are made of these points, and the
// phantom draws with them; Data using a type of its sub-namespace while Phantom uses Data's would be a cycle.
/// <summary>A 2-D point in pixel or anatomy coordinates.</summary>
/// <param name="X">Column (pixels) or lateral position.</param>
/// <param name="Y">Row (pixels) or cranio-caudal position.</param>
public readonly record struct Vec2(double X, double Y)
{
    /// <summary>Sum.</summary>
    public static Vec2 operator +(Vec2 a, Vec2 b) => new(a.X + b.X, a.Y + b.Y);
    /// <summary>Difference.</summary>
    public static Vec2 operator -(Vec2 a, Vec2 b) => new(a.X - b.X, a.Y - b.Y);
    /// <summary>Scaling.</summary>
    public static Vec2 operator *(Vec2 a, double s) => new(a.X * s, a.Y * s);
    /// <summary>Euclidean length.</summary>
    public double Length => Math.Sqrt(X * X + Y * Y);
}
