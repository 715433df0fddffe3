// Types the reader test reads back from this test assembly: each High type names a Low type in exactly one place,
// so a reference the reader misses shows as a missing edge.
namespace PneuKnow.Tests.Architecture.ReaderFixture.Low
{
    public sealed class CalledOnlyInABody { public static int Value() => 1; }
    public sealed class UsedOnlyInALambda { public int Value => 2; }
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class OnlyAnAttribute : Attribute;
    public sealed class OnlyCaught : Exception;
}

namespace PneuKnow.Tests.Architecture.ReaderFixture.High
{
    using PneuKnow.Tests.Architecture.ReaderFixture.Low;

    public static class BodyOnly
    {
        public static int Call() => CalledOnlyInABody.Value();
    }

    public static class LambdaOnly
    {
        public static Func<int> Make() => () => new UsedOnlyInALambda().Value;
    }

    public static class AttributeOnly
    {
        [OnlyAnAttribute]
        public static int Marked() => 3;
    }

    public static class CatchOnly
    {
        public static int Guarded(Func<int> f)
        {
            try { return f(); }
            catch (OnlyCaught) { return -1; }
        }
    }
}
