using PneuKnow.Runtime;

namespace PneuKnow.Augmentation;

/// <summary>
/// The random stream of one augmentation draw: SplitMix64 seeded from (seed, epoch, index), so
/// the draw of an example depends on nothing else (not on the thread that augments it, nor on the
/// examples augmented before it), and a resumed run reproduces it.
/// </summary>
/// <remarks>
/// SplitMix64 (Steele, Lea and Flood 2014) passes BigCrush, needs 8 bytes of state and is
/// a mutable struct: pass it by <c>ref</c> so every transform advances the same stream.
/// </remarks>
public struct AugmentationRandom
{
    ulong _state;

    /// <summary>A stream started from a raw 64-bit seed.</summary>
    public AugmentationRandom(ulong seed) => _state = seed;

    /// <summary>The stream of example <paramref name="index"/> in epoch <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static AugmentationRandom ForExample(long seed, int epoch, long index) =>
        new(Mix(Mix(Mix((ulong)seed) ^ (ulong)(uint)epoch) ^ (ulong)index));

    /// <summary>The stream that shuffles epoch <paramref name="epoch"/> (distinct from every example's stream).</summary>
    public static AugmentationRandom ForShuffle(long seed, int epoch) =>
        new(Mix(Mix(Mix((ulong)seed ^ 0x5EED5EED5EED5EEDUL) ^ (ulong)(uint)epoch) ^ 0xD1B54A32D192ED03UL));

    // One SplitMix64 step from state z (z is a copy: the caller's value does not change).
    static ulong Mix(ulong z) => SplitMix64.Next(ref z);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => SplitMix64.Next(ref _state);

    /// <summary>Uniform in [0, 1) with 53 random bits (Python's <c>random.random()</c> role).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>] (Python's <c>random.uniform</c> role).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="count"/>), without modulo bias.</summary>
    public int NextInt(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "expected a positive count");
        // Lemire's multiply-shift with rejection of the biased low range.
        var bound = (ulong)count;
        while (true)
        {
            var product = Math.BigMul(NextUInt64(), bound, out var low);
            if (low >= (0UL - bound) % bound) return (int)product;
        }
    }
}
