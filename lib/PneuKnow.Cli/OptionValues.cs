using System.Reflection;
using Spectre.Console.Cli;

namespace PneuKnow.Cli;

/// <summary>A command line that is wrong in a way the parser lets through; reported as a usage error (exit 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The one check that a value-taking option got its value. Spectre's parser takes <c>--out --images 3</c> as
/// <c>--out</c> with no value and fills in its own placeholder name (<c>__default_command</c>), so
/// <c>synth --out --images 3</c> wrote into <c>./__default_command</c> and exited 0. Run from the interceptor, after
/// parsing and before the command: an option whose template names a required value (<c>--out &lt;DIR&gt;</c>) must be
/// followed by a token that is not itself one of the command's options (a negative number is a value).
/// </summary>
public static class OptionValues
{
    /// <summary>Throws <see cref="UsageException"/> naming the first value-taking option of <paramref name="settingsType"/> that has no value in <paramref name="args"/>.</summary>
    public static void Check(IReadOnlyList<string> args, Type settingsType)
    {
        var options = settingsType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .Where(a => a is not null)
            .Select(a => a!)
            .ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
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
                throw new UsageException($"option {args[i]} expects a value <{valueName}>, found the end of the command line.");
            if (names.Contains(next.Split('=', 2)[0]))
                throw new UsageException($"option {args[i]} expects a value <{valueName}>, found the option {next}.");
            i++;
        }
    }
}
