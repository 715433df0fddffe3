using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace PneuKnow.Cli;

/// <summary>A command line that is wrong in a way the parser lets through; reported as a usage error (exit 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>One command of the tool as the parser sees it: its words and its options.</summary>
/// <param name="Path">The command words, e.g. <c>["data", "split"]</c>; a branch's default command has the branch's words.</param>
/// <param name="Options">Every option the command takes (inherited settings included).</param>
/// <param name="RequiredArguments">How many positional arguments the command needs.</param>
public sealed record CommandOptions(IReadOnlyList<string> Path, IReadOnlyList<ICommandOption> Options, int RequiredArguments);

/// <summary>
/// The one check that a value-taking option got its value. Spectre's parser takes <c>--out --images 3</c> as
/// <c>--out</c> with no value and fills in its own placeholder name (<c>__default_command</c>): a text option then
/// silently named the placeholder (<c>synth --out --images 3</c> wrote into <c>./__default_command</c>, exit 0), and a
/// number option failed with "expected an integer, found '__default_command'". The check reads the command line
/// against Spectre's own model of the commands (taken from its help provider, so it sees exactly the options the
/// parser does): an option whose template names a required value (<c>--out &lt;DIR&gt;</c>) must be followed by a
/// token that is not itself an option of the command (a negative number is a value).
/// </summary>
public static class OptionValues
{
    static readonly Lazy<ICommandModel> Model = new(CaptureModel);

    /// <summary>Throws <see cref="UsageException"/> naming the first value-taking option in <paramref name="args"/> that has no value.</summary>
    public static void Check(IReadOnlyList<string> args)
    {
        if (Missing(args) is { } message) throw new UsageException(message);
    }

    /// <summary>
    /// The error for the first value-taking option in <paramref name="args"/> without its value ("option --out expects
    /// a value &lt;DIR&gt;, found the option --images."), or null when every such option has one. Options are those of
    /// the command the leading words name (with a branch's default command when the words stop at a branch).
    /// </summary>
    public static string? Missing(IReadOnlyList<string> args)
    {
        var options = OptionsOf(args);
        var names = new HashSet<string>(StringComparer.Ordinal) { "-h", "--help" };
        var valued = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in options)
            foreach (var name in o.LongNames.Select(n => "--" + n).Concat(o.ShortNames.Select(n => "-" + n)))
            {
                names.Add(name);
                if (o.ValueName is { } value && !o.ValueIsOptional) valued[name] = value;
            }
        for (int i = 0; i < args.Count; i++)
        {
            if (!valued.TryGetValue(args[i], out var valueName)) continue;
            string? next = i + 1 < args.Count ? args[i + 1] : null;
            if (next is null)
                return $"option {args[i]} expects a value <{valueName}>, found the end of the command line.";
            if (names.Contains(next.Split('=', 2)[0]))
                return $"option {args[i]} expects a value <{valueName}>, found the option {next}.";
            i++;
        }
        return null;
    }

    /// <summary>Every command the tool runs (leaves and branches' default commands), with its options, from Spectre's model.</summary>
    public static IReadOnlyList<CommandOptions> Commands()
    {
        var all = new List<CommandOptions>();
        void Walk(ICommandContainer container, IReadOnlyList<string> path)
        {
            if (container.DefaultCommand is { } d && path.Count > 0) all.Add(Describe(d, path));
            foreach (var c in container.Commands.Where(c => !c.IsHidden))
            {
                string[] child = [.. path, c.Name];
                if (c.IsBranch) Walk(c, child);
                else all.Add(Describe(c, child));
            }
        }
        Walk(Model.Value, []);
        return all;
    }

    static CommandOptions Describe(ICommandInfo command, IReadOnlyList<string> path) =>
        new(path, command.Parameters.OfType<ICommandOption>().ToList(),
            command.Parameters.OfType<ICommandArgument>().Count(a => a.IsRequired));

    /// <summary>The options of the command that the leading words of <paramref name="args"/> name.</summary>
    static IReadOnlyList<ICommandOption> OptionsOf(IReadOnlyList<string> args)
    {
        ICommandContainer container = Model.Value;
        ICommandInfo? command = null;
        foreach (var word in args)
        {
            if (word.StartsWith('-')) break;
            var next = container.Commands.FirstOrDefault(c => c.Name == word);
            if (next is null) break;
            command = next;
            if (!next.IsBranch) break;
            container = next;
        }
        var options = new List<ICommandOption>();
        // Settings of a branch are inherited by its commands; a branch named alone runs its default command.
        for (var c = command; c is not null; c = c.Parent) options.AddRange(c.Parameters.OfType<ICommandOption>());
        if (command is { IsBranch: true, DefaultCommand: { } d }) options.AddRange(d.Parameters.OfType<ICommandOption>());
        return options;
    }

    /// <summary>
    /// Spectre's model of the configured commands, as its help provider receives it: rendering the root help once,
    /// into nothing, with a provider that keeps the model.
    /// </summary>
    static ICommandModel CaptureModel()
    {
        var capture = new ModelCapture();
        var app = new CommandApp();
        app.Configure(c =>
        {
            CliApp.ConfigureCommands(c);
            c.Settings.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Ansi = AnsiSupport.No });
            c.SetHelpProvider(capture);
        });
        app.Run(["--help"]);
        return capture.Model ?? throw new InvalidOperationException("option check: Spectre rendered no help, so the command model could not be read.");
    }

    sealed class ModelCapture : IHelpProvider
    {
        public ICommandModel? Model { get; private set; }

        public IEnumerable<IRenderable> Write(ICommandModel model, ICommandInfo? command)
        {
            Model = model;
            return [];
        }
    }
}
