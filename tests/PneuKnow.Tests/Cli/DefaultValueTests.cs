using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using PneuKnow.Cli;
using Spectre.Console.Cli;

namespace PneuKnow.Tests.Cli;

/// <summary>
/// An option's default is written twice, by necessity: <c>[DefaultValue]</c> is what <c>--help</c> shows and what Spectre
/// assigns when the option is left out, the property initialiser is what code that builds the settings gets. These tests
/// hold the two to each other for every option of every command, so that neither can change alone.
/// </summary>
public sealed class DefaultValueTests
{
    /// <summary>Every concrete settings class of the CLI (the commands' nested <c>Settings</c> and the shared bases' subclasses).</summary>
    static IReadOnlyList<Type> SettingsTypes { get; } = typeof(CliApp).Assembly.GetTypes()
        .Where(t => typeof(CommandSettings).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();

    static IEnumerable<PropertyInfo> Options(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetCustomAttribute<CommandOptionAttribute>() is not null);

    [Fact]
    public void Every_displayed_default_equals_the_property_initialiser()
    {
        Assert.NotEmpty(SettingsTypes);
        var wrong = new List<string>();
        var shown = new HashSet<(Type, string)>();
        foreach (var type in SettingsTypes)
        {
            var fresh = Activator.CreateInstance(type)!;
            foreach (var p in Options(type))
            {
                if (p.GetCustomAttribute<DefaultValueAttribute>() is not { } attribute) continue;
                shown.Add((p.DeclaringType!, p.Name));
                var expected = AsPropertyValue(attribute.Value, p.PropertyType);
                var actual = p.GetValue(fresh);
                if (!Equals(expected, actual))
                    wrong.Add($"{type.FullName}.{p.Name}: [DefaultValue({Show(attribute.Value)})], initialised to {Show(actual)}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        // The issue counted 63 such attributes; a drop to a handful would mean the reflection found the wrong classes.
        Assert.True(shown.Count >= 60, $"expected the CLI's [DefaultValue] options (about 63), found {shown.Count}.");
    }

    [Fact]
    public void Every_option_that_starts_with_a_value_shows_it_as_its_default()
    {
        var hidden = new List<string>();
        foreach (var type in SettingsTypes)
        {
            var fresh = Activator.CreateInstance(type)!;
            foreach (var p in Options(type).Where(p => p.GetCustomAttribute<DefaultValueAttribute>() is null))
            {
                var value = p.GetValue(fresh);
                var zero = p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null;
                // An empty list (a repeatable option given no value) or an empty text (a required path the command checks) is no default to show.
                if (Equals(value, zero) || value is Array { Length: 0 } or "") continue;
                hidden.Add($"{type.FullName}.{p.Name}: starts as {Show(value)} without a [DefaultValue] to show it");
            }
        }
        Assert.True(hidden.Count == 0, string.Join("\n", hidden.Distinct()));
    }

    // Spectre converts a [DefaultValue] of another type (a string for an enum, an int for a double) with the property's converter.
    static object? AsPropertyValue(object? value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value is null || target.IsInstanceOfType(value)) return value;
        return value is string s
            ? TypeDescriptor.GetConverter(target).ConvertFromInvariantString(s)
            : Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    static string Show(object? v) => v switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
