using System.Runtime.CompilerServices;

namespace PneuKnow.Runtime;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a tiny seeded generator whose output is fixed by
/// its published algorithm, unlike <see cref="System.Random"/> whose algorithm is unspecified.
/// Every random draw of the phantom generator comes from one of these, so the same seed gives
/// the same bytes on every runtime and thread count.
/// </summary>
/// <remarks>
/// The one SplitMix64 of the engine: the phantom's streams (this class), the augmentation streams
/// (<c>AugmentationRandom</c>, a struct advanced by <c>ref</c> through <see cref="Next(ref ulong)"/>) and the derived
/// seeds (<c>Seeds</c>, through <see cref="Next(ref ulong)"/> on a copy) share its constants and mixing function.
/// It lives in Runtime, the base layer, so Data, Augmentation and Training all reach it without depending on each other.
/// </remarks>
public sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Starts a stream at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Derives an independent stream for a sub-task (an image, a patient) from a parent seed and keys.</summary>
    public static SplitMix64 Derive(ulong seed, params ulong[] keys)
    {
        ulong s = Mix(seed ^ Gamma);
        foreach (var k in keys) s = Mix(s ^ Mix(k + 0x632BE59BD9B4E019UL));
        return new SplitMix64(s);
    }

    /// <summary>A stable 64-bit hash of a string (FNV-1a then mixed), for keys such as patient ids.</summary>
    public static ulong Hash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (var ch in text) { h ^= ch; h *= 1099511628211UL; }
        return Mix(h);
    }

    /// <summary>The golden-ratio increment added to the state before each output.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's output function (Stafford's variant 13): a bijective 64-bit mix of <paramref name="z"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Next(ref _state);

    /// <summary>Advances a SplitMix64 state held elsewhere (a struct's field, a local) by one step and returns its output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Next(ref ulong state)
    {
        state += Gamma;
        return Mix(state);
    }

    /// <summary>Uniform in [0, 1) with 53 bits of precision.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "expected a positive bound");
        return (int)((NextUInt64() >> 33) % (ulong)maxExclusive);
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal draw (Box–Muller; one value per call so the stream stays simple to reason about).</summary>
    public double Gaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Normal draw with the given mean and standard deviation.</summary>
    public double Gaussian(double mean, double sd) => mean + sd * Gaussian();

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
