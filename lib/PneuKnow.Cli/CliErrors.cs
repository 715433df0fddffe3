using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace PneuKnow.Cli;

/// <summary>
/// The documented exit codes of <c>pneuknow</c> (docs/design.md, "Command line") and the one place that turns an
/// exception into an error message on stderr.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did its work.</summary>
    public const int Success = 0;

    /// <summary>The work failed: bad or missing data, a failed run, a full disk.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, a value that does not parse or is out of range.</summary>
    public const int Usage = 2;

    /// <summary>An unexpected internal error (a bug): message and stack trace on stderr.</summary>
    public const int Internal = 3;
}

/// <summary>Maps exceptions that reach the command tree to a message on stderr and an <see cref="ExitCodes"/> value.</summary>
public static partial class CliErrors
{
    /// <summary>
    /// Writes the error for <paramref name="error"/> to <paramref name="stderr"/> and returns its exit code.
    /// <paramref name="args"/> are the arguments of the call, used to name the option a bad value belongs to.
    /// </summary>
    public static int Report(Exception error, IReadOnlyList<string> args, TextWriter stderr)
    {
        // An option without its value can make binding fail before the interceptor checks it (a number option gets
        // Spectre's placeholder name as its value): the missing value is the error to report, not its consequence.
        if (error is CommandParseException or CommandRuntimeException && OptionValues.Missing(args) is { } missing)
            error = new UsageException(missing);
        // A parallel loop (phantom rendering, decoding) wraps what failed in it: report the failure, not the wrapper.
        if (error is AggregateException aggregate)
            error = PneuKnow.Runtime.DiskFull.Find(aggregate) ?? aggregate.Flatten().InnerExceptions.FirstOrDefault() ?? error;
        // A full disk names the folder the command owns and what it wrote there (or, outside an owned folder, the failed file's folder).
        if (error is IOException io and not PneuKnow.Runtime.DiskFullException && PneuKnow.Runtime.DiskFull.Is(io))
        {
            (string Folder, DateTime Since) owned = Commands.OutputFolder.Current.Value
                ?? (Path.GetDirectoryName(PneuKnow.Runtime.DiskFull.FailedPath(io) ?? ".") ?? ".", System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime());
            var (folder, since) = owned;
            error = PneuKnow.Runtime.DiskFull.Describe(io, folder, since)!;
        }
        switch (error)
        {
            case CommandParseException or CommandRuntimeException:
                stderr.WriteLine($"error: {Describe(error, args)}");
                stderr.WriteLine($"       see `pneuknow {string.Join(' ', CommandPath(args))} --help`.".Replace("  --help", " --help"));
                return ExitCodes.Usage;
            case CommandAppException or UsageException or PneuKnow.Runtime.UnsafeNameException or PneuKnow.Runtime.FolderLockedException:
                stderr.WriteLine($"error: {error.Message}");
                return ExitCodes.Usage;
            case OperationCanceledException:
                stderr.WriteLine("error: cancelled.");
                return ExitCodes.Failure;
            case IOException or UnauthorizedAccessException or InvalidDataException or FormatException
                or ArgumentException or KeyNotFoundException or NotSupportedException
                or PneuKnow.Data.DataException or PneuKnow.Training.TrainingException or PneuKnow.Training.ConfigException:
                stderr.WriteLine($"error: {OneLine(error)}");
                return ExitCodes.Failure;
            default:
                stderr.WriteLine($"error: internal error ({error.GetType().Name}): {error.Message}");
                stderr.WriteLine(error.StackTrace);
                return ExitCodes.Internal;
        }
    }

    /// <summary>
    /// The message without .NET's argument decorations (an argument error's on one line): an <see cref="ArgumentException"/>'s
    /// " (Parameter 'size')" and "Actual value was 0." become "size: …, found 0.".
    /// </summary>
    public static string OneLine(Exception error)
    {
        var message = error.Message;
        if (error is ArgumentException { ParamName: { } name })
        {
            var actual = error is ArgumentOutOfRangeException { ActualValue: { } v } ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
            message = ParameterSuffix().Replace(message, "");
            message = ActualValueLine().Replace(message, "").Trim().TrimEnd('.');
            message = (message.StartsWith(name, StringComparison.Ordinal) ? message : $"{name}: {message}") + (actual is null ? "." : $", found {actual}.");
            message = string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }
        return message;
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"\s*Actual value was .*?\.?\s*$", RegexOptions.Singleline)]
    private static partial Regex ActualValueLine();

    /// <summary>Spectre's message, made to name the option and, for an unknown one, the nearest valid name.</summary>
    static string Describe(Exception error, IReadOnlyList<string> args)
    {
        var message = error.Message;
        var unknown = UnknownOption().Match(message);
        if (unknown.Success)
        {
            var name = unknown.Groups[1].Value.TrimStart('-');
            var given = args.FirstOrDefault(a => a.TrimStart('-').Split('=')[0] == name) ?? (name.Length == 1 ? "-" : "--") + name;
            var valid = OptionsOf(CommandPath(args));
            // A branch's help page does not list its default command's options (`models --classes`): suggest among
            // every option the tool has.
            bool listed = valid.Count > 0;
            if (!listed) valid = AllOptions();
            var nearest = Nearest(given.Split('=')[0], valid);
            return $"unknown option '{given.Split('=')[0]}'"
                + (nearest is null ? "" : $"; did you mean '{nearest}'?")
                + (listed ? $" Valid options: {string.Join(", ", valid)}." : "");
        }
        var convert = FailedConversion().Match(message);
        if (convert.Success)
        {
            var value = convert.Groups[1].Value;
            var type = convert.Groups[2].Value;
            var at = args.ToList().FindLastIndex(a => a == value || a.EndsWith("=" + value, StringComparison.Ordinal));
            var option = at < 0 ? null : args[at] == value ? (at > 0 && args[at - 1].StartsWith('-') ? args[at - 1] : null) : args[at].Split('=')[0];
            // Option enums live in the CLI or, where the engine takes them as they are (KeepCheckpoints), in the engine.
            var choices = typeof(CliErrors).Assembly.GetTypes().Concat(typeof(PneuKnow.Study.StudyPreset).Assembly.GetTypes())
                .FirstOrDefault(t => t.IsEnum && (t.IsPublic || t.IsNestedPublic) && t.Name == type);
            var expected = type switch
            {
                _ when choices is not null => "one of " + string.Join(", ", Enum.GetNames(choices).Select(n => n.ToLowerInvariant())),
                "Int32" or "Int64" => "an integer",
                "Single" or "Double" => "a number",
                "Boolean" => "true or false",
                _ => $"a value of type {type}",
            };
            return option is null
                ? $"expected {expected}, found '{value}'."
                : $"{option}: expected {expected}, found '{value}'.";
        }
        return message;
    }

    /// <summary>The leading command words of <paramref name="args"/> (up to the first option or argument that is not a command).</summary>
    static IReadOnlyList<string> CommandPath(IReadOnlyList<string> args)
    {
        var path = new List<string>();
        foreach (var a in args)
        {
            if (a.StartsWith('-')) break;
            var candidate = path.Append(a).ToArray();
            if (HelpText(candidate).Exit != 0) break;
            path.Add(a);
        }
        return path;
    }

    /// <summary>The long option names that a command's help page lists.</summary>
    public static IReadOnlyList<string> OptionsOf(IReadOnlyList<string> path)
    {
        var (exit, text) = HelpText(path);
        if (exit != 0) return [];
        var section = text.Split("OPTIONS:", 2);
        if (section.Length < 2) return [];
        return OptionName().Matches(section[1].Split("COMMANDS:", 2)[0])
            .Select(m => m.Groups[1].Value)
            .Where(n => n != "--help")
            .Distinct()
            .ToList();
    }

    /// <summary>Every long option name of every command's settings.</summary>
    public static IReadOnlyList<string> AllOptions() =>
        typeof(CliApp).Assembly.GetTypes()
            .Where(t => typeof(CommandSettings).IsAssignableFrom(t))
            .SelectMany(t => t.GetProperties())
            .SelectMany(p => p.GetCustomAttributes(typeof(CommandOptionAttribute), true).Cast<CommandOptionAttribute>())
            .SelectMany(o => o.LongNames.Select(n => "--" + n))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The help page of a command, rendered into a string with the strict configuration.</summary>
    public static (int Exit, string Text) HelpText(IReadOnlyList<string> path)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        var app = new CommandApp();
        app.Configure(c =>
        {
            CliApp.ConfigureCommands(c);
            c.Settings.Console = console;
            c.Settings.StrictParsing = true;
            c.SetExceptionHandler((_, _) => -1);
        });
        var exit = app.Run([.. path, "--help"]);
        return (exit, text.ToString());
    }

    /// <summary>The valid name closest to <paramref name="given"/> by edit distance, when it is close enough to be a typo.</summary>
    public static string? Nearest(string given, IReadOnlyList<string> valid)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var v in valid)
        {
            var d = Distance(given.TrimStart('-'), v.TrimStart('-'));
            if (d < bestDistance) (best, bestDistance) = (v, d);
        }
        // A third of the name (at least 2 edits) catches --presett, --devise, --image; beyond that it is a guess.
        return best is not null && bestDistance <= Math.Max(2, given.TrimStart('-').Length / 3) ? best : null;
    }

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    [GeneratedRegex(@"Unknown option '([^']+)'")]
    private static partial Regex UnknownOption();

    [GeneratedRegex(@"Failed to convert '([^']*)' to (\w+)")]
    private static partial Regex FailedConversion();

    [GeneratedRegex(@"(?m)^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)")]
    private static partial Regex OptionName();
}
