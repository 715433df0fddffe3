using System.Text.RegularExpressions;
using PneuKnow.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// Every command's <c>--help</c> renders. Spectre reads descriptions as markup, so an unescaped
/// <c>[settings]</c> or <c>[,test]</c> in a description turns that help page into an error (exit 255).
/// </summary>
public sealed class CommandHelpTests
{
    static (int Exit, string Text) Help(params string[] path)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        var app = new Spectre.Console.Cli.CommandApp();
        app.Configure(c =>
        {
            CliApp.ConfigureCommands(c);
            c.Settings.Console = console;
        });
        var exit = app.Run([.. path, "--help"]);
        return (exit, text.ToString());
    }

    // Command names as the help page lists them: a line of four spaces, the name, then its description.
    static IEnumerable<string> ListedCommands(string help)
    {
        var section = help.Split("COMMANDS:", 2);
        if (section.Length < 2) yield break;
        foreach (var line in section[1].Split('\n'))
        {
            var m = Regex.Match(line, @"^    ([a-z][a-z-]*)(\s|$)");
            if (m.Success) yield return m.Groups[1].Value;
        }
    }

    static IEnumerable<string[]> AllCommands(string[] path)
    {
        var (_, help) = Help(path);
        foreach (var name in ListedCommands(help))
        {
            string[] child = [.. path, name];
            yield return child;
            foreach (var grandchild in AllCommands(child)) yield return grandchild;
        }
    }

    [Fact]
    public void Every_command_help_page_renders_without_markup_errors()
    {
        var commands = AllCommands([]).ToList();
        // The tree is walked from the root's help, so a broken root page would find nothing.
        Assert.Contains(commands, c => string.Join(' ', c) == "bench train");
        Assert.Contains(commands, c => string.Join(' ', c) == "synth");
        Assert.True(commands.Count >= 15, $"found only {commands.Count} commands: {string.Join(", ", commands.Select(c => string.Join(' ', c)))}");
        var broken = commands
            .Select(c => (Command: string.Join(' ', c), Result: Help(c)))
            .Where(r => r.Result.Exit != 0 || r.Result.Text.Contains("Error:", StringComparison.Ordinal))
            .Select(r => $"{r.Command} (exit {r.Result.Exit}): {r.Result.Text.Trim().Split('\n').Last()}")
            .ToList();
        Assert.True(broken.Count == 0, "help pages that do not render:\n" + string.Join('\n', broken));
    }
}
