namespace PneuKnow.Training;

/// <summary>
/// NumPy's legacy <c>numpy.random.RandomState</c> seeded with an integer, reduced to what pandas'
/// <c>DataFrame.sample(frac, random_state=seed)</c> calls: the Mersenne Twister MT19937 (Matsumoto and Nishimura 1998),
/// <c>permutation</c> and <c>choice(n, size, replace=False)</c>. The authors draw the teacher's ROI-budget subset this
/// way, so the same seed over the same manifest order annotates the same images.
/// </summary>
/// <remarks>
/// An integer seed initialises the state with the reference <c>init_genrand</c> recurrence (NumPy's <c>mt19937_seed</c>;
/// <c>init_by_array</c> is used only for array seeds). Bounded integers are NumPy's <c>random_interval</c>: draw 32-bit
/// outputs masked to the smallest all-ones mask covering the bound and reject those above it.
/// </remarks>
public sealed class NumPyRandomState
{
    const int N = 624, M = 397;
    const uint MatrixA = 0x9908b0df, UpperMask = 0x80000000, LowerMask = 0x7fffffff;
    readonly uint[] _state = new uint[N];
    int _position;

    /// <summary>The generator <c>numpy.random.RandomState(seed)</c> for an integer seed in [0, 2^32).</summary>
    public NumPyRandomState(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < N; i++) _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        _position = N;
    }

    /// <summary>The next tempered 32-bit output (NumPy's <c>next_uint32</c>, the reference <c>genrand_int32</c>).</summary>
    public uint NextUInt32()
    {
        if (_position >= N) Twist();
        uint y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    void Twist()
    {
        for (int k = 0; k < N; k++)
        {
            uint y = (_state[k] & UpperMask) | (_state[(k + 1) % N] & LowerMask);
            _state[k] = _state[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        _position = 0;
    }

    /// <summary>A uniform integer in [0, <paramref name="max"/>] by NumPy's masked rejection (<c>random_interval</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is negative.</exception>
    public int Interval(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        if (max == 0) return 0;
        uint mask = (uint)max;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > (uint)max) { }
        return (int)value;
    }

    /// <summary><c>permutation(n)</c>: 0..n−1 shuffled by Fisher–Yates from the last element down, as NumPy's <c>shuffle</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i >= 1; i--)
        {
            int j = Interval(i);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    /// <summary><c>choice(n, size, replace=False)</c> of the legacy generator: the first <paramref name="size"/> entries of <see cref="Permutation"/>(n), in draw order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative or larger than <paramref name="n"/>.</exception>
    public int[] ChooseWithoutReplacement(int n, int size)
    {
        if (size < 0 || size > n) throw new ArgumentOutOfRangeException(nameof(size), size, $"expected a sample size in [0, {n}] (the population), found {size}");
        return Permutation(n)[..size];
    }
}
