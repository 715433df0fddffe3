using PneuKnow.Runtime;

namespace PneuKnow.Training;

/// <summary>
/// Derives independent seeds from one experiment seed, so that repeated runs, data order,
/// augmentation draws, initialisation and each epoch's dropout draws all have their own explicit
/// seed and a resumed run can recreate any of them.
/// </summary>
public static class Seeds
{
    /// <summary>A seed for <paramref name="purpose"/> and <paramref name="index"/> derived from <paramref name="seed"/> (SplitMix64 mixing; non-negative).</summary>
    /// <param name="seed">The experiment seed.</param>
    /// <param name="purpose">What the seed is for, e.g. <c>run</c>, <c>epoch</c>, <c>init</c>.</param>
    /// <param name="index">Run or epoch number.</param>
    public static long Derive(long seed, string purpose, long index = 0)
    {
        ulong h = Mix((ulong)seed);
        foreach (char c in purpose) h = Mix(h ^ c);
        h = Mix(h ^ (ulong)index);
        return (long)(h & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    // One SplitMix64 step from state z (z is a copy: the caller's value does not change).
    static ulong Mix(ulong z) => SplitMix64.Next(ref z);
}
