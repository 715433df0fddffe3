using PneuKnow.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Runs the real <c>pneuknow</c> configuration (strict parsing, the error handler) in-process with stdout and stderr
/// captured, so error output of bad-input tests lands in the test's result instead of the test log.
/// </summary>
internal static class PneuknowCli
{
    public sealed record Result(int Exit, string Out, string Error);

    public static Result Run(params string[] args)
    {
        var (stdout, stderr, ansi) = (Console.Out, Console.Error, AnsiConsole.Console);
        using var o = new StringWriter();
        using var e = new StringWriter();
        // Commands that print through Spectre use AnsiConsole.Console, which keeps the writer it was created with.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        Console.SetOut(o);
        Console.SetError(e);
        AnsiConsole.Console = console;
        try
        {
            var app = new Spectre.Console.Cli.CommandApp();
            app.Configure(c =>
            {
                CliApp.Configure(c, args, e);
                c.ConfigureConsole(console);
            });
            int exit = app.Run(args);
            return new Result(exit, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            AnsiConsole.Console = ansi;
        }
    }
}
