using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PneuKnow.Runtime;

/// <summary>
/// The one mapping between an enum's values and the snake_case names that config files, <c>run.json</c>, folder names and
/// tables hold (<c>LogitKd</c> ↔ <c>logit_kd</c>). A value's name is its <see cref="JsonStringEnumMemberNameAttribute"/> when it
/// has one (<c>val_loss</c>, <c>fp32</c>), otherwise its member name in snake_case: exactly what the run folder's
/// <c>JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower)</c> writes, so that a name parsed from a config file, written to
/// a record and read back is the same text (a test holds the two to each other for every enum of the records). Parsing and
/// writing go through here, so no caller compares such a name as a string.
/// </summary>
public static class SnakeCase
{
    /// <summary>The name of <paramref name="value"/>, e.g. <c>logit_kd</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value that is not a declared member (a cast integer).</exception>
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Table<TEnum>.ByValue.TryGetValue(value, out var name) ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(TEnum).Name}: expected one of {string.Join(", ", Table<TEnum>.Names)}, found the undeclared value {value}.");

    /// <summary>Every name of <typeparamref name="TEnum"/>, in declaration order.</summary>
    public static IReadOnlyList<string> Names<TEnum>() where TEnum : struct, Enum => Table<TEnum>.Names;

    /// <summary>The value named <paramref name="text"/> (ordinal, case-insensitive, as config files are read), or false.</summary>
    public static bool TryParse<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        if (text is not null && Table<TEnum>.ByName.TryGetValue(text.Trim(), out value)) return true;
        value = default;
        return false;
    }

    /// <summary>The value named <paramref name="text"/>, one of <paramref name="allowed"/> when given.</summary>
    /// <param name="text">The name as found.</param>
    /// <param name="where">Where it was found (file, line, key), the start of the message.</param>
    /// <param name="allowed">The values this setting takes (a subset, e.g. a config's augmentations exclude <c>valid</c>); null: all.</param>
    /// <param name="error">Makes the exception from the message (a <see cref="FormatException"/> when null), so that a config
    /// parser throws its own type with the same wording.</param>
    /// <exception cref="FormatException">An unknown name: "<c>{where}: expected one of a, b, c, found 'x'.</c>"</exception>
    public static TEnum Parse<TEnum>(string text, string where, IReadOnlyList<TEnum>? allowed = null, Func<string, Exception>? error = null)
        where TEnum : struct, Enum
    {
        if (TryParse<TEnum>(text, out var value) && (allowed is null || allowed.Contains(value))) return value;
        var expected = allowed is null ? Table<TEnum>.Names : allowed.Select(Of).ToArray();
        var message = $"{where}: expected one of {string.Join(", ", expected)}, found '{text}'.";
        throw error?.Invoke(message) ?? new FormatException(message);
    }

    static class Table<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> ByValue = Build();
        public static readonly Dictionary<string, TEnum> ByName = ByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);
        public static readonly string[] Names = [.. ByValue.Values];

        static Dictionary<TEnum, string> Build()
        {
            var table = new Dictionary<TEnum, string>();
            foreach (var field in typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var name = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(field.Name);
                // Aliases (two members with one value) would give a value two names: the first declared one wins, as in the converter.
                table.TryAdd((TEnum)field.GetValue(null)!, name);
            }
            return table;
        }
    }
}
