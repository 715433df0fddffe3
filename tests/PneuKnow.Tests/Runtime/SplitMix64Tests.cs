using PneuKnow.Augmentation;
using PneuKnow.Runtime;

namespace PneuKnow.Tests.Runtime;

/// <summary>
/// The engine's one SplitMix64 against the reference implementation's outputs (Vigna's splitmix64.c from state 0),
/// reached the three ways the engine uses it: the phantom's stream object, a state advanced by reference (the
/// augmentation stream), and a copy mixed once (derived seeds).
/// </summary>
public class SplitMix64Tests
{
    static readonly ulong[] FromZero = [0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL];

    [Fact]
    public void The_stream_the_state_by_reference_and_the_augmentation_stream_give_the_reference_outputs()
    {
        var stream = new SplitMix64(0);
        ulong state = 0;
        var augmentation = new AugmentationRandom(0);
        foreach (var expected in FromZero)
        {
            Assert.Equal(expected, stream.NextUInt64());
            Assert.Equal(expected, SplitMix64.Next(ref state));
            Assert.Equal(expected, augmentation.NextUInt64());
        }
        Assert.Equal(unchecked(3 * SplitMix64.Gamma), state);
    }

    [Fact]
    public void Mix_is_the_output_function_of_a_state_already_advanced()
    {
        Assert.Equal(FromZero[0], SplitMix64.Mix(SplitMix64.Gamma));
        Assert.Equal(FromZero[1], SplitMix64.Mix(unchecked(2 * SplitMix64.Gamma)));
    }
}
