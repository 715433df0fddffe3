namespace PneuKnow.Runtime;

/// <summary>
/// The engine's entry point, used only as the child process of <see cref="OneDnnSelfTest"/>: oneDNN's instruction
/// set is fixed once per process, so each level must be tested in a fresh one, before the parent loads libtorch.
/// </summary>
static class SelfTestProgram
{
    static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == OneDnnSelfTest.ChildArgument) return OneDnnSelfTest.ChildMain(args);
        Console.Error.WriteLine($"PneuKnow.dll is a library; run as an executable it only knows `{OneDnnSelfTest.ChildArgument} <libtorch folder>`. Use the pneuknow command.");
        return 2;
    }
}
