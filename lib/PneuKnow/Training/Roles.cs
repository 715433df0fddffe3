using System.Text.Json;
using System.Text.Json.Serialization;
using PneuKnow.Distillation;
using PneuKnow.Runtime;

namespace PneuKnow.Training;

/// <summary>The config sections of the <see cref="Role"/>s: a name besides the snake_case one, which the config files and <c>run.json</c> use.</summary>
public static class Roles
{
    /// <summary>
    /// The config section that holds the role's stage, which is also the <c>role</c> that <c>run.json</c> records:
    /// <c>model</c> for a baseline (the authors' INI section), <c>teacher</c>, <c>student</c>.
    /// </summary>
    public static string Section(Role role) => role == Role.Baseline ? "model" : SnakeCase.Of(role);

    /// <summary>Every stage section, in <see cref="Role"/> order.</summary>
    public static IReadOnlyList<string> Sections { get; } = Enum.GetValues<Role>().Select(Section).ToArray();

    /// <summary>The role whose stage section is <paramref name="section"/>, or false.</summary>
    public static bool TryFromSection(string section, out Role role)
    {
        foreach (var r in Enum.GetValues<Role>())
            if (Section(r) == section) { role = r; return true; }
        role = default;
        return false;
    }

    /// <summary>Reads and writes a role as its <see cref="Section"/> name (<c>run.json</c>'s <c>config.role</c>).</summary>
    internal sealed class SectionConverter : JsonConverter<Role>
    {
        public override Role Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            return text is not null && TryFromSection(text, out var role) ? role
                : throw new JsonException($"role: expected one of {string.Join(", ", Sections)}, found '{text}'.");
        }

        public override void Write(Utf8JsonWriter writer, Role value, JsonSerializerOptions options) => writer.WriteStringValue(Section(value));
    }
}
