using Spectre.Console.Cli;

namespace PneuKnow.Cli.Commands.Evaluation;

/// <summary>Registers the evaluation commands.</summary>
internal static class EvaluationCommands
{
    public static void Register(IConfigurator config)
    {
    }
}
